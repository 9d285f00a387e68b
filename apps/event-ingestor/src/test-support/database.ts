import { requireTestbed } from '@falco-airgap/testbed/env';
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** A database of its own on the testbed's PostgreSQL, dropped again by `drop`. */
export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(prefix = 'ingest'): Promise<TestDatabase> {
  const env = requireTestbed('TESTBED_POSTGRES_URL');
  const admin = new URL(env.TESTBED_POSTGRES_URL!);
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  await withAdmin(admin, (client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: () => withAdmin(admin, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}

/** The pg_dump and pg_restore of the testbed's server version. */
export function postgresBinary(name: 'pg_dump' | 'pg_restore' | 'psql'): string {
  return `${requireTestbed('TESTBED_POSTGRES_BIN').TESTBED_POSTGRES_BIN}/${name}`;
}

async function withAdmin<T>(url: URL, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url.toString(), connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

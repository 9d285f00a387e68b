import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listEvents, markFalsePositive } from './event-queries.ts';
import { createTestDatabase, postgresBinary, type TestDatabase } from './test-support/database.ts';
import { sidekickEvent } from './test-support/falco-events.ts';
import { createKeyRing, postEvent, startIngestor, type KeyRing } from './test-support/harness.ts';

const run = promisify(execFile);
let source: TestDatabase;
let restored: TestDatabase;
let keys: KeyRing;
let dir: string;

beforeAll(async () => {
  [source, restored] = await Promise.all([createTestDatabase('backup_src'), createTestDatabase('backup_dst')]);
  keys = await createKeyRing(['k1', 'ed-k2']);
  dir = await mkdtemp(join(tmpdir(), 'ingestor-backup-'));
});

afterAll(async () => {
  await Promise.all([source?.drop(), restored?.drop()]);
  await keys?.remove();
  await rm(dir, { recursive: true, force: true });
});

const snapshot = async (url: string) => {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const events = (await client.query('SELECT *, tableoid::regclass::text AS partition FROM falco_events ORDER BY id')).rows;
    const migrations = (await client.query('SELECT version, name FROM falco_event_ingestor_migrations')).rows;
    return { events, migrations };
  } finally {
    await client.end();
  }
};

describe('backup and restore with pg_dump and pg_restore', () => {
  it('gives back the same events, false-positive marks included, and a database the ingestor keeps using', async () => {
    const server = await startIngestor(source.url, await keys.verifier());
    const posted: string[] = [];
    try {
      for (const [i, cluster] of ['north', 'south', 'east'].entries()) {
        const token = await keys.token(i % 2 ? 'ed-k2' : 'k1', cluster);
        for (let n = 0; n < 20; n++) {
          const event = sidekickEvent({ at: new Date(Date.now() - n * 3_600_000 * 5), output: `event ${n} of ${cluster}: ümlaut 🚨 'quoted' \\ backslash` });
          const response = await postEvent(server.url, event, { token });
          expect(response.status).toBe(201);
          posted.push(response.body.id as string);
        }
      }
      await markFalsePositive(server.ingestor.pool, posted[3]!, { by: 'alice@example.com', at: new Date('2026-01-02T03:04:05.678Z') });
    } finally {
      await server.close();
    }

    const dump = join(dir, 'falco-events.dump');
    await run(postgresBinary('pg_dump'), ['--format=custom', '--no-owner', `--file=${dump}`, `--dbname=${source.url}`]);
    await run(postgresBinary('pg_restore'), ['--no-owner', '--exit-on-error', '--single-transaction', `--dbname=${restored.url}`, dump]);

    const before = await snapshot(source.url);
    const after = await snapshot(restored.url);
    expect(after.events).toHaveLength(60);
    expect(after).toEqual(before);
    expect(after.events.find((e) => e.id === posted[3])).toMatchObject({ false_positive_by: 'alice@example.com' });

    // The restored database is a working store: no migration runs again, queries and ingestion go on.
    const resumed = await startIngestor(restored.url, await keys.verifier());
    try {
      expect((await listEvents(resumed.ingestor.pool, { cluster: 'south', limit: 100 })).events).toHaveLength(20);
      const event = sidekickEvent();
      const token = await keys.token('k1', 'west');
      expect((await postEvent(resumed.url, event, { token })).status).toBe(201);
      expect((await postEvent(resumed.url, event, { token })).body).toMatchObject({ duplicate: true });
    } finally {
      await resumed.close();
    }
    expect((await snapshot(restored.url)).migrations).toEqual(before.migrations);
  });
});

import type pg from 'pg';
import { IngestorError, IngestorErrorCode } from './errors.ts';

export const EVENTS_TABLE = 'falco_events';
export const MIGRATIONS_TABLE = 'falco_event_ingestor_migrations';
// Session-level advisory lock keys (any fixed bigint; these spell "falcoev" and a number).
export const MIGRATION_LOCK_KEY = '28821695040849665';
export const MAINTENANCE_LOCK_KEY = '28821695040849666';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** The schema, one step per version; a step is never edited once released, only followed by another. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'events partitioned by day of the event time',
    sql: `
      CREATE TABLE ${EVENTS_TABLE} (
        id text NOT NULL,
        cluster text NOT NULL,
        time timestamptz NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        priority text NOT NULL,
        severity smallint NOT NULL,
        rule text NOT NULL,
        output text NOT NULL,
        source text NOT NULL,
        hostname text,
        tags text[] NOT NULL DEFAULT '{}',
        uuid text,
        output_fields jsonb NOT NULL,
        false_positive_by text,
        false_positive_at timestamptz,
        PRIMARY KEY (id, time),
        CHECK ((false_positive_by IS NULL) = (false_positive_at IS NULL))
      ) PARTITION BY RANGE (time);
      CREATE INDEX ${EVENTS_TABLE}_time ON ${EVENTS_TABLE} (time DESC, id);
      CREATE INDEX ${EVENTS_TABLE}_cluster_time ON ${EVENTS_TABLE} (cluster, time DESC);
      CREATE INDEX ${EVENTS_TABLE}_rule_time ON ${EVENTS_TABLE} (rule, time DESC);
    `,
  },
];

/**
 * Brings the schema to the newest version. Replicas starting together take turns on an advisory lock, so each step
 * runs once, in its own transaction; a database newer than this ingestor is refused rather than touched.
 */
export async function migrate(pool: pg.Pool, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  const client = await connect(pool);
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
      );
      const { rows } = await client.query<{ version: number }>(`SELECT version FROM ${MIGRATIONS_TABLE}`);
      const done = new Set(rows.map((row) => row.version));
      const newest = Math.max(0, ...migrations.map((m) => m.version));
      const unknown = [...done].filter((version) => version > newest);
      if (unknown.length > 0) {
        throw new IngestorError(
          IngestorErrorCode.Migration,
          `the database schema is at version ${Math.max(...unknown)}, newer than this ingestor knows (${newest})`,
          'run the newer ingestor release; an older one does not write to a newer schema',
        );
      }
      const applied: number[] = [];
      for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
        if (done.has(migration.version)) continue;
        try {
          await client.query('BEGIN');
          await client.query(migration.sql);
          await client.query(`INSERT INTO ${MIGRATIONS_TABLE} (version, name) VALUES ($1, $2)`, [migration.version, migration.name]);
          await client.query('COMMIT');
        } catch (cause) {
          await client.query('ROLLBACK');
          throw new IngestorError(
            IngestorErrorCode.Migration,
            `schema step ${migration.version} (${migration.name}) failed: ${(cause as Error).message}`,
            'nothing of that step was kept; fix the database (rights, space) and start again',
            cause,
          );
        }
        applied.push(migration.version);
      }
      return applied;
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    client.release();
  }
}

export async function connect(pool: pg.Pool): Promise<pg.PoolClient> {
  try {
    return await pool.connect();
  } catch (cause) {
    throw new IngestorError(
      IngestorErrorCode.Database,
      `cannot connect to PostgreSQL: ${(cause as Error).message}`,
      'check the database URL, that the server is up and reachable, and the credentials',
      cause,
    );
  }
}

import { PassThrough } from 'node:stream';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from './main.ts';
import { createTestDatabase, type TestDatabase } from './test-support/database.ts';
import { sidekickEvent } from './test-support/falco-events.ts';
import { AUDIENCE, createKeyRing, ISSUER, postEvent, type KeyRing } from './test-support/harness.ts';

let db: TestDatabase;
let keys: KeyRing;

beforeAll(async () => {
  db = await createTestDatabase('main');
  keys = await createKeyRing(['k1']);
});

afterAll(async () => {
  await keys?.remove();
  await db?.drop();
});

function runMain(argv: string[], env: Record<string, string>) {
  const stdout = new PassThrough();
  let logs = '';
  let errors = '';
  stdout.on('data', (chunk) => (logs += chunk));
  const controller = new AbortController();
  let resolveAddress: (address: string) => void = () => {};
  const listening = new Promise<string>((resolve) => (resolveAddress = resolve));
  const exit = main({ argv, env, stdout, stderr: (text) => (errors += text), signal: controller.signal, onListening: resolveAddress });
  return { exit, listening, stop: () => controller.abort(), logs: () => logs, errors: () => errors };
}

describe('falco-event-ingestor', () => {
  it('takes its configuration from FALCO_EVENT_INGESTOR_* variables and flags, serves, and drains on the signal', async () => {
    const run = runMain(['--port', '0', '--host', '127.0.0.1', '--retention-days', '7'], {
      FALCO_EVENT_INGESTOR_DATABASE_URL: db.url,
      FALCO_EVENT_INGESTOR_JWKS_FILE: keys.jwksFile,
      FALCO_EVENT_INGESTOR_ISSUER: ISSUER,
      FALCO_EVENT_INGESTOR_AUDIENCE: AUDIENCE,
      FALCO_EVENT_INGESTOR_PORT: '1',
      FALCO_EVENT_INGESTOR_LOG_LEVEL: 'info',
    });
    const url = await Promise.race([run.listening, run.exit.then((code) => Promise.reject(new Error(`exited ${code}: ${run.errors()}`)))]);
    const token = await keys.token('k1', 'from-main');
    const responses = await Promise.all(Array.from({ length: 5 }, () => postEvent(url, sidekickEvent(), { token })));
    expect(responses.map((r) => r.status)).toEqual([201, 201, 201, 201, 201]);
    run.stop();
    expect(await run.exit).toBe(0);

    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      expect(Number((await client.query("SELECT count(*) AS n FROM falco_events WHERE cluster = 'from-main'")).rows[0].n)).toBe(5);
      // Seven days before today and three ahead.
      expect(Number((await client.query("SELECT count(*) AS n FROM pg_inherits WHERE inhparent = 'falco_events'::regclass")).rows[0].n)).toBe(11);
    } finally {
      await client.end();
    }
    const lines = run
      .logs()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { msg: string; service: string });
    expect(lines.map((l) => l.msg)).toEqual(expect.arrayContaining(['schema migrated', 'listening', 'draining']));
    expect(lines.every((l) => l.service === 'falco-event-ingestor')).toBe(true);
    expect(run.logs()).not.toContain(db.url.split('@')[0]!.split(':').at(-1)!);
  });

  it('exits 2 naming the setting when the configuration is wrong, and 1 when the database cannot be reached', async () => {
    const missing = runMain([], { FALCO_EVENT_INGESTOR_JWKS_FILE: keys.jwksFile });
    expect(await missing.exit).toBe(2);
    expect(missing.errors()).toBe(
      'error[INGEST_CONFIG]: --database-url (FALCO_EVENT_INGESTOR_DATABASE_URL) is required — set FALCO_EVENT_INGESTOR_DATABASE_URL or pass --database-url\n',
    );
    const badRate = runMain(['--rate', 'fast'], { FALCO_EVENT_INGESTOR_DATABASE_URL: db.url, FALCO_EVENT_INGESTOR_JWKS_FILE: keys.jwksFile });
    expect(await badRate.exit).toBe(2);
    expect(badRate.errors()).toContain('error[INGEST_CONFIG]: --rate (FALCO_EVENT_INGESTOR_RATE) is "fast"');
    const noJwks = runMain([], { FALCO_EVENT_INGESTOR_DATABASE_URL: db.url, FALCO_EVENT_INGESTOR_JWKS_FILE: '/nonexistent/jwks.json' });
    expect(await noJwks.exit).toBe(1);
    expect(noJwks.errors()).toContain('error[FLEET_KEY_SET_UNAVAILABLE]: cannot read the JWKS file /nonexistent/jwks.json');

    const unreachable = new URL(db.url);
    unreachable.port = '1';
    const noDatabase = runMain(['--port', '0'], {
      FALCO_EVENT_INGESTOR_DATABASE_URL: unreachable.toString(),
      FALCO_EVENT_INGESTOR_JWKS_FILE: keys.jwksFile,
      FALCO_EVENT_INGESTOR_LOG_LEVEL: 'fatal',
    });
    expect(await noDatabase.exit).toBe(1);
    expect(noDatabase.errors()).toMatch(/^error\[INGEST_DATABASE\]: cannot connect to PostgreSQL: .*ECONNREFUSED.* — check the database URL/);
  });
});

import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './test-support/database.ts';
import { sidekickEvent } from './test-support/falco-events.ts';
import { createKeyRing, postEvent, startIngestor, type KeyRing, type RunningIngestor } from './test-support/harness.ts';

let db: TestDatabase;
let keys: KeyRing;
let server: RunningIngestor;
let client: pg.Client;
let clock = Date.parse('2026-03-10T12:00:00Z');

const partitions = async () =>
  (
    await client.query<{ name: string }>(
      "SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'falco_events'::regclass ORDER BY 1",
    )
  ).rows.map((row) => row.name);

beforeAll(async () => {
  db = await createTestDatabase();
  keys = await createKeyRing(['k1']);
  server = await startIngestor(db.url, await keys.verifier(), { retentionDays: 3, partitionsAhead: 2, now: () => clock });
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
});

afterAll(async () => {
  await client?.end();
  await server?.close();
  await keys?.remove();
  await db?.drop();
});

describe('retention', () => {
  it('creates a partition per day from the retention start to the days ahead', async () => {
    expect(await partitions()).toEqual([
      'falco_events_20260307',
      'falco_events_20260308',
      'falco_events_20260309',
      'falco_events_20260310',
      'falco_events_20260311',
      'falco_events_20260312',
    ]);
  });

  it('drops whole partitions older than the retention and nothing newer', async () => {
    const token = await keys.token('k1', 'edge-1');
    const days = [
      '2026-03-07T00:00:00.000000001Z',
      '2026-03-08T23:59:59.999999Z',
      '2026-03-09T00:00:00Z',
      '2026-03-10T11:59:00.5Z',
      '2026-03-11T03:00:00+02:00',
    ];
    for (const time of days) expect((await postEvent(server.url, sidekickEvent({ time }), { token })).status).toBe(201);
    const before = (await client.query('SELECT time, tableoid::regclass::text AS part FROM falco_events ORDER BY time')).rows;
    expect(before.map((r) => r.part)).toEqual([
      'falco_events_20260307',
      'falco_events_20260308',
      'falco_events_20260309',
      'falco_events_20260310',
      'falco_events_20260311',
    ]);

    clock = Date.parse('2026-03-12T00:30:00Z');
    const result = await server.ingestor.runMaintenance();
    expect(result).toEqual({
      created: ['falco_events_20260313', 'falco_events_20260314'],
      dropped: ['falco_events_20260307', 'falco_events_20260308'],
      deferred: [],
    });
    expect(await partitions()).toEqual([
      'falco_events_20260309',
      'falco_events_20260310',
      'falco_events_20260311',
      'falco_events_20260312',
      'falco_events_20260313',
      'falco_events_20260314',
    ]);
    const after = (await client.query<{ time: Date }>('SELECT time FROM falco_events ORDER BY time')).rows.map((r) => r.time.toISOString());
    expect(after).toEqual(['2026-03-09T00:00:00.000Z', '2026-03-10T11:59:00.500Z', '2026-03-11T01:00:00.000Z']);
    expect(server.ingestor.metrics.partitionsDropped.get()).toBe(2);

    // An event from a dropped day would be dropped at once: it is refused instead.
    const late = await postEvent(server.url, sidekickEvent({ time: '2026-03-08T10:00:00Z' }), { token });
    expect(late.status).toBe(400);
    expect(late.body).toMatchObject({ error: { code: 'INGEST_TIME_OUT_OF_RANGE', path: '/time' } });
    const again = await server.ingestor.runMaintenance();
    expect(again).toEqual({ created: [], dropped: [], deferred: [] });
  });

  it('creates a missing day partition on demand when the clock passes midnight before the hourly run', async () => {
    const token = await keys.token('k1', 'edge-1');
    await client.query('DROP TABLE falco_events_20260313');
    clock = Date.parse('2026-03-13T00:00:05Z');
    const response = await postEvent(server.url, sidekickEvent({ time: '2026-03-13T00:00:01Z' }), { token });
    expect(response.status).toBe(201);
    expect(await partitions()).toContain('falco_events_20260313');
  });
});

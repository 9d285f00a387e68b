import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventId } from './event-id.ts';
import { createTestDatabase, type TestDatabase } from './test-support/database.ts';
import { sidekickEvent } from './test-support/falco-events.ts';
import { createKeyRing, postEvent, startIngestor, type KeyRing, type RunningIngestor } from './test-support/harness.ts';

let db: TestDatabase;
let keys: KeyRing;
let replicas: RunningIngestor[] = [];
let client: pg.Client;

beforeAll(async () => {
  db = await createTestDatabase();
  keys = await createKeyRing(['k1', 'ed-k2']);
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
});

afterAll(async () => {
  await Promise.all(replicas.map((r) => r.close()));
  await client?.end();
  await keys?.remove();
  await db?.drop();
});

describe('two ingestors sharing one database', () => {
  it('start together: the schema is migrated once and both serve', async () => {
    replicas = await Promise.all([startIngestor(db.url, await keys.verifier()), startIngestor(db.url, await keys.verifier())]);
    const { rows } = await client.query('SELECT version FROM falco_event_ingestor_migrations');
    expect(rows).toEqual([{ version: 1 }]);
    for (const replica of replicas) expect((await fetch(`${replica.url}/readyz`)).status).toBe(200);
  });

  it('store every event once, under the right cluster, whichever replica a delivery or its retry reaches', async () => {
    const clusters = ['alpha', 'beta', 'gamma'];
    const tokens = await Promise.all(clusters.map((cluster, i) => keys.token(i % 2 ? 'ed-k2' : 'k1', cluster)));
    const deliveries = Array.from({ length: 150 }, (_, i) => ({ cluster: i % 3, event: sidekickEvent({ rule: `rule ${i % 7}` }) }));
    const sent = await Promise.all(
      deliveries.flatMap(({ cluster, event }, i) => [
        postEvent(replicas[i % 2]!.url, event, { token: tokens[cluster]! }),
        // The retry of the same delivery lands on the other replica.
        postEvent(replicas[(i + 1) % 2]!.url, event, { token: tokens[cluster]! }),
      ]),
    );
    expect(sent.every((r) => r.status === 201 || r.status === 200)).toBe(true);
    expect(sent.filter((r) => r.status === 201)).toHaveLength(150);

    const { rows } = await client.query<{ id: string; cluster: string }>('SELECT id, cluster FROM falco_events');
    expect(rows).toHaveLength(150);
    const expected = new Map(deliveries.map(({ cluster, event }) => [eventId(clusters[cluster]!, event), clusters[cluster]!]));
    expect(new Map(rows.map((row) => [row.id, row.cluster]))).toEqual(expected);
    const accepted = replicas.map((r) => r.ingestor.metrics.accepted.get());
    expect(accepted[0]! + accepted[1]!).toBe(300);
    expect(accepted.every((n) => n > 0)).toBe(true);
  });

  it('drain on close: requests waiting for their batch are answered after their rows are committed', async () => {
    const slow = await startIngestor(db.url, await keys.verifier(), { batch: { maxSize: 1000, maxDelayMs: 60_000 } });
    const token = await keys.token('k1', 'draining');
    const events = Array.from({ length: 12 }, () => sidekickEvent());
    const pending = events.map((event) => postEvent(slow.url, event, { token }));
    await expect.poll(() => slow.ingestor.metrics.render().match(/^falco_event_ingestor_pending_events (\d+)$/m)?.[1], { timeout: 10_000 }).toBe('12');
    expect(Number((await client.query("SELECT count(*) AS n FROM falco_events WHERE cluster = 'draining'")).rows[0].n)).toBe(0);
    await slow.close();
    const answers = await Promise.all(pending);
    expect(answers.map((a) => a.status)).toEqual(Array(12).fill(201));
    expect(Number((await client.query("SELECT count(*) AS n FROM falco_events WHERE cluster = 'draining'")).rows[0].n)).toBe(12);
    // The other replicas are untouched by one closing.
    expect((await postEvent(replicas[0]!.url, sidekickEvent(), { token })).status).toBe(201);
  });
});

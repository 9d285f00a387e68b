import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventQueryError, getEvent, listEvents, markFalsePositive, unmarkFalsePositive } from './event-queries.ts';
import { eventRow, insertEvents } from './event-store.ts';
import type { FalcoPriority } from './falco-event.ts';
import { migrate } from './migrations.ts';
import { maintainPartitions } from './partitions.ts';
import { createTestDatabase, type TestDatabase } from './test-support/database.ts';
import { sidekickEvent } from './test-support/falco-events.ts';

let db: TestDatabase;
let pool: pg.Pool;
const base = Date.parse('2026-04-20T12:00:00Z');
const ids: Record<string, string> = {};

beforeAll(async () => {
  db = await createTestDatabase('queries');
  pool = new pg.Pool({ connectionString: db.url, max: 2 });
  await migrate(pool);
  await maintainPartitions(pool, base, { retentionDays: 5, daysAhead: 2 });
  const specs: [name: string, cluster: string, priority: FalcoPriority, rule: string, minutesAgo: number, output: string][] = [
    ['shell', 'prod-1', 'Notice', 'Terminal shell in container', 10, 'A shell was spawned (user=root)'],
    ['etc', 'prod-1', 'Error', 'Write below etc', 20, 'File below /etc opened for writing (file=/etc/passwd)'],
    ['crit', 'prod-2', 'Critical', 'Drop and execute new binary', 30, 'Executing binary not part of base image (proc=x_miner)'],
    ['percent', 'prod-2', 'Warning', 'Read sensitive file untrusted', 40, 'Sensitive file opened: 100% of /etc/shadow_backup'],
    ['debug', 'lab', 'Debug', 'Terminal shell in container', 50, 'A shell was spawned (user=dev)'],
    ['old', 'prod-1', 'Emergency', 'Terminal shell in container', 60 * 24 * 2, 'A shell was spawned two days ago'],
  ];
  const rows = specs.map(([name, cluster, priority, rule, minutesAgo, output]) => {
    const row = eventRow(cluster, sidekickEvent({ priority, rule, output, at: new Date(base - minutesAgo * 60_000) }));
    ids[name] = row.id;
    return row;
  });
  // Three events in the same microsecond: the cursor must still page through each exactly once.
  for (const n of [1, 2, 3]) {
    const row = eventRow('burst', sidekickEvent({ time: '2026-04-20T11:00:00.123456Z', rule: 'Burst', priority: 'Informational', output: `burst ${n}` }));
    ids[`burst${n}`] = row.id;
    rows.push(row);
  }
  expect((await insertEvents(pool, rows)).size).toBe(9);
});

afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

const names = (events: { id: string }[]) => events.map((e) => Object.keys(ids).find((name) => ids[name] === e.id));

describe('event queries', () => {
  it('list newest first, and filter by cluster, rule, priority, time range and text', async () => {
    // Events of the same instant come in descending id order.
    const burst = ['burst1', 'burst2', 'burst3'].sort((a, b) => (ids[a]! < ids[b]! ? 1 : -1));
    expect(names((await listEvents(pool)).events)).toEqual(['shell', 'etc', 'crit', 'percent', 'debug', ...burst, 'old']);
    expect(names((await listEvents(pool, { cluster: 'prod-1' })).events)).toEqual(['shell', 'etc', 'old']);
    expect(names((await listEvents(pool, { rule: 'Terminal shell in container' })).events)).toEqual(['shell', 'debug', 'old']);
    expect(names((await listEvents(pool, { priorities: ['Error', 'Debug'] })).events)).toEqual(['etc', 'debug']);
    expect(names((await listEvents(pool, { minPriority: 'Error' })).events)).toEqual(['etc', 'crit', 'old']);
    expect(names((await listEvents(pool, { from: new Date(base - 35 * 60_000), to: new Date(base - 10 * 60_000) })).events)).toEqual(['etc', 'crit']);
    expect(names((await listEvents(pool, { text: 'SHELL WAS' })).events)).toEqual(['shell', 'debug', 'old']);
    expect(names((await listEvents(pool, { text: 'drop and' })).events)).toEqual(['crit']);
    // LIKE's wildcards are plain characters in a search.
    expect(names((await listEvents(pool, { text: '100%' })).events)).toEqual(['percent']);
    expect(names((await listEvents(pool, { text: 'shadow_b' })).events)).toEqual(['percent']);
    expect((await listEvents(pool, { text: '_' })).events).toHaveLength(2);
    expect((await listEvents(pool, { text: "'; DROP TABLE falco_events; --" })).events).toEqual([]);
  });

  it('show only the clusters in scope, in lists and by id', async () => {
    expect(names((await listEvents(pool, { clusters: ['prod-2', 'lab'] })).events)).toEqual(['crit', 'percent', 'debug']);
    expect((await listEvents(pool, { clusters: [] })).events).toEqual([]);
    expect((await listEvents(pool, { clusters: ['prod-2'], cluster: 'prod-1' })).events).toEqual([]);
    expect((await getEvent(pool, ids.crit!, { clusters: ['prod-2'] }))?.cluster).toBe('prod-2');
    expect(await getEvent(pool, ids.crit!, { clusters: ['prod-1'] })).toBeUndefined();
    expect(await getEvent(pool, 'f'.repeat(64))).toBeUndefined();
    expect(await getEvent(pool, "x' OR '1'='1")).toBeUndefined();
  });

  it('return an event with its output fields and tags as stored', async () => {
    const event = await getEvent(pool, ids.shell!);
    expect(event).toMatchObject({
      cluster: 'prod-1',
      priority: 'Notice',
      rule: 'Terminal shell in container',
      source: 'syscall',
      hostname: 'node-a',
      tags: ['T1059', 'container', 'maturity_stable', 'mitre_execution', 'shell'],
      outputFields: expect.objectContaining({ 'proc.name': 'bash', 'k8s.pod.name': 'web-0' }),
      falsePositive: null,
    });
    expect(event!.time.getTime()).toBe(base - 10 * 60_000);
  });

  it('page with a cursor through events that share a timestamp, each exactly once', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await listEvents(pool, { limit: 2, ...(cursor ? { cursor } : {}) });
      seen.push(...(names(page.events) as string[]));
      cursor = page.next;
    } while (cursor);
    expect(seen).toEqual(names((await listEvents(pool)).events));
    expect(seen).toHaveLength(9);
    await expect(listEvents(pool, { cursor: 'not-a-cursor' })).rejects.toBeInstanceOf(EventQueryError);
    await expect(listEvents(pool, { limit: 0 })).rejects.toBeInstanceOf(EventQueryError);
  });

  it('mark and unmark a false positive with who and when; marked events leave the default list', async () => {
    const at = new Date('2026-04-20T12:30:00Z');
    const marked = await markFalsePositive(pool, ids.etc!, { by: 'alice', at }, { clusters: ['prod-1'] });
    expect(marked?.falsePositive).toEqual({ by: 'alice', at });
    // Marking again keeps the first mark.
    expect((await markFalsePositive(pool, ids.etc!, { by: 'bob' }))?.falsePositive).toEqual({ by: 'alice', at });
    expect(names((await listEvents(pool, { cluster: 'prod-1' })).events)).toEqual(['shell', 'old']);
    expect(names((await listEvents(pool, { cluster: 'prod-1', falsePositives: 'include' })).events)).toEqual(['shell', 'etc', 'old']);
    expect(names((await listEvents(pool, { falsePositives: 'only' })).events)).toEqual(['etc']);

    // Out of scope: nothing changes.
    expect(await unmarkFalsePositive(pool, ids.etc!, { clusters: ['prod-2'] })).toBeUndefined();
    expect(await markFalsePositive(pool, ids.crit!, { by: 'mallory' }, { clusters: ['lab'] })).toBeUndefined();
    expect((await getEvent(pool, ids.crit!))?.falsePositive).toBeNull();

    expect((await unmarkFalsePositive(pool, ids.etc!))?.falsePositive).toBeNull();
    expect(names((await listEvents(pool, { cluster: 'prod-1' })).events)).toEqual(['shell', 'etc', 'old']);
    await expect(markFalsePositive(pool, ids.etc!, { by: ' ' })).rejects.toBeInstanceOf(EventQueryError);
  });
});

import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventId } from './event-id.ts';
import { getEvent } from './event-queries.ts';
import type { FalcoEvent } from './falco-event.ts';
import { createTestDatabase, type TestDatabase } from './test-support/database.ts';
import { sidekickEvent } from './test-support/falco-events.ts';
import { AUDIENCE, createKeyRing, ISSUER, postEvent, startIngestor, type KeyRing, type RunningIngestor } from './test-support/harness.ts';

const BODY_LIMIT = 16_384;
let db: TestDatabase;
let keys: KeyRing;
let server: RunningIngestor;
let client: pg.Client;
let token: string;

const count = async (where = 'TRUE', values: unknown[] = []) =>
  Number((await client.query(`SELECT count(*) AS n FROM falco_events WHERE ${where}`, values)).rows[0].n);
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

beforeAll(async () => {
  db = await createTestDatabase();
  keys = await createKeyRing(['current', 'ed-next', 'old', 'outsider'], ['current', 'ed-next', 'old']);
  server = await startIngestor(db.url, await keys.verifier(), { bodyLimit: BODY_LIMIT, rateLimit: { rate: 1000, burst: 1000 } });
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
  token = await keys.token('current', 'prod-eu-1');
});

afterAll(async () => {
  await client?.end();
  await server?.close();
  await keys?.remove();
  await db?.drop();
});

describe('POST /events', () => {
  it('stores a Falcosidekick event under the cluster its token names, once however often it is delivered', async () => {
    const event = sidekickEvent({ output_fields: { ...sidekickEvent().output_fields, cluster: 'someone-else' } });
    const first = await postEvent(server.url, event, { token });
    expect(first.status).toBe(201);
    expect(first.body).toEqual({ id: eventId('prod-eu-1', event), cluster: 'prod-eu-1', duplicate: false });
    const retried = await Promise.all([1, 2, 3, 4].map(() => postEvent(server.url, event, { token })));
    expect(retried.map((r) => [r.status, r.body.duplicate])).toEqual(Array(4).fill([200, true]));

    const { rows } = await client.query('SELECT * FROM falco_events WHERE uuid = $1', [event.uuid]);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      id: first.body.id,
      cluster: 'prod-eu-1',
      priority: 'Notice',
      severity: 5,
      rule: event.rule,
      output: event.output,
      source: 'syscall',
      hostname: 'node-a',
      tags: event.tags,
      output_fields: event.output_fields,
      false_positive_at: null,
    });
    expect(rows[0].time.getTime()).toBe(Date.parse(event.time));

    // The same event from another cluster is another event.
    const other = await postEvent(server.url, event, { token: await keys.token('ed-next', 'prod-us-2') });
    expect(other.status).toBe(201);
    expect(await count('uuid = $1', [event.uuid])).toBe(2);
  });

  it('stores SQL-looking strings verbatim and harmlessly', async () => {
    const hostile = "x'); DROP TABLE falco_events; --";
    const event = sidekickEvent({
      rule: hostile,
      output: `${hostile} $1 \\' %_ \u2028 ${'"'.repeat(3)}`,
      hostname: "node'; DELETE FROM falco_events WHERE '1'='1",
      tags: ['); TRUNCATE falco_events; --'],
      output_fields: { 'proc.cmdline': 'sh -c \'psql -c "DROP DATABASE x"\'', "k8s.pod.name'--": '$$ BEGIN $$', nested: { sql: ['1; SELECT pg_sleep(10)'] } },
    });
    const response = await postEvent(server.url, event, { token });
    expect(response.status).toBe(201);
    const { rows } = await client.query('SELECT rule, output, hostname, tags, output_fields FROM falco_events WHERE id = $1', [response.body.id]);
    expect(rows).toEqual([{ rule: event.rule, output: event.output, hostname: event.hostname, tags: event.tags, output_fields: event.output_fields }]);
    expect(await count()).toBeGreaterThan(1);
  });

  it('answers 429 with Retry-After to a flooding cluster while another still gets through', async () => {
    const limited = await startIngestor(db.url, await keys.verifier(), { rateLimit: { rate: 2, burst: 5 } });
    try {
      const flooder = await keys.token('current', 'flooder');
      const started = performance.now();
      const results = await Promise.all(Array.from({ length: 30 }, () => postEvent(limited.url, sidekickEvent(), { token: flooder })));
      const seconds = (performance.now() - started) / 1000;
      const statuses = results.map((r) => r.status);
      const stored = statuses.filter((s) => s === 201).length;
      // The burst, plus what the rate refilled while the flood lasted.
      expect(stored).toBeGreaterThanOrEqual(5);
      expect(stored).toBeLessThanOrEqual(5 + Math.ceil(seconds * 2));
      const refused = results.filter((r) => r.status === 429);
      expect(refused).toHaveLength(30 - stored);
      expect(Number(refused[0]!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(refused[0]!.body).toMatchObject({ error: { code: 'INGEST_RATE_LIMITED' } });
      expect(await count('cluster = $1', ['flooder'])).toBe(stored);

      const neighbour = await postEvent(limited.url, sidekickEvent(), { token: await keys.token('ed-next', 'quiet-neighbour') });
      expect(neighbour.status).toBe(201);
      expect(limited.ingestor.metrics.rateLimited.get()).toBe(refused.length);
    } finally {
      await limited.close();
    }
  });
});

describe('PUT /events', () => {
  it('stores an event Falcosidekick sends with `webhook.method: PUT` as it stores a POSTed one, and refuses the same requests', async () => {
    const other = await startIngestor(db.url, await keys.verifier());
    try {
      const put = sidekickEvent({ rule: 'Delivered with PUT' });
      const posted = sidekickEvent({ rule: 'Delivered with POST' });
      const viaPut = await postEvent(other.url, put, { token, method: 'PUT' });
      const viaPost = await postEvent(other.url, posted, { token });
      expect([viaPut.status, viaPost.status]).toEqual([201, 201]);
      expect(viaPut.body).toEqual({ id: eventId('prod-eu-1', put), cluster: 'prod-eu-1', duplicate: false });
      // A retry with the other method is the same event.
      const retried = await Promise.all([postEvent(other.url, put, { token }), postEvent(other.url, posted, { token, method: 'PUT' })]);
      expect(retried.map((r) => [r.status, r.body.id, r.body.duplicate])).toEqual([
        [200, viaPut.body.id, true],
        [200, viaPost.body.id, true],
      ]);

      // Read back as the event view reads them.
      const scope = { clusters: ['prod-eu-1'] };
      const [storedPut, storedPost] = await Promise.all([
        getEvent(client, viaPut.body.id as string, scope),
        getEvent(client, viaPost.body.id as string, scope),
      ]);
      for (const [stored, event] of [
        [storedPut, put],
        [storedPost, posted],
      ] as const) {
        expect(stored).toMatchObject({
          cluster: 'prod-eu-1',
          time: new Date(Date.parse(event.time)),
          priority: 'Notice',
          rule: event.rule,
          output: event.output,
          source: 'syscall',
          hostname: 'node-a',
          tags: event.tags,
          uuid: event.uuid,
          outputFields: event.output_fields,
          falsePositive: null,
        });
      }
      expect(Object.keys(storedPut!).sort()).toEqual(Object.keys(storedPost!).sort());

      const before = await count();
      const unauthenticated = await postEvent(other.url, sidekickEvent(), { method: 'PUT' });
      expect(unauthenticated.status).toBe(401);
      expect(unauthenticated.headers.get('www-authenticate')).toBe('Bearer realm="falco-event-ingestor"');
      const invalid = await postEvent(other.url, { ...sidekickEvent(), priority: 'Loud' }, { token, method: 'PUT' });
      expect(invalid.body).toMatchObject({ error: { code: 'INGEST_INVALID_EVENT', path: '/priority' } });
      expect((await postEvent(other.url, sidekickEvent(), { token, method: 'PUT', contentType: 'text/plain' })).status).toBe(415);
      // Any other method is an unknown route, as before.
      const patch = await fetch(`${other.url}/events`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(sidekickEvent()),
        signal: AbortSignal.timeout(15_000),
      });
      expect(patch.status).toBe(404);
      expect(await count()).toBe(before);
    } finally {
      await other.close();
    }
  });
});

describe('hostile requests', () => {
  const valid = () => sidekickEvent();
  const nested = (depth: number): Record<string, unknown> => (depth === 0 ? { leaf: 'x' } : { a: nested(depth - 1) });
  type Case = { name: string; request: () => Promise<Awaited<ReturnType<typeof postEvent>>>; status: number; code: string; path?: string };
  const cases: Case[] = [
    { name: 'no token', request: () => postEvent(server.url, valid()), status: 401, code: 'INGEST_UNAUTHENTICATED' },
    {
      name: 'basic credentials',
      request: () => postEvent(server.url, valid(), { headers: { authorization: 'Basic YWRtaW46YWRtaW4=' } }),
      status: 401,
      code: 'INGEST_UNAUTHENTICATED',
    },
    { name: 'a token that is no JWT', request: () => postEvent(server.url, valid(), { token: 'not-a-token' }), status: 401, code: 'FLEET_TOKEN_MALFORMED' },
    {
      name: 'an expired token',
      request: async () =>
        postEvent(server.url, valid(), { token: await keys.token('current', 'prod-eu-1', { ttl: 600, now: new Date(Date.now() - 3_600_000) }) }),
      status: 401,
      code: 'FLEET_TOKEN_EXPIRED',
    },
    {
      name: 'a token signed by an unknown key',
      request: async () => postEvent(server.url, valid(), { token: await keys.token('outsider', 'prod-eu-1') }),
      status: 401,
      code: 'FLEET_UNKNOWN_KEY',
    },
    {
      name: 'a token for another issuer',
      request: async () => postEvent(server.url, valid(), { token: await keys.token('current', 'prod-eu-1', { issuer: 'evil' }) }),
      status: 401,
      code: 'FLEET_WRONG_ISSUER',
    },
    {
      name: 'a token for another audience',
      request: async () => postEvent(server.url, valid(), { token: await keys.token('current', 'prod-eu-1', { audience: 'grafana' }) }),
      status: 401,
      code: 'FLEET_WRONG_AUDIENCE',
    },
    {
      name: 'a token whose cluster was rewritten',
      request: async () => {
        const [header, payload, signature] = (await keys.token('current', 'prod-eu-1')).split('.');
        const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<string, unknown>;
        return postEvent(server.url, valid(), { token: `${header}.${b64({ ...claims, cluster: 'victim', sub: 'victim' })}.${signature}` });
      },
      status: 401,
      code: 'FLEET_BAD_SIGNATURE',
    },
    {
      name: 'an unsigned token (alg none)',
      request: async () =>
        postEvent(server.url, valid(), {
          token: `${b64({ alg: 'none', kid: keys.key('current').kid })}.${b64({ iss: ISSUER, aud: AUDIENCE, sub: 'victim', cluster: 'victim', iat: 1, exp: 4e9, jti: 'x' })}.AAAA`,
        }),
      status: 401,
      code: 'FLEET_ALGORITHM_REFUSED',
    },
    {
      name: 'a body claiming another cluster',
      request: () => postEvent(server.url, { ...valid(), cluster: 'victim' }, { token }),
      status: 400,
      code: 'INGEST_INVALID_EVENT',
      path: '/cluster',
    },
    {
      name: 'malformed JSON',
      request: () => postEvent(server.url, undefined, { token, raw: '{"rule": "x", "priority": ' }),
      status: 400,
      code: 'INGEST_MALFORMED_JSON',
    },
    { name: 'an empty body', request: () => postEvent(server.url, undefined, { token, raw: '' }), status: 400, code: 'INGEST_MALFORMED_JSON' },
    {
      name: 'a JSON array of events',
      request: () => postEvent(server.url, [valid(), valid()], { token }),
      status: 400,
      code: 'INGEST_INVALID_EVENT',
      path: '',
    },
    {
      name: 'an oversized body',
      request: () => postEvent(server.url, sidekickEvent({ output: 'A'.repeat(BODY_LIMIT) }), { token }),
      status: 413,
      code: 'INGEST_BODY_TOO_LARGE',
    },
    {
      name: 'deeply nested output fields',
      request: () => postEvent(server.url, sidekickEvent({ output_fields: nested(60) as FalcoEvent['output_fields'] }), { token }),
      status: 400,
      code: 'INGEST_INVALID_EVENT',
      path: '/output_fields/a/a/a/a',
    },
    {
      name: 'too many output fields',
      request: () =>
        postEvent(server.url, sidekickEvent({ output_fields: Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`f.${i}`, i])) }), { token }),
      status: 400,
      code: 'INGEST_INVALID_EVENT',
      path: '/output_fields',
    },
    {
      name: 'no output fields',
      request: () => postEvent(server.url, sidekickEvent({ output_fields: {} }), { token }),
      status: 400,
      code: 'INGEST_INVALID_EVENT',
      path: '/output_fields',
    },
    {
      name: 'an unknown priority',
      request: () => postEvent(server.url, sidekickEvent({ priority: 'Severe' as never }), { token }),
      status: 400,
      code: 'INGEST_INVALID_EVENT',
      path: '/priority',
    },
    {
      name: 'a priority spelled otherwise than Falcosidekick sends it',
      request: () => postEvent(server.url, sidekickEvent({ priority: 'warning' as never }), { token }),
      status: 400,
      code: 'INGEST_INVALID_EVENT',
      path: '/priority',
    },
    {
      name: 'a missing rule',
      request: () => {
        const { rule: _rule, ...event } = valid();
        return postEvent(server.url, event, { token });
      },
      status: 400,
      code: 'INGEST_INVALID_EVENT',
      path: '/rule',
    },
    {
      name: 'an empty rule',
      request: () => postEvent(server.url, sidekickEvent({ rule: '' }), { token }),
      status: 400,
      code: 'INGEST_INVALID_EVENT',
      path: '/rule',
    },
    {
      name: 'a time that is no time',
      request: () => postEvent(server.url, sidekickEvent({ time: 'yesterday' }), { token }),
      status: 400,
      code: 'INGEST_INVALID_EVENT',
      path: '/time',
    },
    {
      name: 'February 30th',
      request: () => postEvent(server.url, sidekickEvent({ time: '2026-02-30T10:00:00Z' }), { token }),
      status: 400,
      code: 'INGEST_INVALID_EVENT',
      path: '/time',
    },
    {
      name: 'a time long past retention',
      request: () => postEvent(server.url, sidekickEvent({ time: '2001-09-11T08:46:00.000000000Z' }), { token }),
      status: 400,
      code: 'INGEST_TIME_OUT_OF_RANGE',
      path: '/time',
    },
    {
      name: 'a NUL character PostgreSQL cannot store',
      request: () => postEvent(server.url, sidekickEvent({ output: 'before\u0000after' }), { token }),
      status: 400,
      code: 'INGEST_INVALID_EVENT',
      path: '/output',
    },
    {
      name: 'a lone surrogate',
      request: () => postEvent(server.url, undefined, { token, raw: JSON.stringify(valid()).replace('"bash"', '"\\ud800"') }),
      status: 400,
      code: 'INGEST_INVALID_EVENT',
      path: '/output_fields/proc.cmdline',
    },
    {
      name: 'a prototype-poisoning key',
      request: () =>
        postEvent(server.url, undefined, { token, raw: JSON.stringify(valid()).replace('"output_fields":{', '"output_fields":{"__proto__":{"admin":true},') }),
      status: 400,
      code: 'INGEST_MALFORMED_JSON',
    },
    {
      name: 'text/plain',
      request: () => postEvent(server.url, valid(), { token, contentType: 'text/plain' }),
      status: 415,
      code: 'INGEST_UNSUPPORTED_MEDIA_TYPE',
    },
    {
      name: 'a form',
      request: () => postEvent(server.url, undefined, { token, contentType: 'application/x-www-form-urlencoded', raw: 'rule=x' }),
      status: 415,
      code: 'INGEST_UNSUPPORTED_MEDIA_TYPE',
    },
    { name: 'no content type', request: () => postEvent(server.url, valid(), { token, contentType: '' }), status: 415, code: 'INGEST_UNSUPPORTED_MEDIA_TYPE' },
  ];

  it.each(cases)('refuses $name ($status) and stores nothing', async ({ request, status, code, path }) => {
    const before = await count();
    const response = await request();
    expect(response.status).toBe(status);
    expect(response.body).toMatchObject({ error: { code } });
    if (path !== undefined) expect((response.body.error as { path: string }).path).toBe(path);
    if (status === 401) expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm="falco-event-ingestor"/);
    expect(await count()).toBe(before);
  });

  it('refuses a revoked key once the JWKS no longer holds it, without a restart', async () => {
    const oldToken = await keys.token('old', 'legacy-cluster');
    expect((await postEvent(server.url, valid(), { token: oldToken })).status).toBe(201);
    await keys.publish('current', 'ed-next');
    const before = await count();
    const response = await postEvent(server.url, valid(), { token: oldToken });
    expect(response.status).toBe(401);
    expect(response.body).toMatchObject({ error: { code: 'FLEET_UNKNOWN_KEY' } });
    expect(await count()).toBe(before);
    expect((await postEvent(server.url, valid(), { token })).status).toBe(201);
  });

  it('counts every refusal by reason in /metrics', async () => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(text).toMatch(/^falco_event_ingestor_events_rejected_total\{reason="no_token"\} 2$/m);
    expect(text).toMatch(/^falco_event_ingestor_events_rejected_total\{reason="content_type"\} 3$/m);
    expect(text).toMatch(/^falco_event_ingestor_events_rejected_total\{reason="body_too_large"\} 1$/m);
    expect(text).toMatch(/^falco_event_ingestor_events_rejected_total\{reason="unknown_key"\} 2$/m);
    expect(text).toMatch(/^falco_event_ingestor_events_duplicate_total 4$/m);
    expect(text).toMatch(/^falco_event_ingestor_insert_duration_seconds_count \d+$/m);
    expect(text).toMatch(/^falco_event_ingestor_verification_keys 2$/m);
  });
});

describe('health', () => {
  it('is live and ready while the database answers and keys are loaded', async () => {
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', problems: [] });
  });
});

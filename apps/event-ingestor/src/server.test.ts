import { FleetIdentityError, FleetIdentityErrorCode, type ClusterTokenVerifier } from '@falco-airgap/fleet-identity';
import type pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { createIngestor, type Ingestor } from './server.ts';
import { sidekickEvent } from './test-support/falco-events.ts';

// A stand-in for the pool that counts every use: the requests below must never reach it.
function untouchablePool() {
  const uses: string[] = [];
  const pool = new Proxy({} as pg.Pool, {
    get: (_target, property) => {
      if (property === 'end' || property === 'on') return async () => undefined;
      uses.push(String(property));
      return () => Promise.reject(new Error(`the database was used (${String(property)})`));
    },
  });
  return { pool, uses };
}

const verifier: ClusterTokenVerifier = {
  async verify(token) {
    if (!token.startsWith('valid-')) throw new FleetIdentityError(FleetIdentityErrorCode.UnknownKey, 'unknown key', 'issue a new token');
    const now = new Date();
    return { cluster: token.slice(6), kid: 'k', algorithm: 'ES256', issuer: 'i', audience: 'a', jwtId: 'j', issuedAt: now, expiresAt: now };
  },
  status: () => ({ keyIds: ['k'], loadedAt: new Date(), lastError: undefined }),
  reload: async () => {},
};

let ingestor: Ingestor | undefined;
afterEach(async () => {
  await ingestor?.close();
  ingestor = undefined;
});

const post = (body: unknown, headers: Record<string, string> = {}) =>
  ingestor!.app.inject({
    method: 'POST',
    url: '/events',
    headers: { 'content-type': 'application/json', ...headers },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  });

describe('POST /events before any database work', () => {
  it('refuses missing and unknown tokens, floods, and invalid bodies without touching the database', async () => {
    const { pool, uses } = untouchablePool();
    ingestor = createIngestor({ database: { pool }, verifier, rateLimit: { rate: 0.001, burst: 2 } });
    const unauthenticated = await Promise.all(Array.from({ length: 50 }, () => post(sidekickEvent())));
    expect(new Set(unauthenticated.map((r) => r.statusCode))).toEqual(new Set([401]));
    expect((await post(sidekickEvent(), { authorization: 'Bearer forged' })).json()).toMatchObject({ error: { code: 'FLEET_UNKNOWN_KEY' } });

    const invalid = await post({ ...sidekickEvent(), priority: 'Loud' }, { authorization: 'Bearer valid-c1' });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json()).toEqual({
      error: {
        code: 'INGEST_INVALID_EVENT',
        message: `/priority must be one of Emergency, Alert, Critical, Error, Warning, Notice, Informational, Debug`,
        path: '/priority',
      },
    });
    const tooOld = await post(sidekickEvent({ time: '2020-01-01T00:00:00Z' }), { authorization: 'Bearer valid-c1' });
    expect(tooOld.json()).toMatchObject({ error: { code: 'INGEST_TIME_OUT_OF_RANGE' } });
    const flood = await post(sidekickEvent(), { authorization: 'Bearer valid-c1' });
    expect(flood.statusCode).toBe(429);
    expect(flood.headers['retry-after']).toBe('1000');
    expect(uses).toEqual([]);

    const metrics = (await ingestor.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/^falco_event_ingestor_events_rejected_total\{reason="no_token"\} 50$/m);
    expect(metrics).toMatch(/^falco_event_ingestor_events_rejected_total\{reason="invalid_event"\} 1$/m);
    expect(metrics).toMatch(/^falco_event_ingestor_events_rate_limited_total 1$/m);
  });

  it('parses a body nested far deeper than allowed without failing, and says where it went too deep', async () => {
    const { pool, uses } = untouchablePool();
    ingestor = createIngestor({ database: { pool }, verifier, bodyLimit: 65_536 });
    const depth = 30_000;
    const event = JSON.stringify(sidekickEvent()).replace(
      '"output_fields":{',
      `"output_fields":{"constructor":1,"deep":${'['.repeat(depth)}${']'.repeat(depth)},`,
    );
    const response = await post(event, { authorization: 'Bearer valid-c1' });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ error: { code: 'INGEST_INVALID_EVENT', path: '/output_fields/deep/0/0/0' } });
    expect(uses).toEqual([]);
  });

  it('refuses prototype-poisoning keys, spelled plainly or with escapes, as malformed JSON; a plain "constructor" field is data', async () => {
    const { pool, uses } = untouchablePool();
    ingestor = createIngestor({ database: { pool }, verifier });
    const withFields = (fields: string) => JSON.stringify(sidekickEvent()).replace('"output_fields":{', `"output_fields":{${fields},`);
    for (const fields of [
      '"__proto__":{"admin":true}',
      '"\\u005f_proto__":{"admin":true}',
      '"constructor":{"prototype":{"admin":true}}',
      '"constructor":{"\\u0070rototype":{"admin":true}}',
    ]) {
      const response = await post(withFields(fields), { authorization: 'Bearer valid-c1' });
      expect(response.statusCode, fields).toBe(400);
      expect(response.json(), fields).toEqual({ error: { code: 'INGEST_MALFORMED_JSON', message: 'the body is not one JSON object' } });
    }
    // A "constructor" without a "prototype" is data: the parser takes it, and the NUL inside is what the validation refuses.
    const plain = await post(withFields('"constructor":{"name":"x\\u0000"}'), { authorization: 'Bearer valid-c1' });
    expect(plain.json()).toMatchObject({ error: { code: 'INGEST_INVALID_EVENT', path: '/output_fields/constructor/name' } });
    expect(uses).toEqual([]);
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });

  it('takes PUT as Falcosidekick sends it with `webhook.method: PUT`, refusing it alike, and answers other methods 404', async () => {
    const { pool, uses } = untouchablePool();
    ingestor = createIngestor({ database: { pool }, verifier });
    const put = (body: unknown, headers: Record<string, string> = {}) =>
      ingestor!.app.inject({ method: 'PUT', url: '/events', headers: { 'content-type': 'application/json', ...headers }, payload: JSON.stringify(body) });
    const unauthenticated = await put(sidekickEvent());
    expect(unauthenticated.statusCode).toBe(401);
    expect(unauthenticated.headers['www-authenticate']).toBe('Bearer realm="falco-event-ingestor"');
    expect((await put(sidekickEvent(), { authorization: 'Bearer forged' })).json()).toMatchObject({ error: { code: 'FLEET_UNKNOWN_KEY' } });
    expect((await put({ ...sidekickEvent(), cluster: 'someone-else' }, { authorization: 'Bearer valid-c1' })).json()).toMatchObject({
      error: { code: 'INGEST_INVALID_EVENT' },
    });
    for (const method of ['GET', 'PATCH', 'DELETE'] as const) {
      const other = await ingestor.app.inject({ method, url: '/events', headers: { authorization: 'Bearer valid-c1' } });
      expect(other.statusCode).toBe(404);
      expect(other.json()).toMatchObject({ error: { code: 'INGEST_NOT_FOUND' } });
    }
    expect(uses).toEqual([]);
    expect((await ingestor.app.inject({ method: 'GET', url: '/metrics' })).body).toMatch(
      /^falco_event_ingestor_events_rejected_total\{reason="no_token"\} 1$/m,
    );
  });

  it('answers 404 elsewhere and 415 to anything but JSON', async () => {
    const { pool } = untouchablePool();
    ingestor = createIngestor({ database: { pool }, verifier });
    expect((await ingestor.app.inject({ method: 'GET', url: '/nope' })).statusCode).toBe(404);
    const xml = await ingestor.app.inject({
      method: 'POST',
      url: '/events',
      headers: { 'content-type': 'application/xml', authorization: 'Bearer valid-c1' },
      payload: '<event/>',
    });
    expect(xml.statusCode).toBe(415);
    expect(xml.json()).toMatchObject({ error: { code: 'INGEST_UNSUPPORTED_MEDIA_TYPE' } });
  });
});

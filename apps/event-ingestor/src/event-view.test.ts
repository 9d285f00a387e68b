import type { ClusterTokenVerifier } from '@falco-airgap/fleet-identity';
import { PassThrough } from 'node:stream';
import type pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY, registerEventView, SESSION_COOKIE } from './event-view.ts';
import { eventPage, listPage } from './event-view-pages.ts';
import { escapeHtml, html } from './html.ts';
import { parseOperatorTokens, type OperatorDirectory } from './operator-tokens.ts';
import { createIngestor, type Ingestor } from './server.ts';
import { parseViewQuery } from './view-query.ts';

const aliceToken = 'alice-'.repeat(8);
const operators = parseOperatorTokens(JSON.stringify({ operators: [{ name: 'alice', token: aliceToken, clusters: ['prod-1', 'prod-2'] }] }), 'ops.json');
const alice = operators.authenticate(aliceToken)!.operator;
const verifier: ClusterTokenVerifier = {
  verify: () => Promise.reject(new Error('no cluster tokens here')),
  status: () => ({ keyIds: ['k'], loadedAt: new Date(), lastError: undefined }),
  reload: async () => {},
};

// The requests below are refused before any query: the pool must never be used.
const untouchablePool = new Proxy({} as pg.Pool, {
  get: (_target, property) =>
    property === 'end' || property === 'on' ? async () => undefined : () => Promise.reject(new Error(`database used: ${String(property)}`)),
});

let ingestor: Ingestor | undefined;
afterEach(async () => {
  await ingestor?.close();
  ingestor = undefined;
});

function viewApp() {
  ingestor = createIngestor({ database: { pool: untouchablePool }, verifier });
  registerEventView(ingestor, { operators });
  return ingestor.app;
}

describe('the event view before any database work', () => {
  it('sends a strict Content-Security-Policy and redirects to sign-in without a session', async () => {
    const app = viewApp();
    const page = await app.inject({ url: '/view' });
    expect(page.statusCode).toBe(303);
    expect(page.headers.location).toBe('/view/login');
    const login = await app.inject({ url: '/view/login' });
    expect(login.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    expect(login.headers['x-frame-options']).toBe('DENY');
    expect(login.body).toContain('name="token"');
    expect(login.body).not.toMatch(/<script/i);
  });

  it('signs in with an operator token into an HttpOnly, SameSite=Strict cookie holding no token', async () => {
    const app = viewApp();
    const wrong = await app.inject({
      method: 'POST',
      url: '/view/login',
      payload: 'name=alice&token=nope',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.headers['set-cookie']).toBeUndefined();
    for (const payload of [`name=bob&token=${aliceToken}`, `token=${aliceToken}`]) {
      const misnamed = await app.inject({ method: 'POST', url: '/view/login', payload, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      expect(misnamed.statusCode).toBe(401);
      expect(misnamed.headers['set-cookie']).toBeUndefined();
    }
    const ok = await app.inject({
      method: 'POST',
      url: '/view/login',
      payload: `name=alice&token=${aliceToken}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(ok.statusCode).toBe(303);
    const cookie = String(ok.headers['set-cookie']);
    expect(cookie).toMatch(new RegExp(`^${SESSION_COOKIE}=[^;]+; Path=/view; Max-Age=43200; HttpOnly; SameSite=Strict$`));
    expect(cookie).not.toContain(aliceToken);
  });

  it('marks the cookie Secure over HTTPS when asked, and always when told so', async () => {
    ingestor = createIngestor({ database: { pool: untouchablePool }, verifier });
    registerEventView(ingestor, { operators, secureCookie: true });
    const ok = await ingestor.app.inject({
      method: 'POST',
      url: '/view/login',
      payload: `name=alice&token=${aliceToken}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(String(ok.headers['set-cookie'])).toMatch(/; Secure$/);
  });

  it('refuses sign-in and marks posted from another site, and marks without the form token', async () => {
    const app = viewApp();
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const crossSite = await app.inject({
      method: 'POST',
      url: '/view/login',
      payload: `name=alice&token=${aliceToken}`,
      headers: { ...form, origin: 'https://evil.example' },
    });
    expect(crossSite.statusCode).toBe(403);
    const fetchSite = await app.inject({
      method: 'POST',
      url: '/view/login',
      payload: `name=alice&token=${aliceToken}`,
      headers: { ...form, 'sec-fetch-site': 'cross-site' },
    });
    expect(fetchSite.statusCode).toBe(403);
    const login = await app.inject({ method: 'POST', url: '/view/login', payload: `name=alice&token=${aliceToken}`, headers: form });
    const cookie = String(login.headers['set-cookie']).split(';')[0]!;
    const mark = await app.inject({
      method: 'POST',
      url: `/view/events/${'a'.repeat(64)}/false-positive`,
      payload: 'action=mark&csrf=forged',
      headers: { ...form, cookie },
    });
    expect(mark.statusCode).toBe(403);
    expect(mark.body).toContain('not this page’s own');
  });

  it('answers the API only with an operator token in the header, never with the cookie', async () => {
    const app = viewApp();
    const login = await app.inject({
      method: 'POST',
      url: '/view/login',
      payload: `name=alice&token=${aliceToken}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    const cookie = String(login.headers['set-cookie']).split(';')[0]!;
    for (const request of [
      { method: 'GET' as const, url: '/api/events', headers: { cookie } },
      { method: 'PUT' as const, url: `/api/events/${'a'.repeat(64)}/false-positive`, headers: { cookie } },
      { method: 'GET' as const, url: '/api/events', headers: { authorization: 'Bearer not-an-operator' } },
    ]) {
      const response = await app.inject(request);
      expect(response.statusCode).toBe(401);
      expect(response.json()).toMatchObject({ error: { code: 'VIEW_UNAUTHENTICATED' } });
    }
    expect((await app.inject({ url: '/api/operator', headers: { authorization: `Bearer ${aliceToken}` } })).json()).toEqual({
      name: 'alice',
      clusters: ['prod-1', 'prod-2'],
    });
  });
});

describe('failed sign-ins', () => {
  const form = { 'content-type': 'application/x-www-form-urlencoded' };

  // Every look at the operators is counted: a limited sign-in must make none.
  function limitedViewApp(now: () => number) {
    const lookups: string[] = [];
    const counting: OperatorDirectory = {
      size: operators.size,
      authenticate: (token) => (lookups.push('authenticate'), operators.authenticate(token)),
      byName: (name) => (lookups.push('byName'), operators.byName(name)),
    };
    const stream = new PassThrough();
    let logged = '';
    stream.on('data', (chunk) => (logged += chunk));
    ingestor = createIngestor({ database: { pool: untouchablePool }, verifier, logger: { level: 'warn', stream } });
    registerEventView(ingestor, { operators: counting, now });
    const app = ingestor.app;
    const signIn = (name: string, token: string, remoteAddress = '192.0.2.7') =>
      app.inject({ method: 'POST', url: '/view/login', payload: new URLSearchParams({ name, token }).toString(), headers: form, remoteAddress });
    const logs = async () => {
      await new Promise((resolve) => setImmediate(resolve));
      return logged
        .trim()
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    };
    return { app, lookups, signIn, logs, logged: () => logged };
  }

  it('answer the 6th for one name with 429 and Retry-After without looking at the token, log it once, and end with the window', async () => {
    let t = Date.parse('2026-05-01T12:00:00Z');
    const { lookups, signIn, logs, logged } = limitedViewApp(() => t);
    for (let i = 0; i < 5; i++) expect((await signIn('alice', `wrong-token-${i}`)).statusCode).toBe(401);
    t += 60_000;
    lookups.length = 0;
    const limited = await signIn('alice', aliceToken);
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBe('840');
    expect(limited.headers['set-cookie']).toBeUndefined();
    expect(limited.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    expect(limited.body).toContain('Too many failed sign-ins for this operator: try again in 14 minutes, after 2026-05-01 12:15:00 UTC.');
    expect(limited.body).toContain('name="name" autocomplete="username" maxlength="256" required value="alice"');
    // The name is limited from any address.
    expect((await signIn('alice', aliceToken, '198.51.100.1')).statusCode).toBe(429);
    expect(lookups).toEqual([]);

    expect(await logs()).toEqual([
      expect.objectContaining({
        level: 40,
        limit: 'operator',
        operator: 'alice',
        address: '192.0.2.7',
        failures: 5,
        windowSeconds: 900,
        retryAfterSeconds: 900,
        msg: expect.stringContaining('too many failed sign-ins for one operator name'),
      }),
    ]);
    expect(logged()).not.toMatch(/wrong-token|alice-alice/);

    t += 14 * 60_000;
    expect((await signIn('alice', aliceToken)).statusCode).toBe(303);
    // Signing in forgot the name's failures.
    expect((await signIn('alice', 'wrong-token-again')).statusCode).toBe(401);
  });

  it('let other names through from the address until its own limit, then refuse every name from it, and never log what was typed', async () => {
    const { signIn, logs, logged } = limitedViewApp(() => Date.parse('2026-05-01T12:00:00Z'));
    for (let i = 0; i < 5; i++) expect((await signIn('alice', `wrong-token-${i}`)).statusCode).toBe(401);
    expect((await signIn('alice', aliceToken)).statusCode).toBe(429);
    // A token typed into the name field is a name like any other, and never written to the log.
    const pasted = aliceToken.replaceAll('alice', 'bobby');
    for (const name of [pasted, 'carol', 'dave']) for (let i = 0; i < 5; i++) expect((await signIn(name, `wrong-token-${i}`)).statusCode).toBe(401);
    const refused = await signIn('erin', 'wrong-token');
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['retry-after']).toBe('900');
    expect(refused.body).toContain('Too many failed sign-ins from this address: try again in 15 minutes, after 2026-05-01 12:15:00 UTC.');
    // Another address is another count.
    expect((await signIn('erin', 'wrong-token', '198.51.100.1')).statusCode).toBe(401);

    // One IPv6 /64 is one address.
    for (let i = 0; i < 20; i++) expect((await signIn(`name-${i}`, 'wrong-token', `2001:db8:0:7::${i.toString(16)}`)).statusCode).toBe(401);
    expect((await signIn('zoe', 'wrong-token', '2001:db8:0:7:ffff::1')).statusCode).toBe(429);
    expect((await signIn('zoe', 'wrong-token', '2001:db8:0:8::1')).statusCode).toBe(401);

    expect((await logs()).map((line) => [line.limit, line.address, line.operator])).toEqual([
      ['operator', '192.0.2.7', 'alice'],
      ['operator', '192.0.2.7', undefined],
      ['operator', '192.0.2.7', undefined],
      // The 20th failure from the address is dave's 5th.
      ['address', '192.0.2.7', undefined],
      ['operator', '192.0.2.7', undefined],
      ['address', '2001:db8:0:7::/64', undefined],
    ]);
    expect(logged()).not.toMatch(/bobby|wrong-token|carol|dave/);
  });

  it('count wrong API tokens against the address and answer JSON saying when to retry', async () => {
    const { app, logs, logged } = limitedViewApp(() => Date.parse('2026-05-01T12:00:00Z'));
    const api = (token: string, remoteAddress = '192.0.2.9') =>
      app.inject({ url: '/api/operator', headers: { authorization: `Bearer ${token}` }, remoteAddress });
    for (let i = 0; i < 20; i++) expect((await api(`guessed-token-${i}`)).statusCode).toBe(401);
    const limited = await api(aliceToken);
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBe('900');
    expect(limited.json()).toEqual({
      error: {
        code: 'VIEW_SIGN_IN_LIMITED',
        message: 'Too many failed sign-ins from this address: try again in 15 minutes, after 2026-05-01 12:15:00 UTC.',
        retryAt: '2026-05-01T12:15:00Z',
      },
    });
    expect((await api(aliceToken, '192.0.2.10')).statusCode).toBe(200);
    // A missing token is no guess.
    expect((await app.inject({ url: '/api/operator', remoteAddress: '192.0.2.10' })).statusCode).toBe(401);
    expect((await logs()).map((line) => line.limit)).toEqual(['address']);
    expect(logged()).not.toContain('guessed-token');
  });
});

describe('view queries', () => {
  it('always carry the operator’s clusters, whatever is asked', () => {
    const parsed = parseViewQuery(
      { cluster: 'lab', priority: 'Error', from: '2026-05-01T10:00', to: '2026-05-01T12:30:00+02:00', q: 'shell', fp: 'include' },
      alice,
    );
    expect(parsed).toMatchObject({
      ok: true,
      filter: {
        clusters: ['prod-1', 'prod-2'],
        cluster: 'lab',
        minPriority: 'Error',
        from: new Date('2026-05-01T10:00:00Z'),
        to: new Date('2026-05-01T10:30:00Z'),
        text: 'shell',
        falsePositives: 'include',
      },
    });
  });

  it.each([
    [{ priority: 'Loud' }, 'priority'],
    [{ from: 'yesterday' }, 'from'],
    [{ from: '2026-05-01T12:00', to: '2026-05-01T11:00' }, 'to'],
    [{ fp: 'maybe' }, 'fp'],
    [{ limit: '100000' }, 'limit'],
  ])('refuse %o naming %s', (query, parameter) => {
    expect(parseViewQuery(query, alice)).toMatchObject({ ok: false, parameter });
  });
});

describe('pages', () => {
  it('escape everything an event carries', () => {
    const hostile = `<script>alert(1)</script><img src=x onerror="alert(2)">'"&`;
    const event = {
      id: 'f'.repeat(64),
      cluster: 'prod-1',
      time: new Date('2026-05-01T12:00:00Z'),
      receivedAt: new Date('2026-05-01T12:00:01Z'),
      priority: 'Warning' as const,
      rule: hostile,
      output: hostile,
      source: hostile,
      hostname: hostile,
      tags: [hostile],
      uuid: hostile,
      outputFields: { [hostile]: hostile, nested: { [hostile]: [hostile] } },
      falsePositive: { by: hostile, at: new Date('2026-05-01T12:05:00Z') },
    };
    const session = { operator: alice, csrf: '"><script>' };
    const pages = [
      eventPage({ session, event, back: hostile }).text,
      listPage({ session, query: parseViewQuery({ q: hostile, rule: hostile }, alice).query, page: { events: [event], next: hostile } }).text,
    ];
    for (const page of pages) {
      expect(page).not.toMatch(/<script|<img|onerror="/i);
      expect(page).toContain(escapeHtml('<script>alert(1)</script>'));
    }
    expect(html`<a title="${`" onmouseover="x`}">${'<b>'}</a>`.text).toBe('<a title="&quot; onmouseover=&quot;x">&lt;b&gt;</a>');
  });
});

import type { ClusterTokenVerifier } from '@falco-airgap/fleet-identity';
import type pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY, registerEventView, SESSION_COOKIE } from './event-view.ts';
import { eventPage, listPage } from './event-view-pages.ts';
import { escapeHtml, html } from './html.ts';
import { parseOperatorTokens } from './operator-tokens.ts';
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
      payload: 'token=nope',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.headers['set-cookie']).toBeUndefined();
    const ok = await app.inject({
      method: 'POST',
      url: '/view/login',
      payload: `token=${aliceToken}`,
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
      payload: `token=${aliceToken}`,
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
      payload: `token=${aliceToken}`,
      headers: { ...form, origin: 'https://evil.example' },
    });
    expect(crossSite.statusCode).toBe(403);
    const fetchSite = await app.inject({
      method: 'POST',
      url: '/view/login',
      payload: `token=${aliceToken}`,
      headers: { ...form, 'sec-fetch-site': 'cross-site' },
    });
    expect(fetchSite.statusCode).toBe(403);
    const login = await app.inject({ method: 'POST', url: '/view/login', payload: `token=${aliceToken}`, headers: form });
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
      payload: `token=${aliceToken}`,
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

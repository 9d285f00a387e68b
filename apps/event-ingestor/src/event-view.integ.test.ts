import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerEventView } from './event-view.ts';
import { openOperatorTokensFile } from './operator-tokens.ts';
import { createIngestor, type Ingestor } from './server.ts';
import { createTestDatabase, type TestDatabase } from './test-support/database.ts';
import { sidekickEvent } from './test-support/falco-events.ts';
import { createKeyRing, postEvent, type KeyRing } from './test-support/harness.ts';

// Debian's Chromium (apt-get install chromium; tools/setup.sh installs it), driven headless by playwright-core.
const CHROMIUM = process.env.FALCO_AIRGAP_CHROMIUM ?? '/usr/bin/chromium';
const ALICE = 'alice-token-0123456789abcdefghijklmnopqrstuvwxyz';
const BOB = 'bob-token-0123456789abcdefghijklmnopqrstuvwxyz';
const HOSTILE = `<script>window.pwned = 1</script><img src=x onerror="window.pwned = 2">'"&`;

let db: TestDatabase;
let keys: KeyRing;
let ingestor: Ingestor;
let url: string;
let browser: Browser;
let client: pg.Client;
let dir: string;
const ids: Record<string, string> = {};
const minutesAgo = (n: number) => new Date(Date.now() - n * 60_000);
const localInput = (date: Date) => date.toISOString().slice(0, 16);

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `Chromium is missing at ${CHROMIUM}: install Debian's (apt-get install -y chromium, or npm run setup), or point FALCO_AIRGAP_CHROMIUM at one`,
    );
  db = await createTestDatabase('view');
  keys = await createKeyRing(['k1']);
  dir = await mkdtemp(join(tmpdir(), 'event-view-'));
  const operatorsFile = join(dir, 'operators.json');
  await writeFile(
    operatorsFile,
    JSON.stringify({
      operators: [
        { name: 'alice@example.com', token: ALICE, clusters: ['prod-1', 'prod-2'] },
        { name: 'bob@example.com', token: BOB, clusters: ['lab'] },
      ],
    }),
  );
  ingestor = createIngestor({ database: { connectionString: db.url }, verifier: await keys.verifier() });
  registerEventView(ingestor, { operators: await openOperatorTokensFile({ file: operatorsFile }) });
  url = await ingestor.start({ host: '127.0.0.1', port: 0 });
  client = new pg.Client({ connectionString: db.url });
  await client.connect();

  // Events reach the store the way Falcosidekick delivers them: POST /events with each cluster's token (one with PUT, as `webhook.method: PUT` sends it).
  const deliveries: [name: string, cluster: string, event: ReturnType<typeof sidekickEvent>][] = [
    ['shell', 'prod-1', sidekickEvent({ at: minutesAgo(5) })],
    [
      'etc',
      'prod-1',
      sidekickEvent({ at: minutesAgo(10), priority: 'Error', rule: 'Write below etc', output: 'File below /etc opened for writing (file=/etc/passwd)' }),
    ],
    [
      'hostile',
      'prod-2',
      sidekickEvent({ at: minutesAgo(15), priority: 'Warning', rule: 'Hostile output', output: HOSTILE, output_fields: { 'proc.name': HOSTILE } }),
    ],
    [
      'old',
      'prod-2',
      sidekickEvent({ at: minutesAgo(180), priority: 'Critical', rule: 'Drop and execute new binary', output: 'Executing binary not part of base image' }),
    ],
    ['lab', 'lab', sidekickEvent({ at: minutesAgo(20), priority: 'Notice', rule: 'Lab only rule', output: 'lab-only marker' })],
  ];
  for (const [name, cluster, event] of deliveries) {
    const sent = await postEvent(url, event, { token: await keys.token('k1', cluster), method: name === 'etc' ? 'PUT' : 'POST' });
    expect(sent.status).toBe(201);
    ids[name] = sent.body.id as string;
  }
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
});

afterAll(async () => {
  await browser?.close();
  await ingestor?.close();
  await client?.end();
  await keys?.remove();
  await db?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function signIn(name: string, token: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${url}/view`);
  expect(new URL(page.url()).pathname).toBe('/view/login');
  await page.fill('#name', name);
  await page.fill('#token', token);
  await Promise.all([page.waitForURL(`${url}/view`), page.click('button[type=submit]')]);
  return { context, page };
}

const listedIds = (page: Page) => page.locator('#events tbody tr').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-event-id')));
const name = (id: string | null) => Object.keys(ids).find((key) => ids[key] === id);
const listed = async (page: Page) => (await listedIds(page)).map(name);

async function filter(page: Page, fields: { cluster?: string; rule?: string; priority?: string; from?: string; to?: string; q?: string; fp?: string }) {
  await page.goto(`${url}/view`);
  if (fields.cluster !== undefined) await page.selectOption('select[name=cluster]', fields.cluster);
  if (fields.rule !== undefined) await page.fill('input[name=rule]', fields.rule);
  if (fields.priority !== undefined) await page.selectOption('select[name=priority]', fields.priority);
  if (fields.from !== undefined) await page.fill('input[name=from]', fields.from);
  if (fields.to !== undefined) await page.fill('input[name=to]', fields.to);
  if (fields.q !== undefined) await page.fill('input[name=q]', fields.q);
  if (fields.fp !== undefined) await page.selectOption('select[name=fp]', fields.fp);
  await Promise.all([page.waitForLoadState('load'), page.waitForURL(/\/view\?/), page.click('form.filters button[type=submit]')]);
}

describe('the event view in Chromium', () => {
  it('signs in with an operator’s name and token into an HttpOnly SameSite=Strict cookie and lists only that operator’s clusters', async () => {
    const { context, page } = await signIn('alice@example.com', ALICE);
    const [cookie] = await context.cookies();
    expect(cookie).toMatchObject({ name: 'falco_view_session', httpOnly: true, sameSite: 'Strict', secure: false });
    expect(await listed(page)).toEqual(['shell', 'etc', 'hostile', 'old']);
    // The attacker's markup shows as text and never runs.
    await expect.poll(() => page.locator('tr[data-event-id] td.output').nth(2).textContent()).toBe(HOSTILE);
    expect(await page.evaluate(() => (globalThis as { pwned?: number }).pwned)).toBeUndefined();
    expect(await page.locator('img').count()).toBe(0);

    const screenshot = join(tmpdir(), `falco-event-view-${Date.now()}.png`);
    await page.setViewportSize({ width: 1400, height: 700 });
    await page.screenshot({ path: screenshot, fullPage: true });
    console.log(`event view screenshot: ${screenshot}`);
    await context.close();
  });

  it('filters by cluster, rule, priority, time range and text', async () => {
    const { context, page } = await signIn('alice@example.com', ALICE);
    await filter(page, { cluster: 'prod-2' });
    expect(await listed(page)).toEqual(['hostile', 'old']);
    await filter(page, { rule: 'Drop and execute new binary' });
    expect(await listed(page)).toEqual(['old']);
    await filter(page, { priority: 'Error' });
    expect(await listed(page)).toEqual(['etc', 'old']);
    await filter(page, { from: localInput(minutesAgo(60)), to: localInput(minutesAgo(-1)) });
    expect(await listed(page)).toEqual(['shell', 'etc', 'hostile']);
    await filter(page, { q: '/ETC/PASSWD' });
    expect(await listed(page)).toEqual(['etc']);
    await filter(page, { q: 'lab-only' });
    expect(await page.locator('#no-events').innerText()).toBe('No events match.');
    // The form keeps what was asked.
    expect(await page.inputValue('input[name=q]')).toBe('lab-only');
    await context.close();
  });

  it('opens an event with its output fields, marks it a false positive (who and when), hides it, shows it with the toggle, and unmarks it', async () => {
    const { context, page } = await signIn('alice@example.com', ALICE);
    await filter(page, { cluster: 'prod-1' });
    await Promise.all([page.waitForURL(/\/view\/events\//), page.locator(`tr[data-event-id="${ids.shell}"] a`).click()]);
    expect(
      await page
        .locator('#output-fields tr', { has: page.locator('th', { hasText: 'k8s.pod.name' }) })
        .locator('td')
        .innerText(),
    ).toBe('web-0');
    expect(await page.locator('dl.facts').innerText()).toContain('prod-1');

    const before = Date.now();
    await Promise.all([page.waitForLoadState('load'), page.click('text=Mark as false positive')]);
    expect(await page.locator('#false-positive').innerText()).toMatch(/^Marked as a false positive by alice@example\.com at \d{4}-\d\d-\d\dT/);
    const { rows } = await client.query('SELECT false_positive_by, false_positive_at FROM falco_events WHERE id = $1', [ids.shell]);
    expect(rows[0].false_positive_by).toBe('alice@example.com');
    expect(rows[0].false_positive_at.getTime()).toBeGreaterThanOrEqual(before - 1000);

    // Back to the filtered list: the marked event is gone from the default view ...
    await Promise.all([page.waitForURL(/\/view\?cluster=prod-1$/), page.click('#back')]);
    expect(await listed(page)).toEqual(['etc']);
    // ... and back with the toggle, labelled.
    await filter(page, { cluster: 'prod-1', fp: 'include' });
    expect(await listed(page)).toEqual(['shell', 'etc']);
    expect(await page.locator(`tr[data-event-id="${ids.shell}"] .fp`).innerText()).toBe('false positive');
    await filter(page, { fp: 'only' });
    expect(await listed(page)).toEqual(['shell']);

    await Promise.all([page.waitForURL(/\/view\/events\//), page.locator(`tr[data-event-id="${ids.shell}"] a`).click()]);
    await Promise.all([page.waitForLoadState('load'), page.click('text=Not a false positive')]);
    expect(await page.locator('#false-positive').count()).toBe(0);
    await filter(page, { cluster: 'prod-1' });
    expect(await listed(page)).toEqual(['shell', 'etc']);
    expect((await client.query('SELECT false_positive_by FROM falco_events WHERE id = $1', [ids.shell])).rows[0].false_positive_by).toBeNull();
    await context.close();
  });

  it('keeps another cluster’s events from a user, in the page and through the API', async () => {
    const { context, page } = await signIn('bob@example.com', BOB);
    expect(await listed(page)).toEqual(['lab']);
    expect(await page.locator('select[name=cluster] option').allTextContents()).toEqual(['all my clusters', 'lab']);
    await page.goto(`${url}/view?cluster=prod-1&fp=include`);
    expect(await page.locator('#no-events').count()).toBe(1);
    const direct = await page.goto(`${url}/view/events/${ids.etc}`);
    expect(direct?.status()).toBe(404);
    expect(await page.content()).not.toContain('/etc/passwd');
    await context.close();

    const api = (path: string, token: string, method = 'GET') =>
      fetch(`${url}${path}`, { method, headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(10_000) });
    const bobsList = (await (await api('/api/events?cluster=prod-1&fp=include', BOB)).json()) as { events: unknown[] };
    expect(bobsList.events).toEqual([]);
    const all = (await (await api('/api/events?fp=include', BOB)).json()) as { events: { id: string; cluster: string }[] };
    expect(all.events.map((e) => e.cluster)).toEqual(['lab']);
    expect((await api(`/api/events/${ids.etc}`, BOB)).status).toBe(404);
    expect((await api(`/api/events/${ids.etc}/false-positive`, BOB, 'PUT')).status).toBe(404);
    expect((await client.query('SELECT false_positive_by FROM falco_events WHERE id = $1', [ids.etc])).rows[0].false_positive_by).toBeNull();

    // Alice's token reads and marks her clusters through the API, and never bob's.
    const alices = (await (await api('/api/events', ALICE)).json()) as { events: { cluster: string }[] };
    expect(new Set(alices.events.map((e) => e.cluster))).toEqual(new Set(['prod-1', 'prod-2']));
    expect((await api(`/api/events/${ids.lab}`, ALICE)).status).toBe(404);
    const marked = await api(`/api/events/${ids.old}/false-positive`, ALICE, 'PUT');
    expect(marked.status).toBe(200);
    expect(((await marked.json()) as { falsePositive: { by: string } }).falsePositive.by).toBe('alice@example.com');
    expect((await api(`/api/events/${ids.old}/false-positive`, ALICE, 'DELETE')).status).toBe(200);
    expect((await api('/api/events', 'not-an-operator-token')).status).toBe(401);
  });

  it('tells an operator whose name was tried too often when to try again, and keeps the form filled', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const attempt = async (token: string) => {
      await page.goto(`${url}/view/login`);
      await page.fill('#name', 'alice@example.com');
      await page.fill('#token', token);
      const [response] = await Promise.all([page.waitForResponse(`${url}/view/login`), page.click('button[type=submit]')]);
      return response;
    };
    for (let i = 0; i < 5; i++) expect((await attempt(`wrong-token-${i}`)).status()).toBe(401);
    const limited = await attempt(ALICE);
    expect(limited.status()).toBe(429);
    expect(Number(await limited.headerValue('retry-after'))).toBeGreaterThan(890);
    expect(await page.locator('[role=alert]').innerText()).toMatch(
      /^Too many failed sign-ins for this operator: try again in 15 minutes, after \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\.$/,
    );
    expect(await page.inputValue('#name')).toBe('alice@example.com');
    expect(await context.cookies()).toEqual([]);
    const screenshot = join(tmpdir(), `falco-event-view-limited-${Date.now()}.png`);
    await page.screenshot({ path: screenshot });
    console.log(`limited sign-in screenshot: ${screenshot}`);
    await context.close();
  });
});

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerEventView } from './event-view.ts';
import { openOperatorTokensFile } from './operator-tokens.ts';
import { createIngestor, type Ingestor } from './server.ts';
import { createTestDatabase, type TestDatabase } from './test-support/database.ts';
import { sidekickEvent } from './test-support/falco-events.ts';
import { createKeyRing, postEvent, type KeyRing } from './test-support/harness.ts';

const ALICE = 'alice-token-0123456789abcdefghijklmnopqrstuvwxyz';
const BOB = 'bob-token-0123456789abcdefghijklmnopqrstuvwxyz';

let db: TestDatabase;
let keys: KeyRing;
let dir: string;
let operatorsFile: string;
const running: Ingestor[] = [];

beforeAll(async () => {
  db = await createTestDatabase('signin');
  keys = await createKeyRing(['k1']);
  dir = await mkdtemp(join(tmpdir(), 'sign-in-limit-'));
  operatorsFile = join(dir, 'operators.json');
  await writeFile(
    operatorsFile,
    JSON.stringify({
      operators: [
        { name: 'alice@example.com', token: ALICE, clusters: ['prod-1'] },
        { name: 'bob@example.com', token: BOB, clusters: ['lab'] },
      ],
    }),
  );
});

afterAll(async () => {
  for (const ingestor of running) await ingestor.close();
  await keys?.remove();
  await db?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** An ingestor with the event view and its default sign-in limits, listening on loopback, its log lines kept. */
async function startViewServer() {
  const stream = new PassThrough();
  let logged = '';
  stream.on('data', (chunk) => (logged += chunk));
  const ingestor = createIngestor({ database: { connectionString: db.url }, verifier: await keys.verifier(), logger: { level: 'info', stream } });
  registerEventView(ingestor, { operators: await openOperatorTokensFile({ file: operatorsFile }) });
  running.push(ingestor);
  const url = await ingestor.start({ host: '127.0.0.1', port: 0 });
  const signIn = (name: string, token: string, headers: Record<string, string> = {}) =>
    fetch(`${url}/view/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams({ name, token }).toString(),
      redirect: 'manual',
      signal: AbortSignal.timeout(10_000),
    });
  const warnings = () =>
    logged
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => line.level === 40);
  return { url, signIn, warnings, logged: () => logged };
}

describe('failed sign-ins on a running ingestor', () => {
  it('refuse the 6th for one operator with 429 and Retry-After, even with the right token; other operators go on until the address limit', async () => {
    const { url, signIn, warnings, logged } = await startViewServer();
    const labEvent = await postEvent(url, sidekickEvent({ rule: 'Lab only rule' }), { token: await keys.token('k1', 'lab') });
    expect(labEvent.status).toBe(201);

    for (let i = 0; i < 5; i++) expect((await signIn('alice@example.com', `wrong-token-${i}`)).status).toBe(401);
    for (const token of ['wrong-token-5', ALICE]) {
      const limited = await signIn('alice@example.com', token);
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(890);
      expect(Number(limited.headers.get('retry-after'))).toBeLessThanOrEqual(900);
      expect(limited.headers.get('set-cookie')).toBeNull();
      expect(await limited.text()).toMatch(/Too many failed sign-ins for this operator: try again in 15 minutes, after \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\./);
    }

    // Another operator from the same address signs in and reads the events.
    const bob = await signIn('bob@example.com', BOB);
    expect(bob.status).toBe(303);
    const cookie = bob.headers.get('set-cookie')!.split(';')[0]!;
    const list = await fetch(`${url}/view`, { headers: { cookie }, signal: AbortSignal.timeout(10_000) });
    expect(await list.text()).toContain(`data-event-id="${labEvent.body.id as string}"`);

    // 5 failures so far from this address; 15 more with other names fill its 20.
    for (const name of ['carol@example.com', 'dave@example.com', 'erin@example.com'])
      for (let i = 0; i < 5; i++) expect((await signIn(name, `wrong-token-${i}`)).status).toBe(401);
    const refused = await signIn('bob@example.com', BOB);
    expect(refused.status).toBe(429);
    expect(await refused.text()).toContain('Too many failed sign-ins from this address');
    // The ingestor takes the connection's address and no header: X-Forwarded-For does not lift the limit.
    expect((await signIn('bob@example.com', BOB, { 'x-forwarded-for': '203.0.113.9' })).status).toBe(429);
    // The API's tokens are counted against the same address.
    const api = await fetch(`${url}/api/operator`, { headers: { authorization: `Bearer ${BOB}` }, signal: AbortSignal.timeout(10_000) });
    expect(api.status).toBe(429);
    expect(Number(api.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await api.json()).toMatchObject({ error: { code: 'VIEW_SIGN_IN_LIMITED', retryAt: expect.stringMatching(/Z$/) } });

    // One warning per limited name or address, though each was tried again; the known name only, and never a token.
    expect(warnings().map((line) => [line.limit, line.address, line.operator ?? null])).toEqual([
      ['operator', '127.0.0.1', 'alice@example.com'],
      ['operator', '127.0.0.1', null],
      ['operator', '127.0.0.1', null],
      ['address', '127.0.0.1', null],
      ['operator', '127.0.0.1', null],
    ]);
    expect(logged()).not.toMatch(/wrong-token|alice-token|bob-token|carol|dave|erin/);
  });

  it('counts concurrent guesses one by one: no more than 5 are ever checked', async () => {
    const { signIn } = await startViewServer();
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => signIn('alice@example.com', `concurrent-guess-${i}`)));
    const statuses = answers.map((answer) => answer.status);
    expect(statuses.filter((status) => status === 401)).toHaveLength(5);
    expect(statuses.filter((status) => status === 429)).toHaveLength(35);
  });
});

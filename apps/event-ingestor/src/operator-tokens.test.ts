import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { IngestorErrorCode } from './errors.ts';
import { openOperatorTokensFile, parseOperatorTokens } from './operator-tokens.ts';
import { checkCsrfToken, csrfToken, issueSession, verifySession } from './view-session.ts';

const alice = 'a'.repeat(40);
const bob = 'b'.repeat(40);
const file = (operators: unknown[]) => JSON.stringify({ operators });

describe('operator tokens', () => {
  it('authenticate a token to its operator and clusters; a token digest works like the token', () => {
    const directory = parseOperatorTokens(
      file([
        { name: 'alice', token: alice, clusters: ['prod-2', 'prod-1', 'prod-1'] },
        { name: 'bob', tokenSha256: createHash('sha256').update(bob).digest('hex'), clusters: ['*'] },
      ]),
      'ops.json',
    );
    expect(directory.authenticate(alice)?.operator).toEqual({ name: 'alice', clusters: ['prod-1', 'prod-2'] });
    expect(directory.authenticate(bob)?.operator).toEqual({ name: 'bob', clusters: 'all' });
    expect(directory.authenticate('c'.repeat(40))).toBeUndefined();
    expect(directory.authenticate('')).toBeUndefined();
  });

  it.each([
    ['not JSON', '{'],
    ['no list', '{"operators":{}}'],
    ['an extra key', JSON.stringify({ operators: [], admins: [] })],
    ['a short token', file([{ name: 'a', token: 'short', clusters: ['x'] }])],
    ['both token forms', file([{ name: 'a', token: alice, tokenSha256: 'f'.repeat(64), clusters: ['x'] }])],
    ['no clusters', file([{ name: 'a', token: alice, clusters: [] }])],
    ['a bad cluster name', file([{ name: 'a', token: alice, clusters: ['Prod EU'] }])],
    ['"*" among others', file([{ name: 'a', token: alice, clusters: ['*', 'x'] }])],
    [
      'a duplicate name',
      file([
        { name: 'a', token: alice, clusters: ['x'] },
        { name: 'a', token: bob, clusters: ['x'] },
      ]),
    ],
    [
      'a shared token',
      file([
        { name: 'a', token: alice, clusters: ['x'] },
        { name: 'b', token: alice, clusters: ['x'] },
      ]),
    ],
    ['an unknown key', file([{ name: 'a', token: alice, clusters: ['x'], role: 'admin' }])],
  ])('refuse a file with %s, naming the file', (_case, text) => {
    expect(() => parseOperatorTokens(text, 'ops.json')).toThrow(
      expect.objectContaining({ code: IngestorErrorCode.OperatorTokens, message: expect.stringMatching(/^ops\.json: /) }),
    );
  });

  it('re-read the file when it changes, and keep the last good operators when it turns invalid', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'operators-'));
    const path = join(dir, 'operators.json');
    try {
      await writeFile(path, file([{ name: 'alice', token: alice, clusters: ['x'] }]));
      const events: boolean[] = [];
      const tokens = await openOperatorTokensFile({ file: path, checkIntervalMs: 0, onReload: (e) => events.push(e.ok) });
      expect((await tokens.current()).authenticate(bob)).toBeUndefined();
      await writeFile(path, file([{ name: 'bob', token: bob, clusters: ['y'] }]));
      expect((await tokens.current()).authenticate(bob)?.operator.name).toBe('bob');
      await writeFile(path, 'not json at all');
      expect((await tokens.current()).authenticate(bob)?.operator.name).toBe('bob');
      expect(events).toEqual([true, false]);
      await expect(openOperatorTokensFile({ file: join(dir, 'missing.json') })).rejects.toMatchObject({ code: IngestorErrorCode.OperatorTokens });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('view sessions', () => {
  const directory = parseOperatorTokens(file([{ name: 'alice', token: alice, clusters: ['x'] }]), 'ops.json');
  const entry = directory.authenticate(alice)!;
  const now = Date.parse('2026-05-01T12:00:00Z');

  it('hold no token, verify until they expire, and end when the token changes', () => {
    const session = issueSession(entry, now, 60);
    expect(session).not.toContain(alice);
    expect(verifySession(session, directory, now + 59_000)?.operator.name).toBe('alice');
    expect(verifySession(session, directory, now + 60_000)).toBeUndefined();
    const rotated = parseOperatorTokens(file([{ name: 'alice', token: bob, clusters: ['x'] }]), 'ops.json');
    expect(verifySession(session, rotated, now)).toBeUndefined();
    const [name, expires, signature] = session.split('.');
    expect(verifySession(`${name}.${Number(expires) + 3600}.${signature}`, directory, now)).toBeUndefined();
    expect(verifySession(`${Buffer.from('mallory').toString('base64url')}.${expires}.${signature}`, directory, now)).toBeUndefined();
  });

  it('tie the anti-CSRF token to the session', () => {
    const session = issueSession(entry, now);
    expect(checkCsrfToken(entry, session, csrfToken(entry, session))).toBe(true);
    expect(checkCsrfToken(entry, session, csrfToken(entry, issueSession(entry, now + 1000)))).toBe(false);
    expect(checkCsrfToken(entry, session, undefined)).toBe(false);
    expect(checkCsrfToken(entry, session, '')).toBe(false);
  });
});

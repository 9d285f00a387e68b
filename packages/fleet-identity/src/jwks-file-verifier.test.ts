import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FleetIdentityErrorCode } from './errors.ts';
import { createJwksFileVerifier, type KeySetReload } from './jwks-file-verifier.ts';
import { buildJwks, renderJwks } from './jwks.ts';
import { generateClusterKeyPair, readSigningKey, type SigningKey } from './keys.ts';
import { issueClusterToken } from './token.ts';

let a: SigningKey;
let b: SigningKey;
let c: SigningKey;
let dir: string;
let file: string;
let clock: number;
let reloads: KeySetReload[];

beforeAll(async () => {
  const key = async () => readSigningKey((await generateClusterKeyPair()).privateKeyPem);
  [a, b, c] = await Promise.all([key(), key(), key()]);
});
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fleet-jwks-'));
  file = join(dir, 'jwks.json');
  clock = Date.parse('2026-05-01T12:00:00Z');
  reloads = [];
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

// Like a Kubernetes Secret update: the new content appears under the same name in one step.
async function publish(...keys: SigningKey[]): Promise<void> {
  await writeFile(`${file}.tmp`, renderJwks(buildJwks(keys.map((key) => key.publicJwk))));
  await rename(`${file}.tmp`, file);
}

const token = async (key: SigningKey) =>
  (await issueClusterToken({ cluster: 'edge-7', key, issuer: 'corp', audience: 'ingestor', ttl: 3600, now: new Date(clock) })).token;
const verifier = () =>
  createJwksFileVerifier({
    file,
    issuer: 'corp',
    audience: 'ingestor',
    checkIntervalMs: 1000,
    unknownKeyReloadIntervalMs: 10_000,
    now: () => clock,
    onReload: (e) => reloads.push(e),
  });

describe('createJwksFileVerifier', () => {
  it('follows rotation: a new key is accepted and a removed key refused, without a restart', async () => {
    await publish(a);
    const v = await verifier();
    expect((await v.verify(await token(a))).cluster).toBe('edge-7');

    await publish(a, b);
    clock += 1000;
    expect((await v.verify(await token(b))).kid).toBe(b.kid);
    expect(v.status().keyIds).toEqual([a.kid, b.kid]);

    await publish(b);
    clock += 1000;
    await expect(v.verify(await token(a))).rejects.toMatchObject({ code: FleetIdentityErrorCode.UnknownKey });
    expect(reloads).toEqual([
      { ok: true, file, keyIds: [a.kid, b.kid] },
      { ok: true, file, keyIds: [b.kid] },
    ]);
  });

  it('remembers a verified token only while its key is in force and it has not expired', async () => {
    await publish(a, b);
    const v = await verifier();
    const same = await token(a);
    const first = await v.verify(same);
    expect(await v.verify(same)).toBe(first);
    // Past the expiry and the clock skew allowed.
    clock += 3661_000;
    await expect(v.verify(same)).rejects.toMatchObject({ code: FleetIdentityErrorCode.Expired });

    const fresh = await token(a);
    await v.verify(fresh);
    await publish(b);
    clock += 1000;
    await expect(v.verify(fresh)).rejects.toMatchObject({ code: FleetIdentityErrorCode.UnknownKey });
  });

  it('re-reads at once for an unknown key id, but at most once per interval', async () => {
    await publish(a);
    const v = await verifier();
    await publish(a, b);
    // Within the check interval: only the unknown key id makes it look.
    expect((await v.verify(await token(b))).kid).toBe(b.kid);

    await publish(a, b, c);
    clock += 500;
    await expect(v.verify(await token(c))).rejects.toMatchObject({ code: FleetIdentityErrorCode.UnknownKey });
    expect(reloads).toHaveLength(1);
    clock += 1000;
    expect((await v.verify(await token(c))).kid).toBe(c.kid);
  });

  it('keeps the last good keys when the file turns invalid or disappears, and says why', async () => {
    await publish(a);
    const v = await verifier();
    await writeFile(file, '{"keys": [');
    clock += 1000;
    expect((await v.verify(await token(a))).kid).toBe(a.kid);
    expect(v.status().lastError?.code).toBe(FleetIdentityErrorCode.InvalidJwks);
    expect(reloads).toEqual([{ ok: false, file, error: expect.objectContaining({ code: FleetIdentityErrorCode.InvalidJwks }) }]);

    await rm(file);
    clock += 1000;
    expect((await v.verify(await token(a))).kid).toBe(a.kid);
    expect(v.status().lastError?.code).toBe(FleetIdentityErrorCode.KeySetUnavailable);

    await publish(a, b);
    clock += 1000;
    expect((await v.verify(await token(b))).kid).toBe(b.kid);
    expect(v.status().lastError).toBeUndefined();
  });

  it('fails at creation on a missing or invalid file', async () => {
    await expect(verifier()).rejects.toMatchObject({ code: FleetIdentityErrorCode.KeySetUnavailable, category: 'operational' });
    await writeFile(file, JSON.stringify({ keys: [{ ...a.publicJwk, d: 'secret' }] }));
    await expect(verifier()).rejects.toMatchObject({ code: FleetIdentityErrorCode.InvalidJwks, category: 'input' });
  });

  it('shares one read among concurrent requests that find the file changed', async () => {
    await publish(a);
    const v = await verifier();
    await publish(a, b);
    clock += 1000;
    const tokens = await Promise.all(Array.from({ length: 20 }, () => token(b)));
    const results = await Promise.all(tokens.map((t) => v.verify(t)));
    expect(results.every((r) => r.kid === b.kid)).toBe(true);
    expect(reloads).toHaveLength(1);
  });
});

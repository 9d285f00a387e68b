import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FleetIdentityErrorCode } from './errors.ts';
import { readSigningKeyFile, readVerificationKeyFile, writeKeyPair } from './key-files.ts';
import { generateClusterKeyPair } from './keys.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fleet-keys-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('key files', () => {
  it('writes the private key readable by its owner only, and reads both halves back to the same key id', async () => {
    const pair = await generateClusterKeyPair({ algorithm: 'EdDSA' });
    const written = await writeKeyPair(join(dir, 'a', 'nested'), pair);
    expect((await stat(written.privateKeyFile)).mode & 0o777).toBe(0o600);
    expect((await stat(written.publicKeyFile)).mode & 0o777).toBe(0o644);
    expect(await readFile(written.privateKeyFile, 'utf8')).toBe(pair.privateKeyPem);
    expect((await readSigningKeyFile(written.privateKeyFile)).kid).toBe(pair.kid);
    expect((await readVerificationKeyFile(written.publicKeyFile)).kid).toBe(pair.kid);
  });

  it('never overwrites an existing pair', async () => {
    const first = await generateClusterKeyPair();
    const target = join(dir, 'b');
    const written = await writeKeyPair(target, first);
    await expect(writeKeyPair(target, await generateClusterKeyPair())).rejects.toMatchObject({ code: FleetIdentityErrorCode.KeyExists, category: 'input' });
    expect(await readFile(written.privateKeyFile, 'utf8')).toBe(first.privateKeyPem);
    expect(await readFile(written.publicKeyFile, 'utf8')).toBe(first.publicKeyPem);
  });

  it('says which file it cannot read', async () => {
    await expect(readSigningKeyFile(join(dir, 'absent.pem'))).rejects.toMatchObject({
      code: FleetIdentityErrorCode.InvalidKey,
      message: `cannot read ${join(dir, 'absent.pem')}`,
    });
  });
});

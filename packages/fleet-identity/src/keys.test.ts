import { createHash, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FleetIdentityErrorCode } from './errors.ts';
import { generateClusterKeyPair, readSigningKey, readVerificationKey, SIGNING_ALGORITHMS } from './keys.ts';

// RFC 7638 by hand: SHA-256 over the required members in lexicographic order, no whitespace, base64url.
function thumbprint(members: Record<string, string>): string {
  const json = `{${Object.keys(members)
    .sort()
    .map((name) => `"${name}":"${members[name]}"`)
    .join(',')}}`;
  return createHash('sha256').update(json).digest('base64url');
}

describe('key pairs', () => {
  it.each(SIGNING_ALGORITHMS)('generates %s pairs as PEM whose key id is the RFC 7638 thumbprint of the public key', async (algorithm) => {
    const pair = await generateClusterKeyPair({ algorithm });
    expect(pair.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(pair.publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    const { kty, crv, x, y } = pair.publicJwk;
    const required = kty === 'EC' ? { crv, kty, x, y: y! } : { crv, kty, x };
    expect(pair.kid).toBe(thumbprint(required));
    expect(pair.publicJwk).toMatchObject({ alg: algorithm, use: 'sig', kid: pair.kid });
    // The same key read back from either half gives the same id.
    expect((await readSigningKey(pair.privateKeyPem)).kid).toBe(pair.kid);
    expect((await readVerificationKey(pair.publicKeyPem)).kid).toBe(pair.kid);
  });

  it('gives every new pair its own key id', async () => {
    const [a, b] = await Promise.all([generateClusterKeyPair(), generateClusterKeyPair()]);
    expect(a.algorithm).toBe('ES256');
    expect(a.kid).not.toBe(b.kid);
  });

  it('refuses keys that cannot sign cluster tokens, and private keys where a public one belongs', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const pair = await generateClusterKeyPair({ algorithm: 'EdDSA' });
    await expect(readSigningKey(rsa, 'rsa.pem')).rejects.toMatchObject({ code: FleetIdentityErrorCode.InvalidKey, message: 'rsa.pem is a rsa key' });
    await expect(readSigningKey(p384, 'p384.pem')).rejects.toMatchObject({
      code: FleetIdentityErrorCode.InvalidKey,
      message: 'p384.pem is an EC key on secp384r1',
    });
    await expect(readSigningKey(pair.publicKeyPem, 'public.pem')).rejects.toMatchObject({ code: FleetIdentityErrorCode.InvalidKey, category: 'input' });
    await expect(readVerificationKey(pair.privateKeyPem, 'private.pem')).rejects.toMatchObject({
      code: FleetIdentityErrorCode.InvalidKey,
      message: 'private.pem is a private key',
    });
    await expect(readVerificationKey('not a key', 'junk.pem')).rejects.toMatchObject({ code: FleetIdentityErrorCode.InvalidKey });
    await expect(generateClusterKeyPair({ algorithm: 'HS256' as never })).rejects.toMatchObject({ code: FleetIdentityErrorCode.UnsupportedAlgorithm });
  });
});

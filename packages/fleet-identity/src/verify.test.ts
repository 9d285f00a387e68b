import { createHmac } from 'node:crypto';
import { SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { FleetIdentityErrorCode, type FleetIdentityErrorCode as Code } from './errors.ts';
import { buildJwks, importKeySet, type KeySet } from './jwks.ts';
import { generateClusterKeyPair, readSigningKey, type SigningKey } from './keys.ts';
import { issueClusterToken } from './token.ts';
import { verifyClusterToken, type VerificationPolicy } from './verify.ts';

const policy: VerificationPolicy = { issuer: 'corp', audience: 'ingestor' };
const now = new Date('2026-05-01T12:00:00Z');
let es: SigningKey;
let ed: SigningKey;
let outsider: SigningKey;
let keySet: KeySet;

beforeAll(async () => {
  const key = async (algorithm: 'ES256' | 'EdDSA') => readSigningKey((await generateClusterKeyPair({ algorithm })).privateKeyPem);
  [es, ed, outsider] = await Promise.all([key('ES256'), key('EdDSA'), key('ES256')]);
  keySet = await importKeySet(buildJwks([es.publicJwk, ed.publicJwk]));
});

const issue = (key: SigningKey, extra: { cluster?: string; ttl?: number; issuer?: string; audience?: string; now?: Date } = {}) =>
  issueClusterToken({ cluster: 'prod-1', key, ttl: 3600, issuer: 'corp', audience: 'ingestor', now, ...extra }).then((t) => t.token);

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const claims = { iss: 'corp', aud: 'ingestor', sub: 'prod-1', cluster: 'prod-1', iat: now.getTime() / 1000, exp: now.getTime() / 1000 + 600, jti: 'j1' };

async function refusal(token: string, at = now, p = policy): Promise<Code> {
  try {
    await verifyClusterToken(token, keySet, p, at);
  } catch (error) {
    expect((error as { category: string }).category).toBe('verification');
    return (error as { code: Code }).code;
  }
  throw new Error('the token was accepted');
}

describe('verifyClusterToken', () => {
  it('accepts tokens of every key in the set and returns the cluster the token names', async () => {
    for (const key of [es, ed]) {
      const verified = await verifyClusterToken(await issue(key), keySet, policy, now);
      expect(verified).toMatchObject({
        cluster: 'prod-1',
        kid: key.kid,
        algorithm: key.algorithm,
        issuer: 'corp',
        audience: 'ingestor',
        expiresAt: new Date('2026-05-01T13:00:00Z'),
      });
    }
  });

  it('tolerates a small clock skew and no more', async () => {
    const token = await issue(es, { ttl: 600 });
    const expiry = now.getTime() + 600_000;
    await expect(verifyClusterToken(token, keySet, policy, new Date(expiry + 30_000))).resolves.toMatchObject({ cluster: 'prod-1' });
    expect(await refusal(token, new Date(expiry + 61_000))).toBe(FleetIdentityErrorCode.Expired);
    expect(await refusal(token, new Date(expiry + 10_000), { ...policy, clockSkewSeconds: 5 })).toBe(FleetIdentityErrorCode.Expired);
    expect(await refusal(await issue(es, { now: new Date(now.getTime() + 120_000) }))).toBe(FleetIdentityErrorCode.NotYetValid);
  });

  it('refuses unknown keys, removed keys, altered tokens, other issuers and audiences', async () => {
    expect(await refusal(await issue(outsider))).toBe(FleetIdentityErrorCode.UnknownKey);
    const revoked = await importKeySet(buildJwks([ed.publicJwk]));
    await expect(verifyClusterToken(await issue(es), revoked, policy, now)).rejects.toMatchObject({ code: FleetIdentityErrorCode.UnknownKey });
    const [header, , signature] = (await issue(es)).split('.');
    expect(await refusal(`${header}.${b64({ ...claims, cluster: 'other', sub: 'other' })}.${signature}`)).toBe(FleetIdentityErrorCode.BadSignature);
    expect(await refusal(await issue(es, { issuer: 'someone-else' }))).toBe(FleetIdentityErrorCode.WrongIssuer);
    expect(await refusal(await issue(es, { audience: 'another-service' }))).toBe(FleetIdentityErrorCode.WrongAudience);
  });

  it('refuses "none", HMAC, an algorithm other than the key\'s, and tokens without a key id', async () => {
    expect(await refusal(`${b64({ alg: 'none', kid: es.kid })}.${b64(claims)}.`)).toBe(FleetIdentityErrorCode.MalformedToken);
    expect(await refusal(`${b64({ alg: 'none', kid: es.kid })}.${b64(claims)}.AAAA`)).toBe(FleetIdentityErrorCode.AlgorithmRefused);
    // HS256 keyed with the public key: the classic confusion attack.
    const input = `${b64({ alg: 'HS256', kid: es.kid, typ: 'JWT' })}.${b64(claims)}`;
    const mac = createHmac('sha256', JSON.stringify(es.publicJwk)).update(input).digest('base64url');
    expect(await refusal(`${input}.${mac}`)).toBe(FleetIdentityErrorCode.AlgorithmRefused);
    const edSignedAsEs = await new SignJWT(claims).setProtectedHeader({ alg: 'EdDSA', kid: es.kid, typ: 'JWT' }).sign(ed.privateKey);
    expect(await refusal(edSignedAsEs)).toBe(FleetIdentityErrorCode.AlgorithmRefused);
    expect(await refusal(await new SignJWT(claims).setProtectedHeader({ alg: 'ES256', typ: 'JWT' }).sign(es.privateKey))).toBe(
      FleetIdentityErrorCode.MalformedToken,
    );
    expect(await refusal(await issue(ed), now, { ...policy, algorithms: ['ES256'] })).toBe(FleetIdentityErrorCode.AlgorithmRefused);
  });

  it('refuses tokens that do not name exactly one valid cluster', async () => {
    const sign = (payload: Record<string, unknown>) => new SignJWT(payload).setProtectedHeader({ alg: 'ES256', kid: es.kid, typ: 'JWT' }).sign(es.privateKey);
    const { cluster: _c, ...withoutCluster } = claims;
    expect(await refusal(await sign(withoutCluster))).toBe(FleetIdentityErrorCode.InvalidClaims);
    expect(await refusal(await sign({ ...claims, sub: 'prod-2' }))).toBe(FleetIdentityErrorCode.InvalidClaims);
    expect(await refusal(await sign({ ...claims, cluster: 'Prod 1', sub: 'Prod 1' }))).toBe(FleetIdentityErrorCode.InvalidClaims);
    const { exp: _e, ...withoutExpiry } = claims;
    expect(await refusal(await sign(withoutExpiry))).toBe(FleetIdentityErrorCode.InvalidClaims);
    expect(await refusal(await sign({ ...claims, aud: ['ingestor', 'other'] }))).toBe(FleetIdentityErrorCode.InvalidClaims);
  });

  it.each(['', 'abc', 'a.b', 'a.b.c.d', `${'a'.repeat(5000)}.b.c`, 'e30.e30.!!'])('refuses the malformed token %j', async (token) => {
    expect(await refusal(token)).toBe(FleetIdentityErrorCode.MalformedToken);
  });
});

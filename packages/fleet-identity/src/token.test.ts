import { decodeJwt, decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import { DEFAULT_AUDIENCE, DEFAULT_ISSUER } from './claims.ts';
import { FleetIdentityErrorCode } from './errors.ts';
import { generateClusterKeyPair, readSigningKey } from './keys.ts';
import { issueClusterToken, MAX_TOKEN_TTL_SECONDS } from './token.ts';

const signingKey = async (algorithm: 'ES256' | 'EdDSA' = 'ES256') => readSigningKey((await generateClusterKeyPair({ algorithm })).privateKeyPem);

describe('issueClusterToken', () => {
  it('signs a JWT naming the cluster, with the key id in the header', async () => {
    const key = await signingKey('EdDSA');
    const now = new Date('2026-03-01T10:00:00Z');
    const issued = await issueClusterToken({ cluster: 'prod-eu-1', key, ttl: 3600, issuer: 'corp-security', audience: 'corp-ingestor', now });
    expect(decodeProtectedHeader(issued.token)).toEqual({ alg: 'EdDSA', kid: key.kid, typ: 'JWT' });
    const claims = decodeJwt(issued.token);
    expect(claims).toEqual({
      iss: 'corp-security',
      aud: 'corp-ingestor',
      sub: 'prod-eu-1',
      cluster: 'prod-eu-1',
      iat: 1772359200,
      exp: 1772359200 + 3600,
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    expect(issued).toMatchObject({ kid: key.kid, algorithm: 'EdDSA', expiresAt: new Date('2026-03-01T11:00:00Z'), claims });
  });

  it('defaults to 90 days for the default issuer and audience, with a fresh token id each time', async () => {
    const key = await signingKey();
    const now = new Date('2026-01-01T00:00:00Z');
    const [a, b] = await Promise.all([issueClusterToken({ cluster: 'c1', key, now }), issueClusterToken({ cluster: 'c1', key, now })]);
    expect(a.expiresAt).toEqual(new Date('2026-04-01T00:00:00Z'));
    expect(a.claims).toMatchObject({ iss: DEFAULT_ISSUER, aud: DEFAULT_AUDIENCE });
    expect(a.claims.jti).not.toBe(b.claims.jti);
  });

  it.each(['', 'Prod', 'a b', '-lead', 'trail-', 'x'.repeat(254), 'café', 'a/b'])('refuses the cluster name %j', async (cluster) => {
    await expect(issueClusterToken({ cluster, key: await signingKey() })).rejects.toMatchObject({
      code: FleetIdentityErrorCode.InvalidCluster,
      category: 'input',
    });
  });

  it.each([0, -5, 1.5, MAX_TOKEN_TTL_SECONDS + 1, Number.NaN])('refuses the lifetime %d', async (ttl) => {
    await expect(issueClusterToken({ cluster: 'c1', key: await signingKey(), ttl })).rejects.toMatchObject({ code: FleetIdentityErrorCode.InvalidTtl });
  });
});

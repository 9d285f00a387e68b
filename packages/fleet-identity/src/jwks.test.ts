import { describe, expect, it } from 'vitest';
import { FleetIdentityErrorCode } from './errors.ts';
import { buildJwks, importKeySet, parseJwks, renderJwks } from './jwks.ts';
import { generateClusterKeyPair } from './keys.ts';

describe('JWKS documents', () => {
  it('hold several public keys in the order given, each once, and read back to the same keys', async () => {
    const [a, b] = await Promise.all([generateClusterKeyPair(), generateClusterKeyPair({ algorithm: 'EdDSA' })]);
    const jwks = buildJwks([a.publicJwk, b.publicJwk, a.publicJwk]);
    expect(jwks.keys.map((key) => key.kid)).toEqual([a.kid, b.kid]);
    const text = renderJwks(jwks);
    expect(text.endsWith('}\n')).toBe(true);
    expect(text).not.toContain('"d"');
    expect(await parseJwks(text)).toEqual(jwks);
    const keySet = await importKeySet(jwks);
    expect([...keySet.keys.keys()]).toEqual([a.kid, b.kid]);
    expect(keySet.keys.get(b.kid)!.algorithm).toBe('EdDSA');
  });

  it('refuse private members, wrong key ids, repeated keys, foreign algorithms and shapes, with the key named', async () => {
    const a = await generateClusterKeyPair();
    const good = { ...a.publicJwk };
    const cases: [unknown, RegExp][] = [
      ['not json', /is not JSON/],
      [{ keys: {} }, /has no "keys" array/],
      [{ keys: [{ ...good, d: 'AAAA' }] }, /keys\[0\] has members a public ES256 key does not have: d/],
      [{ keys: [{ ...good, kid: 'made-up' }] }, /keys\[0\]\.kid "made-up" is not the key's thumbprint/],
      [{ keys: [good, good] }, /keys\[1\] repeats key/],
      [{ keys: [{ ...good, alg: 'RS256' }] }, /keys\[0\]\.alg is "RS256"/],
      [{ keys: [{ ...good, alg: 'EdDSA' }] }, /keys\[0\] is not a OKP Ed25519 key as EdDSA needs/],
      [{ keys: [{ ...good, use: 'enc' }] }, /keys\[0\]\.use is "enc"/],
      [{ keys: [{ ...good, x: 'not base64url!' }] }, /keys\[0\]\.x is not a base64url string/],
      [{ keys: ['key'] }, /keys\[0\] is not an object/],
    ];
    for (const [document, message] of cases) {
      const text = typeof document === 'string' ? document : JSON.stringify(document);
      await expect(parseJwks(text, 'jwks.json'), text).rejects.toMatchObject({
        code: FleetIdentityErrorCode.InvalidJwks,
        message: expect.stringMatching(message),
      });
    }
  });

  it('refuse coordinates that are not a point of the curve', async () => {
    const a = await generateClusterKeyPair();
    const offCurve = { ...a.publicJwk, y: a.publicJwk.x };
    await expect(importKeySet({ keys: [offCurve] })).rejects.toMatchObject({ code: FleetIdentityErrorCode.InvalidJwks });
  });
});

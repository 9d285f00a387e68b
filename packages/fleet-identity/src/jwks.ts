import { importJWK } from 'jose';
import type { KeyObject, webcrypto } from 'node:crypto';
import { FleetIdentityError, FleetIdentityErrorCode } from './errors.ts';
import { isSigningAlgorithm, keyIdOf, SIGNING_ALGORITHMS, type PublicJwk, type SigningAlgorithm } from './keys.ts';

/** A JWKS document (RFC 7517): every key a verifier accepts. Rotation adds a key; revocation removes one. */
export interface JsonWebKeySet {
  keys: PublicJwk[];
}

/** The verification keys of a JWKS, imported once, by key id. */
export interface KeySet {
  readonly keys: ReadonlyMap<string, { algorithm: SigningAlgorithm; key: webcrypto.CryptoKey | KeyObject }>;
}

// The members each key type carries; anything else (above all a private `d`) is refused.
const KEY_SHAPES = {
  ES256: { kty: 'EC', crv: 'P-256', members: ['kty', 'crv', 'x', 'y', 'kid', 'alg', 'use', 'key_ops'] },
  EdDSA: { kty: 'OKP', crv: 'Ed25519', members: ['kty', 'crv', 'x', 'kid', 'alg', 'use', 'key_ops'] },
} as const;

/** A JWKS of the given public keys, in the order given; the same key given twice appears once. */
export function buildJwks(keys: readonly PublicJwk[]): JsonWebKeySet {
  const seen = new Set<string>();
  const out: PublicJwk[] = [];
  for (const key of keys) {
    if (seen.has(key.kid)) continue;
    seen.add(key.kid);
    out.push(
      key.kty === 'EC'
        ? { kty: key.kty, crv: key.crv, x: key.x, y: key.y!, kid: key.kid, alg: key.alg, use: 'sig' }
        : { kty: key.kty, crv: key.crv, x: key.x, kid: key.kid, alg: key.alg, use: 'sig' },
    );
  }
  return { keys: out };
}

/** The JWKS as the file verifiers read: pretty JSON ending with a newline. */
export function renderJwks(jwks: JsonWebKeySet): string {
  return `${JSON.stringify(jwks, null, 2)}\n`;
}

/**
 * Reads a JWKS document and checks every key: a supported algorithm matching its key type, a key id equal to the key's
 * RFC 7638 thumbprint, no private members, no key id twice. `source` names the document in errors.
 */
export async function parseJwks(text: string, source = 'the JWKS'): Promise<JsonWebKeySet> {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (cause) {
    throw invalid(source, 'is not JSON', cause);
  }
  if (typeof document !== 'object' || document === null || !Array.isArray((document as { keys?: unknown }).keys)) {
    throw invalid(source, 'has no "keys" array');
  }
  const keys: PublicJwk[] = [];
  const seen = new Set<string>();
  for (const [index, entry] of (document as { keys: unknown[] }).keys.entries()) {
    const at = `keys[${index}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw invalid(source, `${at} is not an object`);
    const jwk = entry as Record<string, unknown>;
    if (!isSigningAlgorithm(jwk.alg)) throw invalid(source, `${at}.alg is ${JSON.stringify(jwk.alg)}, not one of ${SIGNING_ALGORITHMS.join(', ')}`);
    const shape = KEY_SHAPES[jwk.alg];
    if (jwk.kty !== shape.kty || jwk.crv !== shape.crv) throw invalid(source, `${at} is not a ${shape.kty} ${shape.crv} key as ${jwk.alg} needs`);
    const extra = Object.keys(jwk).filter((member) => !(shape.members as readonly string[]).includes(member));
    if (extra.length > 0) throw invalid(source, `${at} has members a public ${jwk.alg} key does not have: ${extra.join(', ')}`);
    if (jwk.use !== undefined && jwk.use !== 'sig') throw invalid(source, `${at}.use is ${JSON.stringify(jwk.use)}, not "sig"`);
    const coordinates = shape.kty === 'EC' ? ['x', 'y'] : ['x'];
    for (const member of coordinates) {
      if (typeof jwk[member] !== 'string' || !/^[A-Za-z0-9_-]+$/.test(jwk[member])) throw invalid(source, `${at}.${member} is not a base64url string`);
    }
    const key = (
      shape.kty === 'EC'
        ? { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y, kid: jwk.kid, alg: jwk.alg, use: 'sig' }
        : { kty: 'OKP', crv: 'Ed25519', x: jwk.x, kid: jwk.kid, alg: jwk.alg, use: 'sig' }
    ) as PublicJwk;
    const thumbprint = await keyIdOf(key);
    if (jwk.kid !== thumbprint) throw invalid(source, `${at}.kid ${JSON.stringify(jwk.kid)} is not the key's thumbprint ${thumbprint}`);
    if (seen.has(thumbprint)) throw invalid(source, `${at} repeats key ${thumbprint}`);
    seen.add(thumbprint);
    keys.push(key);
  }
  return { keys };
}

/** Imports every key of a JWKS for verification; a key whose coordinates are not a point of its curve is refused. */
export async function importKeySet(jwks: JsonWebKeySet, source = 'the JWKS'): Promise<KeySet> {
  const keys = new Map<string, { algorithm: SigningAlgorithm; key: webcrypto.CryptoKey | KeyObject }>();
  for (const [index, jwk] of jwks.keys.entries()) {
    try {
      const { kid: _kid, use: _use, alg, ...members } = jwk;
      const key = await importJWK(members, alg);
      if (key instanceof Uint8Array) throw new TypeError('a symmetric key');
      keys.set(jwk.kid, { algorithm: alg, key });
    } catch (cause) {
      throw invalid(source, `keys[${index}] is not a usable ${jwk.alg} public key`, cause);
    }
  }
  return { keys };
}

function invalid(source: string, what: string, cause?: unknown): FleetIdentityError {
  return new FleetIdentityError(
    FleetIdentityErrorCode.InvalidJwks,
    `${source} ${what}`,
    'write the JWKS from the public keys with the JWKS builder of falco-airgap; publish only public keys',
    cause,
  );
}

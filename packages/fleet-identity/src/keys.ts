import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint } from 'jose';
import { FleetIdentityError, FleetIdentityErrorCode } from './errors.ts';

/** The signature algorithms cluster tokens may use: ECDSA on P-256 (the default) and Ed25519. */
export const SIGNING_ALGORITHMS = ['ES256', 'EdDSA'] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];
export const DEFAULT_SIGNING_ALGORITHM: SigningAlgorithm = 'ES256';

export function isSigningAlgorithm(value: unknown): value is SigningAlgorithm {
  return typeof value === 'string' && (SIGNING_ALGORITHMS as readonly string[]).includes(value);
}

/** The public half of a signing key as published in a JWKS: the members RFC 7638 hashes, plus `kid`, `alg` and `use`. */
export interface PublicJwk {
  kty: 'EC' | 'OKP';
  crv: 'P-256' | 'Ed25519';
  x: string;
  /** Only for EC keys. */
  y?: string;
  /** RFC 7638 SHA-256 thumbprint of the key, base64url. */
  kid: string;
  alg: SigningAlgorithm;
  use: 'sig';
}

/** A private key ready to sign cluster tokens, with the key id verifiers know it by. */
export interface SigningKey {
  algorithm: SigningAlgorithm;
  kid: string;
  privateKey: KeyObject;
  publicJwk: PublicJwk;
}

/** A new key pair as PEM text (PKCS#8 private, SPKI public) and its key id. */
export interface ClusterKeyPair {
  algorithm: SigningAlgorithm;
  kid: string;
  privateKeyPem: string;
  publicKeyPem: string;
  publicJwk: PublicJwk;
}

/** Generates a signing key pair; its key id is derived from the public key, so the same key always has the same id. */
export async function generateClusterKeyPair(options: { algorithm?: SigningAlgorithm } = {}): Promise<ClusterKeyPair> {
  const algorithm = options.algorithm ?? DEFAULT_SIGNING_ALGORITHM;
  if (!isSigningAlgorithm(algorithm)) throw unsupportedAlgorithm(String(algorithm));
  const { privateKey, publicKey } = algorithm === 'ES256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('ed25519');
  const publicJwk = await publicJwkOf(publicKey, 'the generated key');
  return {
    algorithm,
    kid: publicJwk.kid,
    privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    publicJwk,
  };
}

/** Reads a PEM private key (as written by `generateClusterKeyPair`); `source` names it in errors. */
export async function readSigningKey(pem: string, source = 'the private key'): Promise<SigningKey> {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: pem, format: 'pem' });
  } catch (cause) {
    throw new FleetIdentityError(
      FleetIdentityErrorCode.InvalidKey,
      `${source} is not an unencrypted PEM private key`,
      'give the private key written by key generation (PKCS#8 PEM, ES256 or EdDSA); a public key cannot sign',
      cause,
    );
  }
  const publicJwk = await publicJwkOf(createPublicKey(privateKey), source);
  return { algorithm: publicJwk.alg, kid: publicJwk.kid, privateKey, publicJwk };
}

/** Reads a PEM public key into the JWK a JWKS publishes; a private key is refused so it is never handed around by mistake. */
export async function readVerificationKey(pem: string, source = 'the public key'): Promise<PublicJwk> {
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) {
    throw new FleetIdentityError(
      FleetIdentityErrorCode.InvalidKey,
      `${source} is a private key`,
      'give the public key of the pair (public.pem); private keys stay with whoever issues tokens',
    );
  }
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: pem, format: 'pem' });
  } catch (cause) {
    throw new FleetIdentityError(
      FleetIdentityErrorCode.InvalidKey,
      `${source} is not a PEM public key`,
      'give the public key written by key generation (SPKI PEM)',
      cause,
    );
  }
  return publicJwkOf(publicKey, source);
}

/** RFC 7638 thumbprint (SHA-256, base64url) of a public key's required JWK members: the key id of that key. */
export async function keyIdOf(jwk: Pick<PublicJwk, 'kty' | 'crv' | 'x' | 'y'>): Promise<string> {
  return calculateJwkThumbprint(jwk.kty === 'EC' ? { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y! } : { kty: jwk.kty, crv: jwk.crv, x: jwk.x }, 'sha256');
}

async function publicJwkOf(publicKey: KeyObject, source: string): Promise<PublicJwk> {
  const algorithm = algorithmOf(publicKey, source);
  const exported = publicKey.export({ format: 'jwk' });
  const members =
    algorithm === 'ES256'
      ? { kty: 'EC' as const, crv: 'P-256' as const, x: exported.x!, y: exported.y! }
      : { kty: 'OKP' as const, crv: 'Ed25519' as const, x: exported.x! };
  return { ...members, kid: await keyIdOf(members), alg: algorithm, use: 'sig' };
}

function algorithmOf(key: KeyObject, source: string): SigningAlgorithm {
  if (key.asymmetricKeyType === 'ed25519') return 'EdDSA';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ES256';
  const kind = key.asymmetricKeyType === 'ec' ? `an EC key on ${key.asymmetricKeyDetails?.namedCurve ?? 'an unknown curve'}` : `a ${key.asymmetricKeyType} key`;
  throw new FleetIdentityError(
    FleetIdentityErrorCode.InvalidKey,
    `${source} is ${kind}`,
    `cluster tokens are signed with ${SIGNING_ALGORITHMS.join(' or ')}: generate a P-256 or Ed25519 key pair`,
  );
}

export function unsupportedAlgorithm(algorithm: string): FleetIdentityError {
  return new FleetIdentityError(
    FleetIdentityErrorCode.UnsupportedAlgorithm,
    `algorithm ${algorithm} is not supported`,
    `choose one of ${SIGNING_ALGORITHMS.join(', ')} for \`algorithm\``,
  );
}

import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { BundleError, BundleErrorCode } from './errors.ts';

// Signatures in the form `cosign verify-blob --key` checks offline: the base64 of an ASN.1 DER ECDSA
// signature over the SHA-256 of the blob (P-256), or the base64 of a plain Ed25519 signature of the blob.

export const SIGNING_ALGORITHMS = ['ecdsa-p256', 'ed25519'] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

export interface SigningKeyPair {
  algorithm: SigningAlgorithm;
  /** PKCS#8 PEM; keep it private (mode 0600). */
  privateKeyPem: string;
  /** SubjectPublicKeyInfo PEM, the form cosign reads with `--key`. */
  publicKeyPem: string;
  /** sha256 of the public key's DER, as `sha256:<hex>`: names the key in reports. */
  keyId: string;
}

export function generateSigningKeyPair(algorithm: SigningAlgorithm = 'ecdsa-p256'): SigningKeyPair {
  const { privateKey, publicKey } = algorithm === 'ed25519' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return {
    algorithm,
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    keyId: keyIdOf(publicKey),
  };
}

/** A private key from PEM (PKCS#8, or SEC1 for EC), checked to be P-256 or Ed25519. `what` names it in errors. */
export function readSigningKey(pem: string | Buffer, what: string): KeyObject {
  const text = pem.toString();
  if (text.includes('ENCRYPTED')) {
    throw new BundleError(
      BundleErrorCode.KeyUnsupported,
      `${what} is an encrypted private key`,
      'give an unencrypted PKCS#8 or SEC1 PEM key (generateSigningKeyPair makes one), and keep the file private (mode 0600)',
    );
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(text);
  } catch (cause) {
    throw new BundleError(BundleErrorCode.KeyUnreadable, `${what} is not a PEM private key: ${(cause as Error).message}`, 'give the private key as PEM', {
      cause,
    });
  }
  algorithmOf(key, what);
  return key;
}

/** A public key from PEM (a private key gives its public half). `what` names it in errors. */
export function readVerifyKey(pem: string | Buffer, what: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey(pem.toString());
  } catch (cause) {
    throw new BundleError(
      BundleErrorCode.KeyUnreadable,
      `${what} is not a PEM public key: ${(cause as Error).message}`,
      'give the public key as PEM (-----BEGIN PUBLIC KEY-----)',
      { cause },
    );
  }
  algorithmOf(key, what);
  return key;
}

export function algorithmOf(key: KeyObject, what: string): SigningAlgorithm {
  if (key.asymmetricKeyType === 'ed25519') return 'ed25519';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ecdsa-p256';
  const kind =
    key.asymmetricKeyType === 'ec'
      ? `an EC key on ${key.asymmetricKeyDetails?.namedCurve}`
      : `a${key.asymmetricKeyType === 'rsa' ? 'n' : ''} ${key.asymmetricKeyType} key`;
  throw new BundleError(BundleErrorCode.KeyUnsupported, `${what} is ${kind}`, 'use an ECDSA P-256 or an Ed25519 key');
}

/** sha256 of a key's public DER, as `sha256:<hex>`. */
export function keyIdOf(key: KeyObject): string {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  return `sha256:${createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex')}`;
}

/** The signature file's content for these bytes: base64, no newline. */
export function signBytes(bytes: Uint8Array, privateKey: KeyObject): string {
  const algorithm = algorithmOf(privateKey, 'the signing key');
  const signature = algorithm === 'ed25519' ? sign(null, bytes, privateKey) : sign('sha256', bytes, { key: privateKey, dsaEncoding: 'der' });
  return signature.toString('base64');
}

/** Whether a signature file's content (base64, surrounding whitespace allowed) is a valid signature of the bytes by this key. */
export function verifyBytesSignature(bytes: Uint8Array, signatureText: string | Uint8Array, publicKey: KeyObject): boolean {
  const text = Buffer.from(signatureText).toString('latin1').trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text) || text.length % 4 !== 0) return false;
  const signature = Buffer.from(text, 'base64');
  const algorithm = algorithmOf(publicKey, 'the public key');
  try {
    return algorithm === 'ed25519' ? verify(null, bytes, publicKey, signature) : verify('sha256', bytes, { key: publicKey, dsaEncoding: 'der' }, signature);
  } catch {
    // OpenSSL refuses malformed DER outright; to the caller that is a signature that does not verify.
    return false;
  }
}

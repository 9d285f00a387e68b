import type { RegistryClient, RepositoryLocation } from '@falco-airgap/oci';
import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { ExtractError, ExtractErrorCode } from './errors.ts';

/** How cosign stores a key-based signature in a registry. */
export const CosignFormat = {
  /** Media type of a layer holding a simple-signing payload. */
  simpleSigningMediaType: 'application/vnd.dev.cosign.simplesigning.v1+json',
  /** Layer annotation carrying the base64 signature over the payload. */
  signatureAnnotation: 'dev.cosignproject.cosign/signature',
  /** Artifact type of a signature stored as an OCI 1.1 referrer. */
  signatureArtifactType: 'application/vnd.dev.cosign.artifact.sig.v1+json',
  /** `critical.type` of a payload that signs a manifest digest. */
  payloadType: 'cosign container image signature',
} as const;

/** Signature manifests and layers looked at per artifact; more is not a signature, it is noise. */
const MAX_SIGNATURE_MANIFESTS = 16;
const MAX_SIGNATURE_LAYERS = 16;
const MAX_PAYLOAD_BYTES = 64 * 1024;

/** A public key signatures are checked against, with the fingerprint the lock records. */
export interface SignatureKey {
  /** `sha256:` and the hex sha256 of the DER SubjectPublicKeyInfo. */
  fingerprint: string;
  /** `ecdsa-p256`, `ed25519`, ... for messages. */
  algorithm: string;
  key: KeyObject;
}

/** Where a verified signature was found and which key verified it. */
export interface VerifiedSignature {
  keyFingerprint: string;
  /** `tag`: cosign's `sha256-<hex>.sig` tag; `referrers`: an OCI 1.1 referrer of the artifact. */
  foundVia: 'tag' | 'referrers';
  /** Digest of the signature manifest. */
  signatureDigest: string;
}

/** Parses a PEM public key (ECDSA or Ed25519, as `cosign generate-key-pair` and `import-key-pair` write them). */
export function parseSignatureKey(pem: string | Uint8Array, source: string): SignatureKey {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(pem), format: 'pem' });
  } catch (cause) {
    throw new ExtractError(
      ExtractErrorCode.SignatureKey,
      `${source} is not a PEM public key: ${(cause as Error).message}`,
      'pass `signatureKey` with the PEM public key of the signer (cosign.pub)',
      cause,
    );
  }
  const curve = key.asymmetricKeyDetails?.namedCurve;
  const algorithm = key.asymmetricKeyType === 'ed25519' ? 'ed25519' : key.asymmetricKeyType === 'ec' ? `ecdsa-${curveName(curve)}` : undefined;
  if (!algorithm) {
    throw new ExtractError(
      ExtractErrorCode.SignatureKey,
      `${source} is a ${key.asymmetricKeyType} key; signatures are checked with ECDSA or Ed25519 keys`,
      'pass `signatureKey` with an ECDSA (cosign generate-key-pair) or Ed25519 public key',
    );
  }
  const der = key.export({ type: 'spki', format: 'der' });
  return { fingerprint: `sha256:${createHash('sha256').update(der).digest('hex')}`, algorithm, key };
}

/** Reads and parses a PEM public key file. */
export async function readSignatureKey(file: string): Promise<SignatureKey> {
  const pem = await readFile(file).catch((cause: NodeJS.ErrnoException) => {
    throw new ExtractError(
      ExtractErrorCode.SignatureKey,
      `cannot read the signature key ${file}: ${cause.code ?? cause.message}`,
      'pass `signatureKey` with a readable PEM file',
      cause,
    );
  });
  return parseSignatureKey(pem, file);
}

function curveName(curve: string | undefined): string {
  return curve === 'prime256v1' ? 'p256' : curve === 'secp384r1' ? 'p384' : curve === 'secp521r1' ? 'p521' : (curve ?? 'unknown');
}

/** What one payload and its signature say, checked against the key and the digest they must sign. */
export type SignatureCheck = { ok: true } | { ok: false; reason: 'signature' | 'payload' | 'subject'; detail: string };

/**
 * Checks one cosign simple-signing signature: the signature over the payload bytes (ECDSA with
 * SHA-256 as cosign signs; Ed25519 pure, or Ed25519ph as `cosign sign` signs with Ed25519 keys),
 * then that the payload signs `digest`.
 */
export async function checkSimpleSigning(payload: Uint8Array, signatureBase64: string, key: SignatureKey, digest: string): Promise<SignatureCheck> {
  const signature = Buffer.from(signatureBase64, 'base64');
  let valid: boolean;
  try {
    valid = key.algorithm === 'ed25519' ? await verifyEd25519(payload, key.key, signature) : verify('sha256', payload, key.key, signature);
  } catch (cause) {
    return { ok: false, reason: 'signature', detail: `the signature does not decode (${(cause as Error).message})` };
  }
  if (!valid) return { ok: false, reason: 'signature', detail: 'the signature does not verify with the key' };
  let document: unknown;
  try {
    document = JSON.parse(Buffer.from(payload).toString('utf8'));
  } catch {
    return { ok: false, reason: 'payload', detail: 'the signed payload is not JSON' };
  }
  const critical = (document as { critical?: { type?: unknown; image?: { 'docker-manifest-digest'?: unknown } } } | null)?.critical;
  if (critical?.type !== CosignFormat.payloadType) {
    return { ok: false, reason: 'payload', detail: `the signed payload is not a "${CosignFormat.payloadType}"` };
  }
  const signed = critical.image?.['docker-manifest-digest'];
  if (signed !== digest) return { ok: false, reason: 'subject', detail: `the signature signs ${String(signed)}, not ${digest}` };
  return { ok: true };
}

async function verifyEd25519(payload: Uint8Array, key: KeyObject, signature: Buffer): Promise<boolean> {
  if (verify(null, payload, key, signature)) return true;
  // Node has no Ed25519ph (RFC 8032 prehashed variant); the raw 32-byte key is the JWK's x. Loaded only
  // here: evaluating the curve library costs tens of milliseconds, which every extract would otherwise pay.
  const { ed25519ph } = await import('@noble/curves/ed25519.js');
  const raw = Buffer.from(key.export({ format: 'jwk' }).x!, 'base64url');
  return signature.length === 64 && ed25519ph.verify(signature, payload, raw);
}

interface Candidate {
  foundVia: VerifiedSignature['foundVia'];
  digest: string;
  size: number | undefined;
}

/**
 * Finds the cosign signatures of `digest` (the `.sig` tag and OCI 1.1 referrers) and returns the
 * first that `key` verifies over a payload naming `digest`; refuses when there is none.
 */
export async function verifyArtifactSignature(
  client: RegistryClient,
  location: RepositoryLocation,
  digest: string,
  key: SignatureKey,
  what: string,
  signal?: AbortSignal,
): Promise<VerifiedSignature> {
  const [tagged, referred] = await Promise.all([
    client.headManifest(location, `${digest.replace(':', '-')}.sig`, signal),
    client.referrers(location, digest, { artifactType: CosignFormat.signatureArtifactType, signal }),
  ]);
  const candidates: Candidate[] = [
    ...(tagged ? [{ foundVia: 'tag' as const, digest: tagged.digest, size: tagged.size > 0 ? tagged.size : undefined }] : []),
    ...referred.descriptors.map((d) => ({ foundVia: 'referrers' as const, digest: d.digest, size: d.size })),
  ].slice(0, MAX_SIGNATURE_MANIFESTS);
  const failures: { reason: 'signature' | 'payload' | 'subject'; detail: string }[] = [];
  for (const candidate of candidates) {
    const manifest = await client.manifest(location, candidate.digest, candidate.size, signal);
    if (manifest.document.kind !== 'manifest') continue;
    const layers = manifest.document.layers
      .filter((l) => l.mediaType === CosignFormat.simpleSigningMediaType && l.annotations?.[CosignFormat.signatureAnnotation])
      .slice(0, MAX_SIGNATURE_LAYERS);
    for (const layer of layers) {
      const payload = await client.readBlob(location, layer, { signal, maxBytes: MAX_PAYLOAD_BYTES });
      const check = await checkSimpleSigning(payload, layer.annotations![CosignFormat.signatureAnnotation]!, key, digest);
      if (check.ok) return { keyFingerprint: key.fingerprint, foundVia: candidate.foundVia, signatureDigest: candidate.digest };
      failures.push(check);
    }
  }
  if (!failures.length) {
    throw new ExtractError(
      ExtractErrorCode.SignatureMissing,
      `${what} (${digest}) has no cosign signature: no ${digest.replace(':', '-')}.sig tag and no signature referrer`,
      'sign it (cosign sign --key) or remove `signatureKey` if this source is not signed',
    );
  }
  const subject = failures.find((f) => f.reason === 'subject');
  if (subject) {
    throw new ExtractError(
      ExtractErrorCode.SignatureSubjectMismatch,
      `${what}: a signature by key ${key.fingerprint} was found, but ${subject.detail}`,
      'a signature copied from another artifact proves nothing about this one; do not use it, and have the publisher sign this digest',
    );
  }
  throw new ExtractError(
    ExtractErrorCode.SignatureInvalid,
    `${what} (${digest}): ${plural(failures.length, 'signature')} found, none verifies with key ${key.fingerprint} (${failures[0]!.detail})`,
    "check that `signatureKey` is the publisher's public key; a signature that does not verify means the artifact or its signature was altered",
  );
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** Verifies each artifact digest once per run, however many items (platforms, re-checks) share it. */
export class SignatureChecks {
  readonly #client: RegistryClient;
  readonly #key: SignatureKey;
  readonly #signal: AbortSignal | undefined;
  readonly #checked = new Map<string, Promise<VerifiedSignature>>();

  constructor(client: RegistryClient, key: SignatureKey, signal?: AbortSignal) {
    this.#client = client;
    this.#key = key;
    this.#signal = signal;
  }

  verify(location: RepositoryLocation, digest: string, what: string): Promise<VerifiedSignature> {
    const id = `${location.registry}/${location.repository}@${digest}`;
    let pending = this.#checked.get(id);
    if (!pending) {
      pending = verifyArtifactSignature(this.#client, location, digest, this.#key, what, this.#signal);
      this.#checked.set(id, pending);
    }
    return pending;
  }
}

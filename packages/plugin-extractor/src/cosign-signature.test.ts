import { parseLock } from '@falco-airgap/manifest';
import { createRegistryClient, type RegistryClient } from '@falco-airgap/oci';
import { ed25519ph } from '@noble/curves/ed25519.js';
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CosignFormat, checkSimpleSigning, parseSignatureKey, verifyArtifactSignature, type SignatureKey } from './cosign-signature.ts';
import { isExtractError } from './errors.ts';
import {
  blob,
  FakeRegistry,
  HOST,
  imageIndex,
  imageManifest,
  manifestOf,
  pluginArtifact,
  pluginEntry,
  pluginRepo,
  releaseTags,
  rulesArtifact,
  rulesEntry,
  rulesRepo,
  runExtract,
  scratch,
  type Scratch,
} from './test-support/harness.ts';

interface KeyPair {
  privateKey: KeyObject;
  publicPem: string;
  key: SignatureKey;
}

function keyPair(type: 'ec' | 'ed25519'): KeyPair {
  const { privateKey, publicKey } = type === 'ec' ? generateKeyPairSync('ec', { namedCurve: 'prime256v1' }) : generateKeyPairSync('ed25519');
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  return { privateKey, publicPem, key: parseSignatureKey(publicPem, 'cosign.pub') };
}

function payloadFor(reference: string, digest: string): Buffer {
  return Buffer.from(
    JSON.stringify({
      critical: { identity: { 'docker-reference': reference }, image: { 'docker-manifest-digest': digest }, type: CosignFormat.payloadType },
      optional: null,
    }),
  );
}

function signPayload(privateKey: KeyObject, payload: Buffer): string {
  return sign(privateKey.asymmetricKeyType === 'ed25519' ? null : 'sha256', payload, privateKey).toString('base64');
}

interface SignOptions {
  /** Where the signature goes: cosign's .sig tag, a referrer (API or tag schema index). */
  via: 'tag' | 'referrer';
  /** The digest the payload names; the artifact's by default. */
  payloadDigest?: string;
  /** Replaces the signature annotation, e.g. with a tampered one. */
  signature?: (good: string) => string;
}

/** Stores a cosign-style signature of `digest` the way cosign lays it out. */
function storeSignature(registry: FakeRegistry, repository: string, digest: string, signer: KeyObject, options: SignOptions): string {
  const payload = payloadFor(`${HOST}/${repository}`, options.payloadDigest ?? digest);
  const good = signPayload(signer, payload);
  const layer = blob(CosignFormat.simpleSigningMediaType, payload, {
    annotations: { [CosignFormat.signatureAnnotation]: options.signature?.(good) ?? good },
  });
  const referrer = options.via === 'referrer';
  const config = blob(referrer ? CosignFormat.signatureArtifactType : 'application/vnd.oci.image.config.v1+json', Buffer.from('{}'));
  const subject = referrer ? { mediaType: 'application/vnd.oci.image.index.v1+json', digest, size: 1 } : undefined;
  const manifest = imageManifest({ config: config.descriptor, layers: [layer.descriptor], ...(subject ? { subject } : {}) });
  const tag = referrer ? [] : [`${digest.replace(':', '-')}.sig`];
  registry.push(repository, { root: manifest, manifests: [], blobs: [config, layer] }, tag);
  if (referrer && !registry.referrersApi) {
    // The referrers tag schema, as cosign keeps it on registries without the API.
    const index = imageIndex({ manifests: [{ ...manifest.descriptor, artifactType: CosignFormat.signatureArtifactType }] });
    registry.push(repository, { root: index, manifests: [manifest], blobs: [] }, [digest.replace(':', '-')]);
  }
  return manifest.descriptor.digest;
}

describe('cosign signatures', () => {
  let registry: FakeRegistry;
  let client: RegistryClient;
  let digest: string;
  const location = { registry: HOST, repository: pluginRepo('k8saudit') };
  const ec = keyPair('ec');
  const ed = keyPair('ed25519');

  beforeEach(async () => {
    registry = new FakeRegistry(HOST);
    const artifact = pluginArtifact('k8saudit', '0.18.0');
    registry.push(location.repository, artifact, releaseTags('0.18.0'));
    digest = artifact.root.descriptor.digest;
    client = await createRegistryClient({ transport: registry.transport, retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 2 } });
  });

  it('fingerprints a key by its DER public key and refuses what is not an ECDSA or Ed25519 public key', () => {
    expect(ec.key).toMatchObject({ algorithm: 'ecdsa-p256', fingerprint: expect.stringMatching(/^sha256:[a-f0-9]{64}$/) });
    expect(ed.key.algorithm).toBe('ed25519');
    expect(parseSignatureKey(ec.publicPem, 'again').fingerprint).toBe(ec.key.fingerprint);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    for (const bad of [rsa, 'not a key']) {
      try {
        parseSignatureKey(bad, 'bad.pub');
        expect.unreachable();
      } catch (error) {
        expect(isExtractError(error, 'EXTRACT_SIGNATURE_KEY')).toBe(true);
        expect((error as { category: string }).category).toBe('input');
      }
    }
  });

  it('checks the signature over the payload bytes, then the digest the payload names', async () => {
    const payload = payloadFor('x', digest);
    const good = signPayload(ec.privateKey, payload);
    expect(await checkSimpleSigning(payload, good, ec.key, digest)).toEqual({ ok: true });
    expect(await checkSimpleSigning(payload, good, ed.key, digest)).toMatchObject({ ok: false, reason: 'signature' });
    expect(await checkSimpleSigning(Buffer.concat([payload, Buffer.from(' ')]), good, ec.key, digest)).toMatchObject({ ok: false, reason: 'signature' });
    expect(await checkSimpleSigning(payload, good, ec.key, `sha256:${'0'.repeat(64)}`)).toMatchObject({ ok: false, reason: 'subject' });
    const d = Buffer.from(ed.privateKey.export({ format: 'jwk' }).d!, 'base64url');
    expect(await checkSimpleSigning(payload, Buffer.from(ed25519ph.sign(payload, d)).toString('base64'), ed.key, digest)).toEqual({ ok: true });
    expect(await checkSimpleSigning(payload, Buffer.from(ed25519ph.sign(Buffer.from('other'), d)).toString('base64'), ed.key, digest)).toMatchObject({
      ok: false,
      reason: 'signature',
    });
    const notCosign = Buffer.from('{"critical":{"type":"something else"}}');
    expect(await checkSimpleSigning(notCosign, signPayload(ec.privateKey, notCosign), ec.key, digest)).toMatchObject({ ok: false, reason: 'payload' });
  });

  it.each([
    ['the .sig tag', 'tag', false, 'tag'],
    ['the referrers API', 'referrer', true, 'referrers'],
    ['the referrers tag schema where the registry has no API', 'referrer', false, 'referrers'],
  ] as const)('finds and verifies a signature by %s', async (_name, via, api, foundVia) => {
    registry.referrersApi = api;
    const signatureDigest = storeSignature(registry, location.repository, digest, ed.privateKey, { via });
    expect(await verifyArtifactSignature(client, location, digest, ed.key, 'k8saudit')).toEqual({
      keyFingerprint: ed.key.fingerprint,
      foundVia,
      signatureDigest,
    });
    expect(registry.log.some((r) => r.path.includes('/referrers/') && r.status === (api ? 200 : 404))).toBe(true);
  });

  it.each([
    ['no signature', undefined, 'EXTRACT_SIGNATURE_MISSING'],
    [
      'a signature by another key',
      (r: FakeRegistry) => storeSignature(r, location.repository, digest, ed.privateKey, { via: 'tag' }),
      'EXTRACT_SIGNATURE_INVALID',
    ],
    [
      'a tampered signature',
      (r: FakeRegistry) => storeSignature(r, location.repository, digest, ec.privateKey, { via: 'tag', signature: (s) => `${s.slice(0, 10)}A${s.slice(11)}` }),
      'EXTRACT_SIGNATURE_INVALID',
    ],
    [
      'a valid signature of another digest',
      (r: FakeRegistry) => storeSignature(r, location.repository, digest, ec.privateKey, { via: 'tag', payloadDigest: `sha256:${'1'.repeat(64)}` }),
      'EXTRACT_SIGNATURE_SUBJECT_MISMATCH',
    ],
  ] as const)('refuses %s (verification failure)', async (_name, setup, code) => {
    setup?.(registry);
    const error = await verifyArtifactSignature(client, location, digest, ec.key, 'k8saudit').catch((e: unknown) => e);
    expect(isExtractError(error, code)).toBe(true);
    expect((error as { category: string }).category).toBe('verification');
  });
});

describe('extract with a signature key', () => {
  let registry: FakeRegistry;
  let area: Scratch;
  const signer = keyPair('ec');
  const other = keyPair('ec');
  const plugin = pluginArtifact('k8saudit', '0.18.0');
  const rules = rulesArtifact('falco-rules', '5.1.0');
  const manifest = manifestOf([pluginEntry('k8saudit', '0.18.0')], [rulesEntry('falco-rules', '5.1.0')]);

  beforeEach(async () => {
    registry = new FakeRegistry(HOST);
    registry.push(pluginRepo('k8saudit'), plugin, releaseTags('0.18.0'));
    registry.push(rulesRepo('falco-rules'), rules, releaseTags('5.1.0'));
    area = await scratch();
  });
  afterEach(() => area.cleanup());

  it('records in the lock which key verified which signature, and checks again on the run that has nothing else to do', async () => {
    const pluginSignature = storeSignature(registry, pluginRepo('k8saudit'), plugin.root.descriptor.digest, signer.privateKey, { via: 'tag' });
    const rulesSignature = storeSignature(registry, rulesRepo('falco-rules'), rules.root.descriptor.digest, signer.privateKey, { via: 'referrer' });
    await runExtract(registry, area, manifest);
    const unsignedLock = await readFile(join(area.out, 'plugins-lock.yaml'), 'utf8');
    expect(unsignedLock).not.toContain('signature');

    const signed = await runExtract(registry, area, manifest, { signatureKey: signer.key });
    expect(signed.lockStatus).toBe('written');
    const lock = parseLock(await readFile(join(area.out, 'plugins-lock.yaml'), 'utf8'));
    expect(lock.plugins[0]!.signature).toEqual({ keyFingerprint: signer.key.fingerprint, foundVia: 'tag', signatureDigest: pluginSignature });
    expect(lock.rulesfiles[0]!.signature).toEqual({ keyFingerprint: signer.key.fingerprint, foundVia: 'referrers', signatureDigest: rulesSignature });

    const again = await runExtract(registry, area, manifest, { signatureKey: signer.key, locked: true });
    expect(again.lockStatus).toBe('unchanged');
    const refused = await runExtract(registry, area, manifest, { signatureKey: other.key }).catch((e: unknown) => e);
    expect(isExtractError(refused, 'EXTRACT_SIGNATURE_INVALID')).toBe(true);
  });

  it('refuses an unsigned artifact before any layer is downloaded, and writes nothing', async () => {
    storeSignature(registry, rulesRepo('falco-rules'), rules.root.descriptor.digest, signer.privateKey, { via: 'tag' });
    const error = await runExtract(registry, area, manifest, { signatureKey: signer.key }).catch((e: unknown) => e);
    expect(isExtractError(error, 'EXTRACT_SIGNATURE_MISSING')).toBe(true);
    expect((error as Error).message).toContain('plugin k8saudit 0.18.0');
    const layers = [...plugin.blobs, ...rules.blobs].filter((b) => b.descriptor.mediaType.includes('layer')).map((b) => b.descriptor.digest);
    expect(registry.log.filter((r) => r.method === 'GET' && layers.some((d) => r.path.endsWith(d)))).toEqual([]);
    await expect(stat(join(area.out, 'plugins-lock.yaml'))).rejects.toThrow(/ENOENT/);
  });
});

import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OciErrorCode } from './errors.ts';
import { MediaType } from './media-types.ts';
import { pushArtifact, type PushableArtifact, type RegistryClient, type RepositoryLocation } from './oci-client.ts';

/** How a test reaches one registry: its host, and clients with good, wrong or no credentials. */
export interface RegistryTarget {
  registry: string;
  /** Whether the registry refuses a client without credentials. */
  requiresCredentials: boolean;
  connect(setup: { cacheDir?: string; credentials?: 'valid' | 'wrong' | 'none' }): Promise<RegistryClient>;
  close?(): Promise<void>;
}

const sha256 = (bytes: Uint8Array) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

async function failure(call: Promise<unknown>): Promise<unknown> {
  try {
    await call;
  } catch (error) {
    return error;
  }
  throw new Error('the call succeeded, but the contract expects it to fail');
}

/** Bytes no other run pushed: every test starts from content the registry has never seen. */
function fresh(size: number): Buffer {
  return randomBytes(size);
}

function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}

/** A one-layer image manifest over fresh content, as bytes and descriptors. */
function sampleImage(layerSize = 2048) {
  const config = json({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256(fresh(8))] } });
  const layer = fresh(layerSize);
  const manifest = json({
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config: { mediaType: MediaType.ociImageConfig, digest: sha256(config), size: config.length },
    layers: [{ mediaType: MediaType.ociLayerTarGzip, digest: sha256(layer), size: layer.length }],
  });
  const artifact: PushableArtifact = {
    root: { descriptor: { mediaType: MediaType.ociManifest, digest: sha256(manifest) }, bytes: manifest },
    manifests: [],
    blobs: [
      { descriptor: { digest: sha256(config) }, bytes: config },
      { descriptor: { digest: sha256(layer) }, bytes: layer },
    ],
  };
  return { artifact, config, layer, manifest };
}

/** An index over one platform manifest, the shape of a falcoctl plugin artifact. */
function sampleIndex() {
  const image = sampleImage();
  const index = json({
    schemaVersion: 2,
    mediaType: MediaType.ociIndex,
    manifests: [
      { mediaType: MediaType.ociManifest, digest: sha256(image.manifest), size: image.manifest.length, platform: { architecture: 'amd64', os: 'linux' } },
    ],
  });
  const artifact: PushableArtifact = {
    root: { descriptor: { mediaType: MediaType.ociIndex, digest: sha256(index) }, bytes: index },
    manifests: [image.artifact.root],
    blobs: image.artifact.blobs,
  };
  return { artifact, image, index };
}

/**
 * What our registry client must get right against every registry it talks to, run against the
 * in-memory fake and the real testbed registries alike, so the fake the unit tests rely on cannot
 * drift from a real server.
 */
export function describeRegistryContract(name: string, open: () => Promise<RegistryTarget>): void {
  describe(`registry contract: ${name}`, () => {
    let target: RegistryTarget;
    let client: RegistryClient;
    let cacheDir: string;
    // Repositories of this run only, so the real registries' earlier content changes nothing.
    const run = `oci-contract/${process.pid}-${Date.now().toString(36)}`;
    const at = (repository: string): RepositoryLocation => ({ registry: target.registry, repository: `${run}/${repository}` });

    beforeAll(async () => {
      target = await open();
      cacheDir = await mkdtemp(join(tmpdir(), 'oci-contract-'));
      client = await target.connect({ cacheDir, credentials: 'valid' });
    });
    afterAll(async () => {
      await client?.close();
      await target?.close?.();
      if (cacheDir) await rm(cacheDir, { recursive: true, force: true });
    });

    it('uploads a blob in one request; HEAD finds it afterwards and not before', async () => {
      const location = at('monolithic');
      const bytes = fresh(3000);
      expect(await client.blobExists(location, sha256(bytes))).toBe(false);
      expect(await client.putBlob(location, bytes)).toEqual({ digest: sha256(bytes), size: bytes.length });
      expect(await client.blobExists(location, sha256(bytes))).toBe(true);
      expect(await client.readBlob(location, { digest: sha256(bytes), size: bytes.length })).toEqual(bytes);
    });

    it('uploads a blob in PATCH chunks and the registry holds the whole of it', async () => {
      const location = at('chunked');
      const bytes = fresh(3500);
      await client.putBlob(location, bytes, { chunkSize: 1024 });
      const fetched = await client.fetchBlob(location, { mediaType: 'application/octet-stream', digest: sha256(bytes), size: bytes.length });
      expect(fetched.downloaded).toBe(true);
      expect(await readFile(fetched.path)).toEqual(bytes);
    });

    it('pushes a manifest by tag, resolves it by tag and by digest, and pulls what it names, verified', async () => {
      const location = at('image');
      const { artifact, config, layer, manifest } = sampleImage();
      const report = await pushArtifact(client, location, artifact, ['1.0.0', 'latest']);
      expect(report).toEqual({ digest: sha256(manifest), blobsUploaded: 2, blobsMounted: 0, manifestsWritten: 0, tagsWritten: ['1.0.0', 'latest'] });

      const byTag = await client.resolve({ ...location, tag: '1.0.0', digest: undefined });
      expect(byTag.digest).toBe(sha256(manifest));
      expect(byTag.bytes).toEqual(manifest);
      expect(byTag.document).toMatchObject({ kind: 'manifest', mediaType: MediaType.ociManifest });
      const byDigest = await client.resolve({ ...location, tag: undefined, digest: sha256(manifest) });
      expect(byDigest.bytes).toEqual(manifest);
      expect(await client.headManifest(location, 'latest')).toEqual({ digest: sha256(manifest), size: manifest.length, mediaType: MediaType.ociManifest });
      expect((await client.tags(location)).sort()).toEqual(['1.0.0', 'latest']);

      if (byTag.document.kind !== 'manifest') throw new Error('expected a manifest');
      expect(await client.readBlob(location, byTag.document.config)).toEqual(config);
      const pulled = await client.fetchBlob(location, byTag.document.layers[0]!);
      expect(await readFile(pulled.path)).toEqual(layer);
      expect(await client.fetchBlob(location, byTag.document.layers[0]!)).toMatchObject({ downloaded: false });
    });

    it('pushes an index over its platform manifests; a second push writes nothing, a moved tag is rewritten', async () => {
      const location = at('index');
      const { artifact, image, index } = sampleIndex();
      expect(await pushArtifact(client, location, artifact, ['1.0.0'])).toMatchObject({ blobsUploaded: 2, manifestsWritten: 1, tagsWritten: ['1.0.0'] });
      const root = await client.resolve({ ...location, tag: '1.0.0', digest: undefined });
      expect(root).toMatchObject({ digest: sha256(index), document: { kind: 'index', manifests: [{ digest: sha256(image.manifest) }] } });
      expect((await client.manifest(location, sha256(image.manifest), image.manifest.length)).document.kind).toBe('manifest');

      expect(await pushArtifact(client, location, artifact, ['1.0.0'])).toEqual({
        digest: sha256(index),
        blobsUploaded: 0,
        blobsMounted: 0,
        manifestsWritten: 0,
        tagsWritten: [],
      });
      const next = sampleIndex();
      expect((await pushArtifact(client, location, next.artifact, ['1.0.0'])).tagsWritten).toEqual(['1.0.0']);
      expect((await client.resolve({ ...location, tag: '1.0.0', digest: undefined })).digest).toBe(sha256(next.index));
    });

    it('mounts a blob from another repository of the registry instead of uploading it', async () => {
      const source = at('mount-source');
      const destination = at('mount-destination');
      const bytes = fresh(4096);
      await client.putBlob(source, bytes);
      expect(await client.pushBlob(destination, bytes, { mountFrom: source.repository })).toEqual({
        digest: sha256(bytes),
        size: bytes.length,
        outcome: 'mounted',
      });
      expect(await client.blobExists(destination, sha256(bytes))).toBe(true);
      expect((await client.pushBlob(destination, bytes, { mountFrom: source.repository })).outcome).toBe('present');
      const absent = fresh(100);
      expect((await client.pushBlob(destination, absent, { mountFrom: source.repository })).outcome).toBe('uploaded');
      expect(await client.readBlob(destination, { digest: sha256(absent) })).toEqual(absent);
    });

    it('refuses content whose digest does not match its bytes, and stores nothing', async () => {
      const location = at('lying');
      const bytes = fresh(500);
      const claimed = sha256(fresh(500));
      const blob = await failure(client.putBlob(location, bytes, { digest: claimed }));
      expect(blob).toMatchObject({ code: OciErrorCode.DigestMismatch, category: 'verification' });
      expect(await client.blobExists(location, claimed)).toBe(false);
      const chunked = await failure(client.putBlob(location, fresh(3000), { digest: claimed, chunkSize: 1024 }));
      expect(chunked).toMatchObject({ code: OciErrorCode.DigestMismatch });

      const { artifact, manifest } = sampleImage();
      await pushArtifact(client, location, artifact, []);
      const wrongManifest = await failure(client.putManifest(location, sha256(fresh(10)), manifest, MediaType.ociManifest));
      expect(wrongManifest).toMatchObject({ code: OciErrorCode.DigestMismatch });
    });

    it('refuses a manifest naming blobs the repository does not hold', async () => {
      const { manifest } = sampleImage();
      const error = await failure(client.putManifest(at('missing-blobs'), 'latest', manifest, MediaType.ociManifest));
      expect(error).toMatchObject({ code: OciErrorCode.BlobUnknown, status: 400 });
    });

    it('verifies what it pulls: a descriptor that lies about the size is refused and nothing is cached', async () => {
      const location = at('sizes');
      const bytes = fresh(2000);
      await client.putBlob(location, bytes);
      const digest = sha256(bytes);
      const longer = await failure(client.fetchBlob(location, { mediaType: 'application/octet-stream', digest, size: bytes.length + 10 }));
      expect(longer).toMatchObject({ code: OciErrorCode.TruncatedBlob, category: 'verification' });
      const shorter = await failure(client.fetchBlob(location, { mediaType: 'application/octet-stream', digest, size: bytes.length - 10 }));
      expect(shorter).toMatchObject({ code: OciErrorCode.SizeMismatch, category: 'verification' });
      const wrongDigest = await failure(client.readBlob(location, { digest: sha256(fresh(10)) }));
      expect(wrongDigest).toMatchObject({ code: OciErrorCode.BlobUnknown });
    });

    it('reports an unknown tag (input) and an unknown manifest or blob (operational)', async () => {
      const location = at('unknown');
      await pushArtifact(client, location, sampleImage().artifact, ['1.0.0']);
      expect(await failure(client.resolve({ ...location, tag: '9.9.9', digest: undefined }))).toMatchObject({
        code: OciErrorCode.UnknownTag,
        category: 'input',
      });
      expect(await client.headManifest(location, '9.9.9')).toBeUndefined();
      expect(await failure(client.manifest(location, sha256(fresh(10)), undefined))).toMatchObject({
        code: OciErrorCode.ManifestUnknown,
        category: 'operational',
      });
      expect(await client.tags(at('never-pushed'))).toEqual([]);
    });

    it('refuses a client without credentials or with wrong ones', async (test) => {
      if (!target.requiresCredentials) test.skip('this registry serves anyone');
      const location = at('guarded');
      for (const credentials of ['none', 'wrong'] as const) {
        const stranger = await target.connect({ credentials });
        try {
          expect(await failure(stranger.blobExists(location, sha256(fresh(10))))).toMatchObject({ code: OciErrorCode.Unauthorized, category: 'input' });
          expect(await failure(stranger.putBlob(location, fresh(10)))).toMatchObject({ code: OciErrorCode.Unauthorized, category: 'input' });
        } finally {
          await stranger.close();
        }
      }
    });
  });
}

import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { copyArtifact } from './copy.ts';
import { createRegistryClient } from './create-registry-client.ts';
import type { RegistryClient } from './oci-client.ts';
import { FakeRegistry } from './test-support/fake-registry.ts';
import type { HttpTransport } from './transport.ts';

const FAST = { attempts: 3, baseDelayMs: 1, maxDelayMs: 2 };
const digestOf = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
const item = (mediaType: string, bytes: Buffer) => ({ descriptor: { mediaType, digest: digestOf(bytes), size: bytes.length }, bytes });

/** A two-platform index of artifact manifests sharing one config, in the shape falcoctl pushes plugins. */
function twoPlatformArtifact() {
  const config = item('application/vnd.cncf.falco.plugin.config.v1+json', Buffer.from('{"name":"demo","version":"1.0.0"}'));
  const layers = ['amd64', 'arm64'].map((arch) => item('application/vnd.cncf.falco.plugin.layer.v1+tar.gz', Buffer.from(`layer for ${arch}`.repeat(100))));
  const manifests = layers.map((layer) =>
    item(
      'application/vnd.oci.image.manifest.v1+json',
      Buffer.from(
        JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: config.descriptor, layers: [layer.descriptor] }),
      ),
    ),
  );
  const root = item(
    'application/vnd.oci.image.index.v1+json',
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: manifests.map((m, i) => ({ ...m.descriptor, platform: { os: 'linux', architecture: i ? 'arm64' : 'amd64' } })),
      }),
    ),
  );
  return { root, manifests, blobs: [config, ...layers] };
}

describe('copyArtifact', () => {
  let source: FakeRegistry;
  let target: FakeRegistry;
  let client: RegistryClient;
  let cacheDir: string;
  const artifact = twoPlatformArtifact();
  const from = { registry: 'source.test', repository: 'falcosecurity/plugins/plugin/demo' };

  beforeEach(async () => {
    source = new FakeRegistry('source.test');
    target = new FakeRegistry('mirror.test');
    source.push(from.repository, artifact, ['1.0.0']);
    const transport: HttpTransport = (request) => (new URL(request.url).host === 'mirror.test' ? target.transport(request) : source.transport(request));
    cacheDir = await mkdtemp(join(tmpdir(), 'oci-copy-'));
    client = await createRegistryClient({ transport, cacheDir, retry: FAST });
  });
  afterEach(async () => {
    await client.close();
    await rm(cacheDir, { recursive: true, force: true });
  });

  it('copies an index whole to another registry, byte for byte, and a second copy sends nothing', async () => {
    const to = { registry: 'mirror.test', repository: 'mirror/falcosecurity/plugins/plugin/demo' };
    const first = await copyArtifact(client, from, artifact.root.descriptor.digest, to, { tags: ['1.0.0', 'latest'] });
    expect(first).toMatchObject({ blobsUploaded: 3, blobsMounted: 0, blobsPresent: 0, manifestsWritten: 3, tagsWritten: ['1.0.0', 'latest'] });
    for (const m of [artifact.root, ...artifact.manifests]) {
      const stored = target.manifests.get(`${to.repository}@${m.descriptor.digest}`)!;
      expect(Buffer.compare(stored.bytes, m.bytes)).toBe(0);
      expect(stored.mediaType).toBe(m.descriptor.mediaType);
    }
    for (const b of artifact.blobs) expect(target.blobs.get(`${to.repository}@${b.descriptor.digest}`)).toEqual(b.bytes);
    expect(digestOf(target.manifests.get(`${to.repository}:latest`)!.bytes)).toBe(artifact.root.descriptor.digest);

    const writes = target.log.length;
    const second = await copyArtifact(client, from, artifact.root.descriptor.digest, to, { tags: ['1.0.0', 'latest'] });
    expect(second).toMatchObject({ blobsUploaded: 0, blobsPresent: 3, manifestsWritten: 0, tagsWritten: [] });
    expect(target.log.slice(writes).filter((r) => r.method !== 'GET' && r.method !== 'HEAD')).toEqual([]);
  });

  it('mounts blobs within one registry instead of sending them', async () => {
    const to = { registry: 'source.test', repository: 'mirror/demo' };
    const report = await copyArtifact(client, from, artifact.root.descriptor.digest, to, { tags: ['1.0.0'] });
    expect(report).toMatchObject({ blobsMounted: 3, blobsUploaded: 0, bytesUploaded: 0 });
    expect(source.log.filter((r) => r.method === 'GET' && r.path.includes('/blobs/'))).toEqual([]);
    expect(source.blobs.has(`${to.repository}@${artifact.blobs[1]!.descriptor.digest}`)).toBe(true);
  });
});

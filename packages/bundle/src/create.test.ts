import { createRegistryClient, parseImageLayoutIndex } from '@falco-airgap/oci';
import { FakeRegistry } from '@falco-airgap/oci/test-support';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseBundleManifest } from './bundle-manifest.ts';
import { pushBundle } from './load.ts';
import { generateSigningKeyPair, readSigningKey, readVerifyKey } from './signing.ts';
import { buildBundleFixture, createFixtureBundle, type BundleFixture } from './test-support/bundle-fixture.ts';
import { verifyBundle } from './verify.ts';

let root: string;
let fixture: BundleFixture;
const sha256 = (bytes: Uint8Array) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'bundle-create-'));
  fixture = await buildBundleFixture(join(root, 'connected'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

/** The layer of the falco image: a blob only that image has. */
function created0LayerDigest(): string {
  const key = [...fixture.source.blobs.keys()].find((k) => k.startsWith('falco@') && fixture.source.blobs.get(k)!.length > 200)!;
  return key.slice('falco@'.length);
}

describe('createBundle', () => {
  it('writes a directory bundle: the manifest lists every file with its sha256, the layout holds the artifacts as pulled', async () => {
    const created = await createFixtureBundle(fixture, join(root, 'dir-bundle'));
    const dir = created.out;
    const manifest = parseBundleManifest(await readFile(join(dir, 'bundle.json')));
    expect(manifest).toEqual(created.manifest);
    expect(created.digest).toBe(sha256(await readFile(join(dir, 'bundle.json'))));
    for (const file of manifest.files) expect(sha256(await readFile(join(dir, file.path)))).toBe(`sha256:${file.sha256}`);
    expect(manifest.platforms).toEqual(['linux/amd64']);
    expect(manifest.versions).toEqual({
      falcoAirgap: '0.1.0',
      falco: '0.44.1',
      chart: '0.1.0',
      plugins: { k8saudit: '0.18.0' },
      rulesfiles: { 'falco-rules': '5.1.0' },
    });
    const plugin = manifest.artifacts.find((a) => a.name === 'k8saudit')!;
    // The multi-platform index is kept whole, with its original digest.
    expect(plugin).toMatchObject({
      digest: fixture.pluginDigest,
      repository: 'falcosecurity/plugins/plugin/k8saudit',
      platforms: ['linux/amd64', 'linux/arm64'],
    });
    expect(manifest.images.map((i) => [i.name, i.digest])).toEqual([
      ['falco', fixture.imageDigests.falco],
      ['plugin-loader', fixture.imageDigests['falco-plugin-loader']],
    ]);
    const index = parseImageLayoutIndex(await readFile(join(dir, 'oci/index.json')), 'index.json');
    expect(index.manifests.map((d) => d.annotations?.['org.opencontainers.image.ref.name'])).toEqual([
      'falco-plugin-loader:0.44.1',
      'falco:0.44.1',
      'falcosecurity/plugins/plugin/k8saudit:0.18.0',
      'falcosecurity/rules/falco-rules:5.1.0',
    ]);
    expect(await readFile(join(dir, 'oci/oci-layout'), 'utf8')).toBe('{"imageLayoutVersion":"1.0.0"}\n');
    expect(await readdir(join(dir, 'oci'))).toEqual(['blobs', 'index.json', 'oci-layout']);
    // The chart honours .helmignore; the values and the loader are carried.
    const listing = execFileSync('tar', ['-tzf', join(dir, 'chart/falco-airgap-0.1.0.tgz')], { encoding: 'utf8' })
      .trim()
      .split('\n');
    expect(listing).toEqual(['falco-airgap/.helmignore', 'falco-airgap/Chart.yaml', 'falco-airgap/templates/configmap.yaml', 'falco-airgap/values.yaml']);
    expect(manifest.chart?.values).toEqual(['chart/values/01-values-prod.yaml']);
    expect((await stat(join(dir, 'bin/falco-s3-loader'))).mode & 0o777).toBe(0o755);
    expect(await readFile(join(dir, 'plugins/extracted/linux-arm64/libk8saudit.so'))).toEqual(fixture.libraries['linux/arm64']);
    await expect(readdir(`${dir}.partial`)).rejects.toThrow();
  });

  it('gives the same bytes for the same inputs, in an archive and split into parts that join back into it', async () => {
    const first = await createFixtureBundle(fixture, join(root, 'same-1.tar'));
    const second = await createFixtureBundle(fixture, join(root, 'same-2.tar'));
    const bytes = await readFile(first.out);
    expect(await readFile(second.out)).toEqual(bytes);
    expect(first.archiveDigest).toBe(sha256(bytes));
    expect(first.digest).toBe(second.digest);
    // Standard tools read it: every entry a regular file, mode and owner fixed.
    const listing = execFileSync('tar', ['-tvf', first.out], { encoding: 'utf8' }).trim().split('\n');
    expect(listing[0]).toMatch(/^-rw-r--r-- 0\/0 .* bundle\.json$/);
    expect(listing.every((line) => /^-rw[-x]r-[-x]r-[-x] 0\/0 /.test(line))).toBe(true);

    const split = await createFixtureBundle(fixture, join(root, 'split.tar'), { splitSize: 4096 });
    expect(split.parts.length).toBeGreaterThan(3);
    const parts = await Promise.all(split.parts.map((p) => readFile(p)));
    expect(parts.slice(0, -1).every((p) => p.length === 4096)).toBe(true);
    expect(Buffer.concat(parts)).toEqual(bytes);
    expect(split.archiveDigest).toBe(first.archiveDigest);
  });

  it('signs bundle.json; the signature verifies with the public key and the bundle verifies whole', async () => {
    for (const algorithm of ['ecdsa-p256', 'ed25519'] as const) {
      const pair = generateSigningKeyPair(algorithm);
      const created = await createFixtureBundle(fixture, join(root, `signed-${algorithm}.tar`), { signingKey: readSigningKey(pair.privateKeyPem, 'key') });
      expect(created.signature).toEqual({ algorithm, keyId: pair.keyId });
      const verified = await verifyBundle(created.out, { publicKey: readVerifyKey(pair.publicKeyPem, 'key'), platforms: ['linux/amd64'] });
      expect(verified.signature).toEqual({ status: 'verified', algorithm, keyId: pair.keyId });
      expect(verified.digest).toBe(created.digest);
      await verified.close();
    }
  });

  it('reuses what a failed run left in <out>.partial: the second run downloads only what is missing', async () => {
    const out = join(root, 'resumed');
    const layer = created0LayerDigest();
    fixture.source.faults = { status: (request) => (request.method === 'GET' && request.url.endsWith(layer) ? 404 : undefined) };
    await expect(createFixtureBundle(fixture, out)).rejects.toMatchObject({ code: 'OCI_BLOB_UNKNOWN' });
    fixture.source.faults = {};
    expect((await readdir(join(`${out}.partial`, 'oci/blobs/sha256'))).length).toBeGreaterThan(3);
    const before = fixture.source.blobGets();
    const created = await createFixtureBundle(fixture, out);
    expect(fixture.source.blobGets() - before).toBe(1);
    await verifyBundle(created.out);
  });
});

describe('pushBundle', () => {
  it('pushes every image and artifact with its digest unchanged; a second push sends nothing', async () => {
    const created = await createFixtureBundle(fixture, join(root, 'push.tar'), { splitSize: 8192 });
    const verified = await verifyBundle(created.parts[1]!);
    const target = new FakeRegistry('isolated.test');
    const client = await createRegistryClient({ transport: target.transport, chunkSize: 1024 });
    try {
      const first = await pushBundle(verified, client, { registry: 'isolated.test', path: 'mirror' });
      expect(first.artifacts.map((a) => `${a.repository}@${a.digest}`)).toEqual([
        `mirror/falcosecurity/plugins/plugin/k8saudit@${fixture.pluginDigest}`,
        `mirror/falcosecurity/rules/falco-rules@${created.manifest.artifacts[1]!.digest}`,
      ]);
      expect(first.blobs.uploaded).toBeGreaterThan(0);
      for (const entry of [...created.manifest.images, ...created.manifest.artifacts]) {
        const stored = target.manifests.get(`mirror/${entry.repository}:${entry.tags[0]}`)!;
        expect(sha256(stored.bytes)).toBe(entry.digest);
        const original = fixture.source.manifests.get(`${entry.repository}:${entry.tags[0]}`)!;
        expect(stored.bytes).toEqual(original.bytes);
      }
      for (const [key, bytes] of fixture.source.blobs) {
        const [repository, digest] = key.split('@') as [string, string];
        expect(target.blobs.get(`mirror/${repository}@${digest}`)).toEqual(bytes);
      }
      const uploads = target.log.filter((r) => r.method === 'PUT' || r.method === 'PATCH').length;
      const second = await pushBundle(verified, client, { registry: 'isolated.test', path: 'mirror' });
      expect(second.blobs).toEqual({ uploaded: 0, mounted: 0, present: first.blobs.uploaded + first.blobs.mounted + first.blobs.present });
      expect(second.manifestsWritten + second.tagsWritten).toBe(0);
      expect(target.log.filter((r) => r.method === 'PUT' || r.method === 'PATCH').length).toBe(uploads);
    } finally {
      await client.close();
      await verified.close();
    }
  });
});

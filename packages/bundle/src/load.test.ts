import { createRegistryClient } from '@falco-airgap/oci';
import { FakeRegistry } from '@falco-airgap/oci/test-support';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportBundleFiles, pushBundle } from './load.ts';
import { buildBundleFixture, createFixtureBundle, type BundleFixture } from './test-support/bundle-fixture.ts';
import { verifyBundle, type VerifiedBundle } from './verify.ts';

let root: string;
let fixture: BundleFixture;
let bundle: VerifiedBundle;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'bundle-load-'));
  fixture = await buildBundleFixture(join(root, 'connected'), { imageBytes: 3 * 1024 * 1024 });
  bundle = await verifyBundle((await createFixtureBundle(fixture, join(root, 'bundle.tar'), { splitSize: 1024 * 1024 })).parts[0]!);
});
afterAll(async () => {
  await bundle.close();
  await rm(root, { recursive: true, force: true });
});

describe('pushBundle after an interruption', () => {
  it('continues where it stopped: what the registry received is not sent again', async () => {
    const target = new FakeRegistry('isolated.test');
    const client = await createRegistryClient({ transport: target.transport, chunkSize: 256 * 1024 });
    const layer = bundle.manifest.files.filter((f) => f.path.startsWith('oci/blobs/')).sort((a, b) => b.size - a.size)[0]!;
    // The registry refuses one image layer: the push stops there, as if the link went down.
    target.faults = { status: (request) => (request.method === 'PUT' && request.url.includes(`digest=sha256%3A${layer.sha256}`) ? 400 : undefined) };
    try {
      await expect(pushBundle(bundle, client, { registry: 'isolated.test' })).rejects.toMatchObject({ code: 'OCI_REGISTRY_ERROR' });
      const before = target.blobs.size;
      expect(before).toBeGreaterThan(0);
      target.faults = {};
      const logged = target.log.length;
      const resumed = await pushBundle(bundle, client, { registry: 'isolated.test' });
      // Only what was missing is sent: one upload session per blob that was not there.
      const sessions = target.log.slice(logged).filter((r) => r.method === 'POST' && r.path.endsWith('/blobs/uploads/')).length;
      expect(sessions).toBe(target.blobs.size - before);
      expect(resumed.blobs.uploaded + resumed.blobs.mounted).toBe(target.blobs.size - before);
      expect(resumed.blobs.present).toBeGreaterThanOrEqual(before);
      for (const image of bundle.manifest.images) expect(target.manifests.has(`${image.repository}:${image.tags[0]}`)).toBe(true);
      // The large layer went up in chunks read from the archive's parts.
      expect(target.log.filter((r) => r.method === 'PATCH').length).toBeGreaterThan(3);
    } finally {
      await client.close();
    }
  });
});

describe('exportBundleFiles', () => {
  it('writes verified files of the bundle to disk, executables executable', async () => {
    const out = join(root, 'exported');
    await exportBundleFiles(bundle, [
      { path: 'plugins/extracted/linux-amd64/libk8saudit.so', to: join(out, 'lib.so') },
      { path: 'bin/falco-s3-loader', to: join(out, 'loader') },
    ]);
    expect(await readFile(join(out, 'lib.so'))).toEqual(fixture.libraries['linux/amd64']);
    expect((await stat(join(out, 'loader'))).mode & 0o777).toBe(0o755);
  });
});

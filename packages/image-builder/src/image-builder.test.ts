import { createRegistryClient, type RegistryClient } from '@falco-airgap/oci';
import { FakeRegistry } from '@falco-airgap/oci/test-support';
import { writeFixtureLock } from '@falco-airgap/test-support';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { ImageBuilderErrorCode } from './errors.ts';
import { buildImageSet, type ImageBuildEvent } from './image-builder.ts';
import { planImageSet, type ImagePlan } from './image-plan.ts';
import { FakeEngine } from './test-support/fake-engine.ts';

const dockerDir = resolve(import.meta.dirname, '../../../docker');
const BASE = 'mirror.test/almalinux:9-minimal';
const FALCO = 'mirror.test/falcosecurity/falco:0.44.1';

let fakeRegistry: FakeRegistry;
let registry: RegistryClient;
let engine: FakeEngine;
let plans: ImagePlan[];

beforeEach(async () => {
  const root = await mkdtemp(join(tmpdir(), 'image-builder-'));
  const fixture = await writeFixtureLock(root, { plugins: [{ name: 'json', version: '0.7.4' }] });
  await writeFile(join(root, 'falco-s3-loader'), 'loader');
  fakeRegistry = new FakeRegistry('registry.test');
  registry = await createRegistryClient({ transport: fakeRegistry.transport });
  engine = new FakeEngine([BASE, FALCO]);
  engine.registries.set('registry.test', fakeRegistry);
  plans = await planImageSet({
    images: ['falco', 's3-loader', 'plugin-loader'],
    registry: 'registry.test/falco',
    falcoVersion: '0.44.1',
    baseImage: BASE,
    falcoImage: FALCO,
    dockerDir,
    lock: { lock: fixture.lock, lockBytes: await readFile(fixture.lockPath), extractedDir: fixture.extractedDir },
    s3LoaderBinary: join(root, 'falco-s3-loader'),
  });
});

const uploads = () => fakeRegistry.log.filter((r) => r.method !== 'GET' && r.method !== 'HEAD');

describe('buildImageSet', () => {
  it('builds and pushes every image, s3-loader after falco, with the context digest as a build arg', async () => {
    const events: ImageBuildEvent[] = [];
    const results = await buildImageSet(plans, { push: true, onEvent: (e) => events.push(e) }, { engine, registry });
    expect(results.map((r) => [r.image, r.status])).toEqual([
      ['falco', 'pushed'],
      ['s3-loader', 'pushed'],
      ['plugin-loader', 'pushed'],
    ]);
    const order = events
      .filter((e) => e.type === 'image' && (e.status === 'building' || e.outcome === 'pushed'))
      .map((e) => `${e.image} ${e.type === 'image' ? e.status : ''}`);
    expect(order.indexOf('s3-loader building')).toBeGreaterThan(order.indexOf('falco done'));
    const falcoBuild = engine.builds.find((b) => b.tags[0]!.includes('/falco:'))!;
    expect(falcoBuild.buildArgs.FALCO_AIRGAP_CONTEXT_DIGEST).toBe(plans[0]!.contextDigest);
    expect(falcoBuild.dockerfile).toBe('Dockerfile');
    expect(engine.pushes).toHaveLength(6);
    expect(engine.pushes[0]).toBe(plans[0]!.contentReference);
  });

  it('builds and pushes nothing when the registry holds every image with its context digest', async () => {
    await buildImageSet(plans, { push: true }, { engine, registry });
    const builds = engine.builds.length;
    const writes = uploads().length;
    const again = await buildImageSet(plans, { push: true }, { engine, registry });
    expect(again.map((r) => r.status)).toEqual(['unchanged', 'unchanged', 'unchanged']);
    expect(engine.builds).toHaveLength(builds);
    expect(uploads()).toHaveLength(writes);
  });

  it('asks the registry, not the engine: an image the engine holds but the registry lacks is built and pushed', async () => {
    await buildImageSet(plans, { push: false }, { engine, registry });
    expect((await buildImageSet(plans, { push: false }, { engine })).map((r) => r.status)).toEqual(['unchanged', 'unchanged', 'unchanged']);
    const pushed = await buildImageSet(plans, { push: true }, { engine, registry });
    expect(pushed.map((r) => r.status)).toEqual(['pushed', 'pushed', 'pushed']);
  });

  it('moves a tag that points elsewhere back with a manifest write only', async () => {
    await buildImageSet(plans, { push: true }, { engine, registry });
    const versionTag = fakeRegistry.manifests.get('falco/falco:0.44.1')!;
    fakeRegistry.manifests.set('falco/falco:0.44.1', fakeRegistry.manifests.get('falco/falco-plugin-loader:0.44.1')!);
    const again = await buildImageSet(plans, { push: true }, { engine, registry });
    expect(again[0]!.status).toBe('retagged');
    expect(fakeRegistry.manifests.get('falco/falco:0.44.1')!.bytes).toEqual(versionTag.bytes);
  });

  it('reports in a dry run what it would build, and writes nothing', async () => {
    const results = await buildImageSet(plans, { push: true, dryRun: true }, { engine, registry });
    expect(results.map((r) => r.status)).toEqual(['would-build', 'would-build', 'would-build']);
    expect(engine.builds).toHaveLength(0);
    expect(uploads()).toHaveLength(0);
  });

  it('rejects with the build failure once every image settled; the image built from it is skipped', async () => {
    engine.failBuildOf = plans[0]!.contentReference;
    const events: ImageBuildEvent[] = [];
    await expect(buildImageSet(plans, { push: true, onEvent: (e) => events.push(e) }, { engine, registry })).rejects.toMatchObject({
      code: 'ENGINE_BUILD_FAILED',
      category: 'operational',
    });
    const final = events
      .filter((e) => e.type === 'image' && ['done', 'failed', 'skipped'].includes(e.status))
      .map((e) => e.type === 'image' && [e.image, e.status]);
    expect(final).toEqual(
      expect.arrayContaining([
        ['falco', 'failed'],
        ['s3-loader', 'skipped'],
        ['plugin-loader', 'done'],
      ]),
    );
  });

  it('refuses a base image the engine cannot pull with its own code', async () => {
    engine.images.delete(BASE);
    await expect(buildImageSet(plans, { push: false }, { engine })).rejects.toMatchObject({
      code: ImageBuilderErrorCode.BaseUnavailable,
      category: 'input',
    });
    expect(engine.pulls).toContain(BASE);
  });
});

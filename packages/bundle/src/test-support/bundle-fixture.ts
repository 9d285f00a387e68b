import { platformDirectory, type Platform } from '@falco-airgap/core';
import { buildContainerImage, buildPluginArtifact, buildRulesfileArtifact, type OciArtifact } from '@falco-airgap/fixtures';
import { serializeLock, type PluginsLock } from '@falco-airgap/manifest';
import { FakeRegistry } from '@falco-airgap/oci/test-support';
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createBundle, type CreateBundleInput, type CreatedBundle } from '../create.ts';

// A connected side in memory: plugin and rules artifacts and two images in a fake registry, the lock and
// extracted files extract would write for them, a chart and a loader stand-in; and bundles made from them.

export const SOURCE_REGISTRY = 'source.test';
export const FIXTURE_CREATED_AT = new Date('2026-01-02T03:04:05Z');
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

export interface BundleFixture {
  root: string;
  source: FakeRegistry;
  lockFile: string;
  extractedDir: string;
  chartDir: string;
  valuesFile: string;
  loader: string;
  /** The plugin library per platform. */
  libraries: Record<Platform, Buffer>;
  pluginDigest: string;
  imageDigests: Record<string, string>;
}

/** Builds the connected side under `root`; `imagePlatform` is the one platform the images are built for. */
export async function buildBundleFixture(root: string, options: { imagePlatform?: Platform; imageBytes?: number } = {}): Promise<BundleFixture> {
  const source = new FakeRegistry(SOURCE_REGISTRY);
  const libraries: Record<Platform, Buffer> = {
    'linux/amd64': Buffer.from(`\x7fELF amd64 libk8saudit ${'a'.repeat(3000)}`),
    'linux/arm64': Buffer.from(`\x7fELF arm64 libk8saudit ${'b'.repeat(3000)}`),
  };
  const plugin = buildPluginArtifact({
    name: 'k8saudit',
    version: '0.18.0',
    requiredApiVersion: '3.10.0',
    builds: (['linux/amd64', 'linux/arm64'] as const).map((platform) => ({ platform, library: libraries[platform] })),
  });
  const rulesText = '- rule: Fixture rule\n  condition: evt.type = open\n  output: opened\n  priority: INFO\n';
  const rules = buildRulesfileArtifact({ name: 'falco-rules', version: '5.1.0', files: [{ name: 'falco_rules.yaml', content: rulesText }] });
  source.push('falcosecurity/plugins/plugin/k8saudit', plugin, ['0.18.0']);
  source.push('falcosecurity/rules/falco-rules', rules, ['5.1.0']);
  const imagePlatform = options.imagePlatform ?? 'linux/amd64';
  const imageDigests: Record<string, string> = {};
  for (const [repository, marker] of [
    ['falco', 'falco'],
    ['falco-plugin-loader', 'plugin-loader'],
  ] as const) {
    const image = singlePlatformImage(marker, imagePlatform, options.imageBytes ?? 2048);
    source.push(repository, image, ['0.44.1']);
    imageDigests[repository] = image.root.descriptor.digest;
  }

  const extractedDir = join(root, 'plugins', 'extracted');
  const lock: PluginsLock = {
    apiVersion: 'falco-airgap/v1alpha1',
    kind: 'PluginsLock',
    generatedAt: '2026-01-01T00:00:00.000Z',
    falco: { version: '0.44.1' },
    manifestSha256: sha256(Buffer.from('manifest')),
    plugins: [
      {
        name: 'k8saudit',
        version: '0.18.0',
        source: { artifact: `${SOURCE_REGISTRY}/falcosecurity/plugins/plugin/k8saudit:0.18.0` },
        resolvedDigest: plugin.root.descriptor.digest,
        platforms: (['linux/amd64', 'linux/arm64'] as const).map((platform, i) => ({
          platform,
          manifestDigest: plugin.manifests[i]!.descriptor.digest,
          layerDigest: plugin.manifests[i]!.descriptor.digest,
          file: 'libk8saudit.so',
          sha256: sha256(libraries[platform]),
          size: libraries[platform].length,
          elfMachine: platform === 'linux/amd64' ? 'x86-64' : 'aarch64',
          pluginApiVersion: '3.10.0',
          pluginApiVersionSource: 'artifact-config',
          path: `${platformDirectory(platform)}/libk8saudit.so`,
        })),
      },
    ],
    rulesfiles: [
      {
        name: 'falco-rules',
        version: '5.1.0',
        source: { artifact: `${SOURCE_REGISTRY}/falcosecurity/rules/falco-rules:5.1.0` },
        resolvedDigest: rules.root.descriptor.digest,
        manifestDigest: rules.root.descriptor.digest,
        layerDigest: rules.blobs[1]!.descriptor.digest,
        files: [{ file: 'falco_rules.yaml', sha256: sha256(Buffer.from(rulesText)), size: Buffer.byteLength(rulesText), path: 'rules/falco_rules.yaml' }],
      },
    ],
  };
  for (const platform of ['linux/amd64', 'linux/arm64'] as const) {
    await mkdir(join(extractedDir, platformDirectory(platform)), { recursive: true });
    await writeFile(join(extractedDir, platformDirectory(platform), 'libk8saudit.so'), libraries[platform]);
  }
  await mkdir(join(extractedDir, 'rules'), { recursive: true });
  await writeFile(join(extractedDir, 'rules', 'falco_rules.yaml'), rulesText);
  const lockFile = join(root, 'plugins', 'plugins-lock.yaml');
  await writeFile(lockFile, serializeLock(lock));

  const chartDir = join(root, 'chart');
  await mkdir(join(chartDir, 'templates'), { recursive: true });
  await writeFile(join(chartDir, 'Chart.yaml'), 'apiVersion: v2\nname: falco-airgap\nversion: 0.1.0\nappVersion: "0.44.1"\n');
  await writeFile(join(chartDir, 'values.yaml'), 'pluginStrategy: sidecar\n');
  await writeFile(join(chartDir, 'templates', 'configmap.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fixture\n');
  await writeFile(join(chartDir, '.helmignore'), '*.tmp\n');
  await writeFile(join(chartDir, 'scratch.tmp'), 'not packaged\n');
  const valuesFile = join(root, 'values-prod.yaml');
  await writeFile(valuesFile, 'driver:\n  kind: modern_ebpf\n');
  const loader = join(root, 'falco-s3-loader');
  await writeFile(loader, '#!/bin/sh\necho loader\n', { mode: 0o755 });
  return { root, source, lockFile, extractedDir, chartDir, valuesFile, loader, libraries, pluginDigest: plugin.root.descriptor.digest, imageDigests };
}

/** An image of one platform, as a plain manifest (no index), whose layer holds `size` bytes. */
function singlePlatformImage(marker: string, platform: Platform, size: number): OciArtifact {
  const image = buildContainerImage({
    created: '2026-01-01T00:00:00Z',
    platforms: [
      { platform, layers: [{ createdBy: `COPY ${marker}`, entries: [{ type: 'file', path: `usr/share/${marker}/payload`, content: noise(marker, size) }] }] },
    ],
  });
  return { root: image.manifests[0]!, manifests: [], blobs: image.blobs };
}

/** Bytes that do not compress, the same for the same seed: layers as large in the registry as on disk. */
export function noise(seed: string, size: number): Buffer {
  const out = Buffer.alloc(size);
  let block = createHash('sha256').update(seed).digest();
  for (let at = 0; at < size; at += block.length) {
    block.copy(out, at, 0, Math.min(block.length, size - at));
    block = createHash('sha256').update(block).digest();
  }
  return out;
}

/** The inputs of a bundle of the fixture; `overrides` replace any of them. */
export function fixtureInput(fixture: BundleFixture, out: string, overrides: Partial<CreateBundleInput> = {}): CreateBundleInput {
  return {
    out,
    createdAt: FIXTURE_CREATED_AT,
    creator: 'ci@connected',
    environment: 'prod',
    falcoAirgapVersion: '0.1.0',
    lockFile: fixture.lockFile,
    extractedDir: fixture.extractedDir,
    images: [
      { name: 'falco', repository: 'falco', reference: `${SOURCE_REGISTRY}/falco:0.44.1` },
      { name: 'plugin-loader', repository: 'falco-plugin-loader', reference: `${SOURCE_REGISTRY}/falco-plugin-loader:0.44.1` },
    ],
    chart: { dir: fixture.chartDir, valuesFiles: [fixture.valuesFile] },
    executables: { falcoS3Loader: fixture.loader },
    ...overrides,
  };
}

export function createFixtureBundle(fixture: BundleFixture, out: string, overrides: Partial<CreateBundleInput> = {}): Promise<CreatedBundle> {
  return createBundle(fixtureInput(fixture, out, overrides), { registry: { transport: fixture.source.transport } });
}

import { publishRealPlugins, REAL_PLATFORMS, type PublishedRealPlugins, type RealPlugin } from '@falco-airgap/fixtures';
import type { PluginApiVersionSource, PluginEntry, PluginsManifest } from '@falco-airgap/manifest';
import { requireTestbed } from '@falco-airgap/testbed/env';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExtractorPorts, type ExtractorSetup } from './create-extractor.ts';
import type { ExtractEvent } from './events.ts';
import { extract, type ExtractResult } from './extract.ts';

// Plugins built with the real SDKs (plugin-sdk-go's k8saudit, a plugin-sdk-cpp-style C++ plugin), pushed with the
// real falcoctl and packed into images, extracted from the testbed registry.

const env = requireTestbed('TESTBED_REGISTRY', 'TESTBED_DOCKER_HOST');
const REGISTRY = env.TESTBED_REGISTRY!;
const FALCO_VERSION = '0.44.1';
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

let root: string;
let published: PublishedRealPlugins;
let k8saudit: RealPlugin;
let cppstyle: RealPlugin;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'real-plugins-integ-'));
  // Builds on the first run on a machine (the testbed's `plugins` service does it ahead), then reads the cache.
  published = await publishRealPlugins({ registry: REGISTRY, plainHttp: true });
  k8saudit = published.set.plugins.find((p) => p.name === 'k8saudit')!;
  cppstyle = published.set.plugins.find((p) => p.name === 'cppstyle')!;
}, 3_600_000);

afterAll(() => rm(root, { recursive: true, force: true }));

function manifestOf(plugins: PluginEntry[]): PluginsManifest {
  return {
    apiVersion: 'falco-airgap/v1alpha1',
    kind: 'PluginsManifest',
    falco: { version: FALCO_VERSION },
    platforms: [...REAL_PLATFORMS],
    plugins,
    rulesfiles: [],
  };
}

function fromImage(plugin: RealPlugin, image: string, requiredApiVersion?: string): PluginEntry {
  return { name: plugin.name, version: plugin.version, from: { image, path: `/usr/share/falco/plugins/lib${plugin.name}.so` }, requiredApiVersion };
}

async function run(
  name: string,
  manifest: PluginsManifest,
  setup: Partial<ExtractorSetup> = {},
): Promise<{ result: ExtractResult; events: ExtractEvent[]; out: string }> {
  const out = join(root, name);
  const events: ExtractEvent[] = [];
  const ports = await createExtractorPorts({ plainHttp: [REGISTRY], cacheDir: join(root, 'cache'), ...setup });
  try {
    const result = await extract({ manifest, manifestSha256: 'c'.repeat(64), outDir: out, onEvent: (e) => events.push(e) }, ports);
    return { result, events, out };
  } finally {
    await ports.close();
  }
}

/** The bytes on disk and in the lock are what was built; the lock says which API version and how it was established. */
async function expectExtracted(
  { result, out }: { result: ExtractResult; out: string },
  plugin: RealPlugin,
  expected: Record<(typeof REAL_PLATFORMS)[number], { version: string; source: PluginApiVersionSource }>,
): Promise<void> {
  const locked = result.lock.plugins.find((p) => p.name === plugin.name)!;
  expect(locked.platforms.map((p) => p.platform)).toEqual([...REAL_PLATFORMS]);
  for (const platform of REAL_PLATFORMS) {
    const built = await readFile(plugin.files[platform]);
    const entry = locked.platforms.find((p) => p.platform === platform)!;
    const what = `${plugin.name} ${platform}`;
    expect(entry.sha256, what).toBe(sha256(built));
    expect(sha256(await readFile(join(out, 'extracted', entry.path))), what).toBe(sha256(built));
    expect(entry.elfMachine, what).toBe(platform === 'linux/amd64' ? 'x86-64' : 'aarch64');
    expect({ version: entry.pluginApiVersion, source: entry.pluginApiVersionSource }, what).toEqual(expected[platform]);
  }
  expect(await readFile(join(out, 'plugins-lock.yaml'), 'utf8')).toContain(`pluginApiVersionSource: ${expected['linux/amd64'].source}`);
}

const warningsOf = (events: ExtractEvent[]) =>
  events.flatMap((e) => (e.type === 'warning' ? [`${e.item.name} ${e.item.kind === 'plugin' ? e.item.platform : ''} ${e.code}`] : [])).sort();

describe('real plugins pushed with falcoctl', () => {
  it('takes the API version from the config when falcoctl pushed it with --requires, and it agrees with the library', async () => {
    const run1 = await run(
      'with-requires',
      manifestOf([k8saudit, cppstyle].map((p) => ({ name: p.name, version: p.version, from: { artifact: published.artifacts[p.name]!.withRequires } }))),
    );
    const fromConfig = (plugin: RealPlugin) => ({ version: plugin.apiVersion, source: 'artifact-config' as const });
    await expectExtracted(run1, k8saudit, { 'linux/amd64': fromConfig(k8saudit), 'linux/arm64': fromConfig(k8saudit) });
    await expectExtracted(run1, cppstyle, { 'linux/amd64': fromConfig(cppstyle), 'linux/arm64': fromConfig(cppstyle) });
    expect(warningsOf(run1.events)).toEqual([]);
  });

  it('accepts artifacts pushed without requirements, warns, and records where the version came from instead', async () => {
    const run2 = await run(
      'without-requires',
      manifestOf([k8saudit, cppstyle].map((p) => ({ name: p.name, version: p.version, from: { artifact: published.artifacts[p.name]!.withoutRequires } }))),
    );
    // plugin-sdk-go: the SDK default the library embeds, behind cgo's trampoline.
    const sdkDefault = { version: k8saudit.apiVersion, source: 'elf-sdk-default' as const };
    await expectExtracted(run2, k8saudit, { 'linux/amd64': sdkDefault, 'linux/arm64': sdkDefault });
    // C++: the literal the code copies into a std::string (arm64), or writes as immediate stores (g++ -O2 on amd64).
    const literal = { version: cppstyle.apiVersion, source: 'elf-literal' as const };
    await expectExtracted(run2, cppstyle, { 'linux/amd64': literal, 'linux/arm64': literal });
    expect(warningsOf(run2.events)).toEqual([
      'cppstyle linux/amd64 EXTRACT_NO_API_REQUIREMENT',
      'cppstyle linux/arm64 EXTRACT_NO_API_REQUIREMENT',
      'k8saudit linux/amd64 EXTRACT_NO_API_REQUIREMENT',
      'k8saudit linux/arm64 EXTRACT_NO_API_REQUIREMENT',
    ]);
  });
});

describe.each(['oci', 'docker'] as const)('real plugins inside an image (%s manifests)', (format) => {
  it('extracts both, both platforms, with the API version read from the library without running it', async () => {
    const image = published.images[format];
    // A manifest statement that agrees with the library is accepted; the library stays the recorded source.
    const result = await run(`image-${format}`, manifestOf([fromImage(k8saudit, image), fromImage(cppstyle, image, cppstyle.apiVersion)]));
    const sdkDefault = { version: k8saudit.apiVersion, source: 'elf-sdk-default' as const };
    const literal = { version: cppstyle.apiVersion, source: 'elf-literal' as const };
    await expectExtracted(result, k8saudit, { 'linux/amd64': sdkDefault, 'linux/arm64': sdkDefault });
    await expectExtracted(result, cppstyle, { 'linux/amd64': literal, 'linux/arm64': literal });
    expect(warningsOf(result.events)).toEqual([]);
  });

  it('refuses a manifest requiredApiVersion the library contradicts', async () => {
    const manifest = manifestOf([fromImage(cppstyle, published.images[format], '3.5.0')]);
    await expect(run(`image-${format}-contradicted`, manifest)).rejects.toMatchObject({ code: 'EXTRACT_PLUGIN_API_VERSION', category: 'verification' });
  });
});

describe('real plugins inside an image, read through the Docker engine', () => {
  it('gives the same files and API versions as reading the registry directly', async () => {
    const manifest = manifestOf([fromImage(k8saudit, published.images.docker), fromImage(cppstyle, published.images.docker)]);
    const viaDocker = await run('image-via-docker', manifest, { via: 'docker', dockerHost: env.TESTBED_DOCKER_HOST });
    const sdkDefault = { version: k8saudit.apiVersion, source: 'elf-sdk-default' as const };
    await expectExtracted(viaDocker, k8saudit, { 'linux/amd64': sdkDefault, 'linux/arm64': sdkDefault });
    const literal = { version: cppstyle.apiVersion, source: 'elf-literal' as const };
    await expectExtracted(viaDocker, cppstyle, { 'linux/amd64': literal, 'linux/arm64': literal });
    expect(warningsOf(viaDocker.events)).toEqual([]);
  });
});

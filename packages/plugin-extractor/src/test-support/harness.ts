import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PluginEntry, PluginsManifest, RulesfileEntry } from '@falco-airgap/manifest';
import {
  FalcoMediaType,
  buildPluginArtifact,
  buildRulesfileArtifact,
  falcoArtifactConfig,
  pluginTarballName,
  Annotation,
  releaseTags,
  type PluginBuild,
} from '@falco-airgap/fixtures';
import { blob, imageIndex, imageManifest, parsePlatform, type Blob, type OciArtifact } from '@falco-airgap/fixtures';
import { compilePlugin, type PluginSource } from '@falco-airgap/fixtures';
import { tarGz, type TarEntry } from '@falco-airgap/fixtures';
import { createExtractorPorts } from '../create-extractor.ts';
import { StaticCredentials, type RegistryCredentials } from '@falco-airgap/oci';
import { extract, type ExtractRequest, type ExtractResult } from '../extract.ts';
import { FakeRegistry } from '@falco-airgap/oci/test-support';

export { FalcoMediaType, tarGz, blob, imageIndex, imageManifest, releaseTags, type TarEntry, type OciArtifact, type Blob };

const compiled = new Map<string, PluginBuild[]>();
/** Compiles the fixture plugin once per test process and identity. */
export function pluginBuilds(source: PluginSource): PluginBuild[] {
  const key = JSON.stringify(source);
  let builds = compiled.get(key);
  if (!builds) {
    builds = compilePlugin(source);
    compiled.set(key, builds);
  }
  return builds;
}

export function library(name: string, platform: string, apiVersion = '3.10.0', extra: Partial<PluginSource> = {}): Uint8Array {
  return pluginBuilds({ name, version: '0.0.0', apiVersion, ...extra }).find((b) => b.platform === platform)!.library;
}

/** The official plugin layout, from our compiled fixture plugin. */
export function pluginArtifact(name: string, version: string, apiVersion = '3.10.0'): OciArtifact {
  return buildPluginArtifact({ name, version, requiredApiVersion: apiVersion, builds: pluginBuilds({ name, version: '0.0.0', apiVersion }) });
}

export function rulesArtifact(
  name: string,
  version: string,
  files: { name: string; content: string }[] = [{ name: 'falco_rules.yaml', content: '- rule: fixture\n' }],
): OciArtifact {
  return buildRulesfileArtifact({ name, version, files });
}

export interface CustomPlatformLayer {
  platform: string;
  /** Raw layer bytes, or tar entries to gzip. */
  layer: Buffer | TarEntry[];
  layerMediaType?: string;
}

/** A plugin artifact shaped by hand, for inputs the official publisher would never produce. */
export function customPluginArtifact(spec: {
  name: string;
  version: string;
  apiVersion?: string;
  configName?: string;
  configMediaType?: string;
  platforms: CustomPlatformLayer[];
}): OciArtifact {
  const config = falcoArtifactConfig(spec.configMediaType ?? FalcoMediaType.pluginConfig, {
    name: spec.configName ?? spec.name,
    version: spec.version,
    requirements: [{ name: 'plugin_api_version', version: spec.apiVersion ?? '3.10.0' }],
  });
  const blobs: Blob[] = [config];
  const manifests: Blob[] = [];
  for (const p of spec.platforms) {
    const bytes = Buffer.isBuffer(p.layer) ? p.layer : tarGz(p.layer);
    const layer = blob(p.layerMediaType ?? FalcoMediaType.pluginLayer, bytes, {
      annotations: { [Annotation.title]: pluginTarballName(spec.name, spec.version, p.platform) },
    });
    const manifest = imageManifest({ config: config.descriptor, layers: [layer.descriptor] });
    blobs.push(layer);
    manifests.push({ bytes: manifest.bytes, descriptor: { ...manifest.descriptor, platform: parsePlatform(p.platform) } });
  }
  return { root: imageIndex({ manifests: manifests.map((m) => m.descriptor) }), manifests, blobs };
}

export const HOST = 'registry.test';
export const pluginRepo = (name: string) => `falcosecurity/plugins/plugin/${name}`;
export const rulesRepo = (name: string) => `falcosecurity/rules/${name}`;

export function pluginEntry(name: string, version: string, registry = HOST): PluginEntry {
  return { name, version, from: { artifact: `${registry}/${pluginRepo(name)}:${version}` } };
}
export function rulesEntry(name: string, version: string, registry = HOST): RulesfileEntry {
  return { name, version, from: { artifact: `${registry}/${rulesRepo(name)}:${version}` } };
}

export function manifestOf(
  plugins: PluginEntry[],
  rulesfiles: RulesfileEntry[] = [],
  platforms: PluginsManifest['platforms'] = ['linux/amd64', 'linux/arm64'],
): PluginsManifest {
  return { apiVersion: 'falco-airgap/v1alpha1', kind: 'PluginsManifest', falco: { version: '0.44.1' }, platforms, plugins, rulesfiles };
}

/** A scratch area: `work/out` is the output directory, `work` must hold nothing else afterwards. */
export interface Scratch {
  root: string;
  work: string;
  out: string;
  cache: string;
  cleanup(): Promise<void>;
  /** Everything under `work` other than the output directory: must stay empty. */
  outsideOut(): Promise<string[]>;
}

export async function scratch(): Promise<Scratch> {
  const root = await mkdtemp(join(tmpdir(), 'extract-test-'));
  const work = join(root, 'work');
  const out = join(work, 'out');
  const cache = join(root, 'cache');
  await mkdir(work, { recursive: true });
  return {
    root,
    work,
    out,
    cache,
    cleanup: () => rm(root, { recursive: true, force: true }),
    outsideOut: async () => (await readdir(work)).filter((name) => name !== 'out'),
  };
}

export interface RunOptions extends Partial<Omit<ExtractRequest, 'manifest' | 'outDir'>> {
  credentials?: Record<string, RegistryCredentials>;
}

/** Runs the real extract against a fake registry, with fast retries. */
export async function runExtract(registry: FakeRegistry, area: Scratch, manifest: PluginsManifest, options: RunOptions = {}): Promise<ExtractResult> {
  const ports = await createExtractorPorts({
    transport: registry.transport,
    cacheDir: area.cache,
    credentials: new StaticCredentials(options.credentials ?? {}),
    retry: { attempts: 4, baseDelayMs: 1, maxDelayMs: 5 },
  });
  try {
    return await extract({ manifestSha256: 'a'.repeat(64), ...options, manifest, outDir: area.out }, ports);
  } finally {
    await ports.close();
  }
}

/** The exit code the CLI maps a category to (the contract in ARCHITECTURE.md). */
export function exitCodeOf(error: unknown): number {
  const category = (error as { category?: string }).category;
  return category === 'input' ? 2 : category === 'verification' ? 3 : 1;
}

export { FakeRegistry };

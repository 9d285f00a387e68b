import { buildFixtureSet, FIXTURE_IMAGE_PLUGIN, FIXTURE_PLUGINS, fixtureRepository, publishFixturesTo } from '@falco-airgap/fixtures';
import type { PluginEntry, PluginsManifest, RulesfileEntry } from '@falco-airgap/manifest';
import { requireTestbed } from '@falco-airgap/testbed/env';
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExtractorPorts } from './create-extractor.ts';
import { extract, type ExtractResult } from './extract.ts';

// Dependencies and requirements of the fixture artifacts on the testbed registry: the k8saudit ruleset's
// config (dependencies with alternatives, an engine requirement) and falco_rules.yaml pushed with the real
// `falcoctl registry push`, which reads required_plugin_versions and required_engine_version from the file.

const env = requireTestbed('TESTBED_REGISTRY', 'TESTBED_REGISTRY_LOG', 'TESTBED_FALCOCTL');
const PLAIN = env.TESTBED_REGISTRY!;
const run = promisify(execFile);
const RULES_FILE = fileURLToPath(new URL('../rules/falco_rules.yaml', import.meta.resolve('@falco-airgap/fixtures')));
const FALCOCTL_RULES_REPOSITORY = `falco-airgap-test/dependencies-${process.pid}/rules/falco-rules`;

let root: string;
/** Every layer digest the manifests below can reach: none may be fetched when a run is refused. */
const layers = new Set<string>();

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'dependencies-integ-'));
  await publishFixturesTo({ registry: PLAIN, plainHttp: true });
  for (const fixture of buildFixtureSet())
    for (const blob of fixture.artifact.blobs) if (blob.descriptor.mediaType.includes('layer')) layers.add(blob.descriptor.digest);
  // falcoctl names the layer's file after the file it is given, and takes the config from its contents.
  const work = join(root, 'falcoctl');
  await mkdir(work);
  await copyFile(RULES_FILE, join(work, 'falco_rules.yaml'));
  await writeFile(join(work, 'falcoctl.yaml'), 'indexes: []\n');
  await run(
    env.TESTBED_FALCOCTL!,
    [
      'registry',
      'push',
      `${PLAIN}/${FALCOCTL_RULES_REPOSITORY}:5.1.0`,
      'falco_rules.yaml',
      '--type',
      'rulesfile',
      '--version',
      '5.1.0',
      '--name',
      'falco-rules',
      '--plain-http',
      '--config',
      join(work, 'falcoctl.yaml'),
    ],
    { cwd: work, env: { ...process.env, HOME: work }, timeout: 120_000 },
  );
  const manifest = (await (
    await fetch(`http://${PLAIN}/v2/${FALCOCTL_RULES_REPOSITORY}/manifests/5.1.0`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } })
  ).json()) as { layers: { digest: string }[] };
  for (const layer of manifest.layers) layers.add(layer.digest);
}, 300_000);

afterAll(() => rm(root, { recursive: true, force: true }));

const plugin = (name: string): PluginEntry => {
  if (name === 'container') {
    return {
      name,
      version: FIXTURE_IMAGE_PLUGIN.version,
      from: { image: `${PLAIN}/${fixtureRepository.falcoImage}:0.44.1-debian`, path: '/usr/share/falco/plugins/libcontainer.so' },
    };
  }
  const p = FIXTURE_PLUGINS.find((q) => q.name === name)!;
  return { name, version: p.version, from: { artifact: `${PLAIN}/${fixtureRepository.plugin(name)}:${p.version}` } };
};
const falcoRules: RulesfileEntry = { name: 'falco-rules', version: '5.1.0', from: { artifact: `${PLAIN}/${FALCOCTL_RULES_REPOSITORY}:5.1.0` } };
const k8sauditRules: RulesfileEntry = {
  name: 'k8saudit-rules',
  version: '0.18.0',
  from: { artifact: `${PLAIN}/${fixtureRepository.pluginRuleset('k8saudit-rules')}:0.18.0` },
};

function manifestOf(plugins: PluginEntry[], rulesfiles: RulesfileEntry[], falcoVersion = '0.44.1'): PluginsManifest {
  return {
    apiVersion: 'falco-airgap/v1alpha1',
    kind: 'PluginsManifest',
    falco: { version: falcoVersion },
    platforms: ['linux/amd64', 'linux/arm64'],
    plugins,
    rulesfiles,
  };
}

async function extractInto(name: string, manifest: PluginsManifest): Promise<ExtractResult> {
  const ports = await createExtractorPorts({ plainHttp: [PLAIN], cacheDir: join(root, `cache-${name}`) });
  try {
    return await extract({ manifest, manifestSha256: 'd'.repeat(64), outDir: join(root, name) }, ports);
  } finally {
    await ports.close();
  }
}

/** GETs of layer blobs the registry answered with content since `offset` of its access log. */
async function layerGetsSince(offset: number): Promise<number> {
  // The registry writes its access log after the response; give it a moment.
  await new Promise((r) => setTimeout(r, 300));
  const lines = (await readFile(env.TESTBED_REGISTRY_LOG!, 'utf8')).slice(offset).split('\n');
  return lines.filter((l) => {
    const digest = /"GET \/v2\/\S+\/blobs\/(sha256:[a-f0-9]{64}) /.exec(l)?.[1];
    return digest !== undefined && layers.has(digest) && /" (200|206) /.test(l);
  }).length;
}

const logLength = async () => (await readFile(env.TESTBED_REGISTRY_LOG!, 'utf8')).length;

describe('dependencies and requirements against the testbed registry', () => {
  it('extracts falcoctl-pushed falco-rules and the k8saudit ruleset when the manifest has their plugins, recording what satisfied each', async () => {
    const result = await extractInto('satisfied', manifestOf(['k8saudit', 'json', 'container'].map(plugin), [falcoRules, k8sauditRules]));
    const dependenciesOf = (name: string) => result.lock.rulesfiles.find((r) => r.name === name)!.dependencies;
    expect(dependenciesOf('falco-rules')).toEqual([{ name: 'container', version: '0.4.0', satisfiedBy: 'container' }]);
    expect(dependenciesOf('k8saudit-rules')).toEqual([
      { name: 'json', version: '0.7.4', satisfiedBy: 'json' },
      { name: 'k8saudit', version: '0.18.0', satisfiedBy: 'k8saudit' },
    ]);
    expect(await readFile(join(root, 'satisfied', 'plugins-lock.yaml'), 'utf8')).toContain('satisfiedBy: container');
  });

  it('refuses falco-rules without the container plugin before fetching a single layer (counted in the access log)', async () => {
    const offset = await logLength();
    const error = await extractInto('missing', manifestOf(['k8saudit', 'json'].map(plugin), [falcoRules, k8sauditRules])).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'EXTRACT_DEPENDENCY_MISSING', category: 'input' });
    expect((error as Error).message).toContain('rulesfile falco-rules 5.1.0 depends on plugin container 0.4.0');
    expect(await layerGetsSince(offset)).toBe(0);
    expect(await readdir(join(root, 'missing'))).toEqual([]);
  });

  it('refuses a Falco version whose engine is older than the rules require, before fetching a single layer', async () => {
    const offset = await logLength();
    const error = await extractInto('engine', manifestOf(['container'].map(plugin), [falcoRules], '0.41.3')).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'EXTRACT_REQUIREMENT_NOT_MET', category: 'input' });
    expect((error as Error).message).toBe('rulesfile falco-rules 5.1.0 requires engine_version_semver 0.57.0, but Falco 0.41.3 provides 0.50.0');
    expect(await layerGetsSince(offset)).toBe(0);
  });
});

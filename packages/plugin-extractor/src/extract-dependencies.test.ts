import { buildFalcoImage, buildRulesfileArtifact, type ArtifactDependency, type ArtifactRequirement } from '@falco-airgap/fixtures';
import type { PluginEntry, PluginsManifest } from '@falco-airgap/manifest';
import { readdir } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ExtractEvent } from './events.ts';
import {
  exitCodeOf,
  FakeRegistry,
  HOST,
  manifestOf,
  pluginArtifact,
  pluginEntry,
  pluginRepo,
  releaseTags,
  rulesEntry,
  rulesRepo,
  runExtract,
  scratch,
  type OciArtifact,
  type Scratch,
} from './test-support/harness.ts';

const AMD64 = ['linux/amd64'] as const;

describe('dependencies and requirements of artifacts', () => {
  let registry: FakeRegistry;
  let area: Scratch;
  /** Digests of every layer pushed: what must not be fetched when a run is refused. */
  const layers = new Set<string>();
  const push = (repository: string, artifact: OciArtifact, version: string) => {
    for (const b of artifact.blobs) if (b.descriptor.mediaType.includes('layer')) layers.add(b.descriptor.digest);
    registry.push(repository, artifact, releaseTags(version));
  };
  const layerGets = () => registry.log.filter((r) => r.method === 'GET' && layers.has(r.path.split('/').pop()!)).length;

  const rulesWith = (name: string, version: string, dependencies: ArtifactDependency[], requirements: ArtifactRequirement[] = []) =>
    push(
      rulesRepo(name),
      buildRulesfileArtifact({ name, version, files: [{ name: `${name}.yaml`, content: '- rule: fixture\n' }], dependencies, requirements }),
      version,
    );

  beforeEach(async () => {
    registry = new FakeRegistry(HOST);
    layers.clear();
    for (const [name, version] of [
      ['k8saudit', '0.18.0'],
      ['k8saudit', '0.17.0'],
      ['k8saudit-eks', '0.10.2'],
      ['json', '0.7.4'],
    ] as const)
      push(pluginRepo(name), pluginArtifact(name, version), version);
    rulesWith(
      'k8saudit-rules',
      '0.18.0',
      [
        { name: 'k8saudit', version: '0.18.0', alternatives: [{ name: 'k8saudit-eks', version: '0.10.0' }] },
        { name: 'json', version: '0.7.4' },
      ],
      [{ name: 'engine_version', version: '15' }],
    );
    rulesWith('falco-rules', '5.1.0', [{ name: 'container', version: '0.4.0' }], [{ name: 'engine_version_semver', version: '0.57.0' }]);
    push('falcosecurity/falco', buildFalcoImage(), '0.44.1');
    area = await scratch();
  });
  afterEach(() => area.cleanup());

  const k8sauditRulesWith = (...plugins: PluginEntry[]): PluginsManifest => manifestOf(plugins, [rulesEntry('k8saudit-rules', '0.18.0')], [...AMD64]);

  /** Runs extract expecting a refusal; returns the error after checking that no layer was fetched and nothing was written. */
  async function refused(manifest: PluginsManifest, events: ExtractEvent[] = []) {
    const error = await runExtract(registry, area, manifest, { onEvent: (e) => events.push(e) }).then(
      () => undefined,
      (e: unknown) => e as Error & { code: string; hint: string },
    );
    expect(error, 'extract should have been refused').toBeDefined();
    expect(layerGets()).toBe(0);
    expect(await readdir(area.out)).toEqual([]);
    return error!;
  }

  it('extracts when every dependency is in the manifest, and records what satisfied each', async () => {
    const result = await runExtract(registry, area, k8sauditRulesWith(pluginEntry('k8saudit', '0.18.0'), pluginEntry('json', '0.7.4')));
    expect(result.lock.rulesfiles[0]!.dependencies).toEqual([
      { name: 'json', version: '0.7.4', satisfiedBy: 'json' },
      { name: 'k8saudit', version: '0.18.0', satisfiedBy: 'k8saudit' },
    ]);
    expect(result.lock.plugins.every((p) => p.dependencies === undefined)).toBe(true);
    expect(layerGets()).toBe(3);
  });

  it('accepts an alternative the config lists in place of the plugin it names', async () => {
    const result = await runExtract(registry, area, k8sauditRulesWith(pluginEntry('k8saudit-eks', '0.10.2'), pluginEntry('json', '0.7.4')));
    expect(result.lock.rulesfiles[0]!.dependencies).toContainEqual({ name: 'k8saudit', version: '0.18.0', satisfiedBy: 'k8saudit-eks' });
  });

  it('takes a plugin from an image as a dependency, at the version the manifest states', async () => {
    const manifest = manifestOf(
      [{ name: 'container', version: '0.7.1', from: { image: `${HOST}/falcosecurity/falco:0.44.1`, path: '/usr/share/falco/plugins/libcontainer.so' } }],
      [rulesEntry('falco-rules', '5.1.0')],
      [...AMD64],
    );
    const result = await runExtract(registry, area, manifest);
    expect(result.lock.rulesfiles[0]!.dependencies).toEqual([{ name: 'container', version: '0.4.0', satisfiedBy: 'container' }]);
  });

  it('refuses a missing dependency before any layer is downloaded, naming what to add (exit 2)', async () => {
    const events: ExtractEvent[] = [];
    const error = await refused(k8sauditRulesWith(pluginEntry('k8saudit', '0.18.0')), events);
    expect(error).toMatchObject({ code: 'EXTRACT_DEPENDENCY_MISSING', category: 'input' });
    expect(exitCodeOf(error)).toBe(2);
    expect(error.message).toBe('rulesfile k8saudit-rules 0.18.0 depends on plugin json 0.7.4 (or a later 0.x), which the manifest does not have');
    expect(error.hint).toBe('add plugin json to plugins in the manifest, e.g. name json, version 0.7.4 or a later 0.x release');
    expect(events.filter((e) => e.type === 'stage' && e.status === 'failed')).toEqual([
      { type: 'stage', item: { kind: 'rulesfile', name: 'k8saudit-rules', version: '0.18.0' }, status: 'failed', code: 'EXTRACT_DEPENDENCY_MISSING' },
    ]);
  });

  it('refuses falco-rules when the manifest lacks the container plugin it depends on', async () => {
    const error = await refused(manifestOf([pluginEntry('json', '0.7.4')], [rulesEntry('falco-rules', '5.1.0')], [...AMD64]));
    expect(error).toMatchObject({ code: 'EXTRACT_DEPENDENCY_MISSING', category: 'input' });
    expect(error.message).toContain('falco-rules 5.1.0 depends on plugin container 0.4.0');
  });

  it('refuses a dependency at an incompatible version before any layer is downloaded (exit 2)', async () => {
    const error = await refused(k8sauditRulesWith(pluginEntry('k8saudit', '0.17.0'), pluginEntry('json', '0.7.4')));
    expect(error).toMatchObject({ code: 'EXTRACT_DEPENDENCY_INCOMPATIBLE', category: 'input' });
    expect(exitCodeOf(error)).toBe(2);
    expect(error.message).toContain('but the manifest has k8saudit 0.17.0');
    expect(error.hint).toBe('set the version of plugin k8saudit in the manifest to 0.18.0 or a later 0.x release');
  });

  it('refuses an engine requirement the manifest Falco version does not meet before any layer is downloaded (exit 2)', async () => {
    const manifest: PluginsManifest = {
      ...manifestOf(
        [{ name: 'container', version: '0.7.1', from: { image: `${HOST}/falcosecurity/falco:0.44.1`, path: '/usr/share/falco/plugins/libcontainer.so' } }],
        [rulesEntry('falco-rules', '5.1.0')],
        [...AMD64],
      ),
      falco: { version: '0.41.3' },
    };
    const error = await refused(manifest);
    expect(error).toMatchObject({ code: 'EXTRACT_REQUIREMENT_NOT_MET', category: 'input' });
    expect(exitCodeOf(error)).toBe(2);
    expect(error.message).toBe('rulesfile falco-rules 5.1.0 requires engine_version_semver 0.57.0, but Falco 0.41.3 provides 0.50.0');
  });

  it('warns, and extracts, when it cannot tell what the manifest Falco version provides', async () => {
    const events: ExtractEvent[] = [];
    const manifest = { ...k8sauditRulesWith(pluginEntry('k8saudit', '0.18.0'), pluginEntry('json', '0.7.4')), falco: { version: '0.30.0' } };
    await runExtract(registry, area, manifest, { onEvent: (e) => events.push(e) });
    expect(events.filter((e) => e.type === 'warning').map((e) => (e as { code: string }).code)).toContain('EXTRACT_REQUIREMENT_UNCHECKED');
  });
});

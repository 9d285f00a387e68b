import { describe, expect, it } from 'vitest';
import { parseManifest } from './manifest.ts';
import type { PluginsLock } from './types.ts';
import { parseVersionsCatalogue, type FalcoVersionEntry } from './versions.ts';
import { checkPluginApi, latestSupported, pluginApiIncompatibility, resolveFalcoVersion, selectedRulesfiles, upstreamImages } from './versions-policy.ts';

const catalogue = parseVersionsCatalogue(
  `apiVersion: falco-airgap/v1alpha1
kind: FalcoVersions
versions:
${[
  ['0.45.0-rc1', 'preview', ''],
  ['0.44.1', 'supported', ''],
  ['0.44.0', 'supported', ''],
  ['0.43.1', 'deprecated', '2027-01-31'],
  ['0.42.1', 'deprecated', '2026-09-30'],
]
  .map(
    ([version, classification, expiry]) =>
      `  - version: ${version}\n    classification: ${classification}\n${expiry ? `    expirationDate: ${expiry}\n` : ''}    libsVersion: 0.25.4\n    pluginApiVersion: ${version === '0.42.1' ? '3.11.0' : '3.12.0'}\n    engineVersion: 0.62.0\n    rules:\n      falco-rules: 5.1.0\n      falco-incubating-rules: 5.0.1\n    falcosidekick: 2.34.1\n`,
  )
  .join('')}`,
);
const now = new Date('2026-11-30T12:00:00Z');
const version = (resolution: ReturnType<typeof resolveFalcoVersion>) => (resolution.status === 'resolved' ? resolution.entry.version : resolution.reason);

describe('resolveFalcoVersion', () => {
  it('auto is the latest supported version, never a preview', () => {
    expect(latestSupported(catalogue)?.version).toBe('0.44.1');
    expect(resolveFalcoVersion(catalogue, { version: 'auto' }, now)).toMatchObject({ status: 'resolved', entry: { version: '0.44.1' } });
    expect(resolveFalcoVersion(catalogue, { version: 'auto', autoUpdate: true }, now)).not.toHaveProperty('movedFrom');
  });

  it('keeps a deprecated version before its expiry, with a warning naming the date', () => {
    expect(resolveFalcoVersion(catalogue, { version: '0.43.1' }, now)).toMatchObject({
      status: 'resolved',
      entry: { version: '0.43.1' },
      warning: { kind: 'deprecated', expirationDate: '2027-01-31' },
    });
  });

  it('refuses an expired version from 00:00 UTC of its expiration date, naming where autoUpdate would go', () => {
    const expired = resolveFalcoVersion(catalogue, { version: '0.42.1' }, now);
    expect(expired).toMatchObject({ status: 'refused', reason: 'expired', entry: { version: '0.42.1' }, latestSupported: { version: '0.44.1' } });
    expect(version(resolveFalcoVersion(catalogue, { version: '0.42.1' }, new Date('2026-09-29T23:59:59Z')))).toBe('0.42.1');
    expect(version(resolveFalcoVersion(catalogue, { version: '0.42.1' }, new Date('2026-09-30T00:00:00Z')))).toBe('expired');
  });

  it('with autoUpdate moves forward to the latest supported version, saying why', () => {
    expect(resolveFalcoVersion(catalogue, { version: '0.42.1', autoUpdate: true }, now)).toMatchObject({
      entry: { version: '0.44.1' },
      movedFrom: { version: '0.42.1', because: 'expired' },
    });
    expect(resolveFalcoVersion(catalogue, { version: '0.43.1', autoUpdate: true }, now)).toMatchObject({ movedFrom: { because: 'deprecated' } });
    expect(resolveFalcoVersion(catalogue, { version: '0.44.0', autoUpdate: true }, now)).toMatchObject({ movedFrom: { because: 'newer-supported' } });
  });

  it('never moves back: the latest supported version stays, a newer preview stays with a warning', () => {
    expect(resolveFalcoVersion(catalogue, { version: '0.44.1', autoUpdate: true }, now)).not.toHaveProperty('movedFrom');
    expect(resolveFalcoVersion(catalogue, { version: '0.45.0-rc1', autoUpdate: true }, now)).toMatchObject({
      entry: { version: '0.45.0-rc1' },
      warning: { kind: 'preview' },
    });
  });

  it('refuses a version the catalogue does not list, and auto when nothing is supported', () => {
    expect(version(resolveFalcoVersion(catalogue, { version: '0.40.0' }, now))).toBe('unknown');
    const noneSupported = { ...catalogue, versions: catalogue.versions.filter((v) => v.classification !== 'supported') };
    expect(version(resolveFalcoVersion(noneSupported, { version: 'auto' }, now))).toBe('no-supported');
  });
});

describe('plugin API compatibility', () => {
  it('follows the libs loader: same major, no later minor, no later patch of the same minor', () => {
    expect(pluginApiIncompatibility('3.12.0', '3.12.0')).toBeUndefined();
    expect(pluginApiIncompatibility('3.0.0', '3.12.0')).toBeUndefined();
    expect(pluginApiIncompatibility('3.11.7', '3.12.0')).toBeUndefined();
    expect(pluginApiIncompatibility('3.13.0', '3.12.0')).toMatch(/older than the 3.13.0 required/);
    expect(pluginApiIncompatibility('3.12.1', '3.12.0')).toMatch(/older/);
    expect(pluginApiIncompatibility('2.0.0', '3.12.0')).toMatch(/major versions disagree/);
  });

  const manifest = parseManifest(`apiVersion: falco-airgap/v1alpha1
kind: PluginsManifest
falco: {version: 0.44.1}
platforms: [linux/amd64, linux/arm64]
plugins:
  - name: container
    version: 0.7.1
    requiredApiVersion: 3.12.0
    from: {image: docker.io/falcosecurity/falco:0.44.1-debian, path: /usr/share/falco/plugins/libcontainer.so}
  - name: k8saudit
    version: 0.18.0
    from: {artifact: ghcr.io/falcosecurity/plugins/plugin/k8saudit:0.18.0}
  - name: json
    version: 0.7.4
    from: {artifact: ghcr.io/falcosecurity/plugins/plugin/json:0.7.4}
`);
  const locked = (name: string, version: string, api: string) => ({
    name,
    version,
    source: { artifact: `ghcr.io/falcosecurity/plugins/plugin/${name}:${version}` },
    resolvedDigest: `sha256:${'0'.repeat(64)}`,
    platforms: (['linux/amd64', 'linux/arm64'] as const).map((platform) => ({
      platform,
      manifestDigest: `sha256:${'1'.repeat(64)}`,
      layerDigest: `sha256:${'2'.repeat(64)}`,
      file: `lib${name}.so`,
      sha256: '3'.repeat(64),
      size: 1,
      elfMachine: 'x86-64',
      pluginApiVersion: api,
      pluginApiVersionSource: 'artifact-config' as const,
      path: `${platform.replace('/', '-')}/lib${name}.so`,
    })),
  });
  const lock = { plugins: [locked('k8saudit', '0.18.0', '3.10.0'), locked('json', '0.7.3', '3.13.0')] } as unknown as PluginsLock;
  const falco = (entry: Partial<FalcoVersionEntry>) => ({ ...catalogue.versions[1]!, ...entry });

  it('takes requirements from the manifest and from lock entries of the same source and version only', () => {
    expect(checkPluginApi(manifest, lock, falco({}))).toEqual({ conflicts: [], unstated: ['json'] });
  });

  it('names each plugin, platform and where the requirement is stated when Falco cannot load it', () => {
    const check = checkPluginApi(manifest, lock, falco({ version: '0.41.3', pluginApiVersion: '3.11.0' }));
    expect(check.conflicts.map((c) => [c.plugin, c.statedIn, c.platform ?? '-', c.required, c.provided])).toEqual([
      ['container', 'manifest', '-', '3.12.0', '3.11.0'],
    ]);
    const older = checkPluginApi(manifest, lock, falco({ pluginApiVersion: '3.9.0' }));
    expect(older.conflicts.map((c) => [c.plugin, c.platform ?? '-'])).toEqual([
      ['container', '-'],
      ['k8saudit', 'linux/amd64'],
      ['k8saudit', 'linux/arm64'],
    ]);
  });
});

describe('rule sets', () => {
  it('maps the selection to the official artifacts at the catalogue versions, in load order', () => {
    const entry = catalogue.versions[1]!;
    expect(selectedRulesfiles({ falco: true, incubating: true, sandbox: true }, entry)).toEqual([
      { set: 'falco', name: 'falco-rules', version: '5.1.0', artifact: 'ghcr.io/falcosecurity/rules/falco-rules:5.1.0', file: 'falco_rules.yaml' },
      {
        set: 'incubating',
        name: 'falco-incubating-rules',
        version: '5.0.1',
        artifact: 'ghcr.io/falcosecurity/rules/falco-incubating-rules:5.0.1',
        file: 'falco-incubating_rules.yaml',
      },
      { set: 'sandbox', name: 'falco-sandbox-rules', version: undefined, artifact: undefined, file: 'falco-sandbox_rules.yaml' },
    ]);
    expect(selectedRulesfiles({ falco: false, incubating: false, sandbox: true }, entry).map((r) => r.name)).toEqual(['falco-sandbox-rules']);
  });

  it('names the upstream images to mirror for a version', () => {
    expect(upstreamImages(catalogue.versions[1]!)).toEqual([
      { name: 'falco', reference: 'docker.io/falcosecurity/falco:0.44.1' },
      { name: 'falcosidekick', reference: 'docker.io/falcosecurity/falcosidekick:2.34.1' },
    ]);
  });
});

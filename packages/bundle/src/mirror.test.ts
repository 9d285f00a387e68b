import { buildPluginArtifact, buildRulesfileArtifact, compilePlugin } from '@falco-airgap/fixtures';
import type { PluginsLock } from '@falco-airgap/manifest';
import { createRegistryClient, type HttpTransport } from '@falco-airgap/oci';
import { FakeRegistry } from '@falco-airgap/oci/test-support';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isBundleError } from './errors.ts';
import { serializeFalcoctlIndex } from './falcoctl-index.ts';
import { mirrorArtifacts, parseMirrorTarget, planMirror } from './mirror.ts';

const SHA = (n: number) => `sha256:${String(n).repeat(64).slice(0, 64)}`;

function lockOf(plugins: PluginsLock['plugins'], rulesfiles: PluginsLock['rulesfiles'] = []): PluginsLock {
  return {
    apiVersion: 'falco-airgap/v1alpha1',
    kind: 'PluginsLock',
    generatedAt: '',
    falco: { version: '0.44.1' },
    manifestSha256: 'a'.repeat(64),
    plugins,
    rulesfiles,
  };
}

function lockedPlugin(name: string, artifact: string, digest: string): PluginsLock['plugins'][number] {
  return { name, version: '0.18.0', source: { artifact }, resolvedDigest: digest, platforms: [] };
}

function lockedRules(name: string, artifact: string, digest: string): PluginsLock['rulesfiles'][number] {
  return { name, version: '5.1.0', source: { artifact }, resolvedDigest: digest, manifestDigest: digest, layerDigest: digest, files: [] };
}

describe('parseMirrorTarget', () => {
  it.each([
    ['127.0.0.1:5000', { registry: '127.0.0.1:5000', prefix: '' }],
    ['registry.internal/falco/mirror/', { registry: 'registry.internal', prefix: 'falco/mirror' }],
    ['localhost:5443/m', { registry: 'localhost:5443', prefix: 'm' }],
  ])('reads %s', (value, target) => expect(parseMirrorTarget(value)).toEqual(target));

  it.each(['falco/mirror', 'Registry.internal/UPPER', '', 'host:5000/a b'])('refuses %j as input', (value) => {
    const error = (() => {
      try {
        return parseMirrorTarget(value);
      } catch (e) {
        return e;
      }
    })();
    expect(isBundleError(error, 'BUNDLE_BAD_OPTION')).toBe(true);
  });
});

describe('planMirror', () => {
  it('keeps each repository path under the prefix, pins the locked digest, tags the version and the source tag, skips image sources', () => {
    const lock = lockOf(
      [
        lockedPlugin('k8saudit', 'ghcr.io/falcosecurity/plugins/plugin/k8saudit:0.18', SHA(1)),
        {
          name: 'container',
          version: '0.7.1',
          source: { image: 'docker.io/falcosecurity/falco:0.44.1', path: '/x.so' },
          resolvedDigest: SHA(2),
          platforms: [],
        },
      ],
      [lockedRules('falco-rules', 'ghcr.io/falcosecurity/rules/falco-rules:5.1.0', SHA(3))],
    );
    const plan = planMirror(lock, parseMirrorTarget('mirror.internal:5000/falco'));
    expect(plan.items.map((i) => [i.name, `${i.target.registry}/${i.target.repository}`, i.digest, i.tags])).toEqual([
      ['k8saudit', 'mirror.internal:5000/falco/falcosecurity/plugins/plugin/k8saudit', SHA(1), ['0.18.0', '0.18']],
      ['falco-rules', 'mirror.internal:5000/falco/falcosecurity/rules/falco-rules', SHA(3), ['5.1.0']],
    ]);
    expect(plan.skipped).toEqual([{ kind: 'plugin', name: 'container', reason: expect.stringContaining('docker.io/falcosecurity/falco:0.44.1') }]);
  });

  it('refuses a plugin and a rulesfile of the same name: the index names each once', () => {
    const lock = lockOf([lockedPlugin('k8saudit', 'ghcr.io/a/k8saudit:1', SHA(1))], [lockedRules('k8saudit', 'ghcr.io/a/k8saudit-rules:1', SHA(2))]);
    expect(() => planMirror(lock, parseMirrorTarget('m.internal'))).toThrow(/both named k8saudit/);
  });
});

describe('serializeFalcoctlIndex', () => {
  it('writes the entries sorted by name, every field falcoctl reads, scalars quoted', () => {
    const text = serializeFalcoctlIndex([
      {
        name: 'z-rules',
        type: 'rulesfile',
        registry: 'm.internal:5000',
        repository: 'falco/z',
        description: 'has: a colon',
        home: '',
        keywords: ['rulesfile'],
        license: '',
        maintainers: [{ email: 'a@b.c', name: 'A' }],
        sources: ['ghcr.io/z:1'],
      },
      {
        name: 'a',
        type: 'plugin',
        registry: 'm.internal:5000',
        repository: 'falco/a',
        description: '',
        home: '',
        keywords: [],
        license: 'Apache-2.0',
        maintainers: [],
        sources: [],
      },
    ]);
    expect(text).toBe(
      [
        '- name: "a"',
        '  type: "plugin"',
        '  registry: "m.internal:5000"',
        '  repository: "falco/a"',
        '  description: ""',
        '  home: ""',
        '  keywords: []',
        '  license: "Apache-2.0"',
        '  maintainers: []',
        '  sources: []',
        '- name: "z-rules"',
        '  type: "rulesfile"',
        '  registry: "m.internal:5000"',
        '  repository: "falco/z"',
        '  description: "has: a colon"',
        '  home: ""',
        '  keywords: ["rulesfile"]',
        '  license: ""',
        '  maintainers:',
        '    - email: "a@b.c"',
        '      name: "A"',
        '  sources: ["ghcr.io/z:1"]',
        '',
      ].join('\n'),
    );
    expect(serializeFalcoctlIndex([])).toBe('[]\n');
  });
});

describe('mirrorArtifacts', () => {
  it('copies the locked plugin and rulesfile to the mirror and indexes the copies', async () => {
    const upstream = new FakeRegistry('ghcr.test');
    const mirror = new FakeRegistry('mirror.test');
    const plugin = buildPluginArtifact({
      name: 'demo',
      version: '0.1.0',
      requiredApiVersion: '3.10.0',
      builds: compilePlugin({ name: 'demo', version: '0.0.0', apiVersion: '3.10.0' }),
    });
    const rules = buildRulesfileArtifact({ name: 'demo-rules', version: '0.1.0', files: [{ name: 'demo_rules.yaml', content: '- rule: demo\n' }] });
    upstream.push('plugins/demo', plugin, ['0.1.0']);
    upstream.push('rules/demo-rules', rules, ['0.1.0']);
    const transport: HttpTransport = (r) => (new URL(r.url).host === 'mirror.test' ? mirror.transport(r) : upstream.transport(r));
    const cacheDir = await mkdtemp(join(tmpdir(), 'mirror-test-'));
    const client = await createRegistryClient({ transport, cacheDir, retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 2 } });
    try {
      const lock = lockOf(
        [{ ...lockedPlugin('demo', 'ghcr.test/plugins/demo:0.1.0', plugin.root.descriptor.digest), version: '0.1.0' }],
        [{ ...lockedRules('demo-rules', 'ghcr.test/rules/demo-rules:0.1.0', rules.root.descriptor.digest), version: '0.1.0' }],
      );
      const result = await mirrorArtifacts(client, planMirror(lock, parseMirrorTarget('mirror.test/falco')));
      expect(result.reports.map((r) => r.report.digest)).toEqual([plugin.root.descriptor.digest, rules.root.descriptor.digest]);
      for (const m of [plugin.root, ...plugin.manifests]) expect(mirror.manifests.get(`falco/plugins/demo@${m.descriptor.digest}`)?.bytes).toEqual(m.bytes);
      expect(mirror.manifests.get('falco/rules/demo-rules:0.1.0')?.bytes).toEqual(rules.root.bytes);
      expect(result.index.map((e) => [e.name, e.type, e.registry, e.repository])).toEqual([
        ['demo', 'plugin', 'mirror.test', 'falco/plugins/demo'],
        ['demo-rules', 'rulesfile', 'mirror.test', 'falco/rules/demo-rules'],
      ]);
    } finally {
      await client.close();
      await rm(cacheDir, { recursive: true, force: true });
    }
  });
});

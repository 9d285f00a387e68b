import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { parseManifests, testbedTools, type K8sObject } from '@falco-airgap/test-support';
import { containerOf, falcoYamlOf, podSpecOf, theOne, workloadOf } from './test-support/manifests.ts';

// The load order of falco.yaml's rules_files as the testbed's helm renders it: the official rule sets
// in the order the environment selects them, falco-airgap's overrides, customRules, then the teams'
// ConfigMaps last in byte order of their names, as Go's strings.Compare orders them.

const tools = testbedTools();
const scratch = mkdtempSync(join(tmpdir(), 'falco-airgap-rules-order-'));
const namespace = 'falco-airgap-rules-order';
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
  tools.cleanup();
});
beforeAll(() => tools.ensureNamespace(namespace));

let files = 0;
async function render(values: Record<string, unknown>): Promise<{ objects: K8sObject[]; stream: string }> {
  const file = join(scratch, `values-${files++}.yaml`);
  writeFileSync(file, stringify(values));
  const result = await tools.template('order', namespace, ['-f', file]);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return { objects: parseManifests(result.stdout), stream: result.stdout };
}

// Byte order, as Go's strings.Compare: digits before letters, "1" before "9" whatever follows, upper case before lower.
const byteOrder = (names: string[]) => [...names].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
const TEAM_CONFIGMAPS = ['team-b', '9-extra', 'team-a', '10-base', 'team-a.audit'];

describe('rules_files', () => {
  it('loads the official sets, then the overrides, then customRules, then the ConfigMaps in byte order of their names', async () => {
    const { objects, stream } = await render({
      global: { imageRegistry: 'registry.internal:5000/airgap' },
      lockedRules: { files: ['falco_rules.yaml', 'falco-incubating_rules.yaml', 'falco-sandbox_rules.yaml'] },
      rulesOverrides: { enabled: true },
      customRules: { 'b.yaml': '[]\n', 'B.yaml': '[]\n', 'a.yaml': '[]\n' },
      customRulesConfigMaps: TEAM_CONFIGMAPS,
    });
    expect(byteOrder(TEAM_CONFIGMAPS)).toEqual(['10-base', '9-extra', 'team-a', 'team-a.audit', 'team-b']);
    expect(falcoYamlOf(objects, 'order-falco-airgap').rules_files).toEqual([
      '/etc/falco/locked-rules.d/falco_rules.yaml',
      '/etc/falco/locked-rules.d/falco-incubating_rules.yaml',
      '/etc/falco/locked-rules.d/falco-sandbox_rules.yaml',
      '/etc/falco/rules.overrides.d/falco-airgap_overrides.yaml',
      '/etc/falco/falco_rules.local.yaml',
      '/etc/falco/rules.d/B.yaml',
      '/etc/falco/rules.d/a.yaml',
      '/etc/falco/rules.d/b.yaml',
      ...byteOrder(TEAM_CONFIGMAPS).map((name) => `/etc/falco/rules.configmaps.d/${name}`),
    ]);

    // Each ConfigMap is mounted where rules_files names it, read-only.
    const spec = podSpecOf(workloadOf(objects));
    const mounts = containerOf(spec, 'falco').volumeMounts!.filter((m) => m.mountPath.startsWith('/etc/falco/rules.'));
    const volumes = new Map(spec.volumes!.map((v) => [v.name, v.configMap?.name]));
    expect(mounts.map((m) => [m.mountPath, volumes.get(m.name), m.readOnly])).toEqual([
      ['/etc/falco/rules.d', 'order-falco-airgap-rules', true],
      ['/etc/falco/rules.overrides.d', 'order-falco-airgap-rules-overrides', true],
      ...byteOrder(TEAM_CONFIGMAPS).map((name) => [`/etc/falco/rules.configmaps.d/${name}`, name, true]),
    ]);

    const accepted = await tools.kubectl(['apply', '--dry-run=server', '--validate=strict', '-f', '-'], { input: stream });
    expect(accepted.stderr).toBe('');
    expect(accepted.code).toBe(0);
  });

  it("names only the selected sets, in the image's falco_rules.yaml place, and leaves out what is off", async () => {
    const { objects } = await render({ lockedRules: { files: ['falco-sandbox_rules.yaml'] } });
    expect(falcoYamlOf(objects, 'order-falco-airgap').rules_files).toEqual([
      '/etc/falco/locked-rules.d/falco-sandbox_rules.yaml',
      '/etc/falco/falco_rules.local.yaml',
    ]);
  });

  it("appends the overrides to upstream rules and lists only, naming this chart's own Falco images", async () => {
    const { objects } = await render({ global: { imageRegistry: 'registry.internal:5000/airgap' }, rulesOverrides: { enabled: true } });
    const configMap = theOne(objects, 'ConfigMap', 'order-falco-airgap-rules-overrides') as unknown as { data: Record<string, string> };
    const overrides = parse(configMap.data['falco-airgap_overrides.yaml']!) as Record<string, unknown>[];
    expect(overrides.map((item) => item.override)).toEqual([{ items: 'append' }, { exceptions: 'append' }]);
    expect(overrides[0]).toMatchObject({
      list: 'falco_containers',
      items: ['registry.internal:5000/airgap/falco', 'registry.internal:5000/airgap/falco-s3-loader'],
    });
    expect(overrides[1]).toMatchObject({ rule: 'Contact K8S API Server From Container' });
    expect(overrides.every((item) => !('condition' in item))).toBe(true);
    // Without a lock (pluginStrategy none) they follow the image's falco_rules.yaml.
    const none = await render({ pluginStrategy: 'none', rulesOverrides: { enabled: true } });
    expect(falcoYamlOf(none.objects, 'order-falco-airgap').rules_files).toEqual([
      '/etc/falco/falco_rules.yaml',
      '/etc/falco/rules.overrides.d/falco-airgap_overrides.yaml',
      '/etc/falco/falco_rules.local.yaml',
    ]);
  });
});

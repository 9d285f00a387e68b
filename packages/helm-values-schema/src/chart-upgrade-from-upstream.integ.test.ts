import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { chartPath, testbedTools, type K8sObject } from '@falco-airgap/test-support';
import { migrateOfficialValues } from './migrate.ts';
import { containerOf, type PodSpec } from './test-support/manifests.ts';
import { upstreamChartValuesFile } from './test-support/upstream-values.ts';

// An installation of the upstream falco chart (a stand-in with its names, labels and selector) upgraded to
// this chart with the migrated values on the testbed API server: the DaemonSet is updated, never replaced.

const tools = testbedTools();
const release = 'falco';
const namespace = 'falco-airgap-it-upstream';
const ns = ['--namespace', namespace];
const standinChart = join(import.meta.dirname, '..', 'test-fixtures', 'upstream-standin-chart');
const scratch = mkdtempSync(join(tmpdir(), 'falco-airgap-upgrade-'));

interface DaemonSet extends K8sObject {
  metadata: K8sObject['metadata'] & { uid: string; generation: number };
  spec: { selector: { matchLabels: Record<string, string> }; template: { spec: PodSpec } };
  status: { desiredNumberScheduled: number; numberReady: number; updatedNumberScheduled: number; observedGeneration: number };
}

const daemonSets = async () => (await tools.kubectlJson<{ items: DaemonSet[] }>(['get', 'daemonsets', ...ns])).items;

/** Waits until the controller has rolled the current generation onto every node. */
async function rolledOut(name: string): Promise<DaemonSet> {
  let ds = await tools.kubectlJson<DaemonSet>(['get', 'daemonset', name, ...ns]);
  for (let i = 0; i < 90; i++) {
    const s = ds.status;
    if (
      s.observedGeneration === ds.metadata.generation &&
      s.desiredNumberScheduled > 0 &&
      s.updatedNumberScheduled === s.desiredNumberScheduled &&
      s.numberReady === s.desiredNumberScheduled
    )
      return ds;
    await sleep(1000);
    ds = await tools.kubectlJson<DaemonSet>(['get', 'daemonset', name, ...ns]);
  }
  return ds;
}

beforeAll(async () => {
  await tools.ensureNamespace(namespace);
  // The namespace is reused between runs: start from no release.
  await tools.helm(['uninstall', release, ...ns, '--wait', '--ignore-not-found']);
});
afterAll(async () => {
  await tools.helm(['uninstall', release, ...ns, '--wait', '--ignore-not-found']);
  tools.cleanup();
  rmSync(scratch, { recursive: true, force: true });
});

describe('helm upgrade from an installation of the upstream falco chart', () => {
  let before: DaemonSet;

  it('starts from the upstream chart installed as release falco', async () => {
    const result = await tools.helm(['install', release, standinChart, ...ns, '--wait', '--timeout', '3m']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    before = await rolledOut('falco');
    expect(before.metadata.labels?.['helm.sh/chart']).toBe('falco-9.1.0');
    expect(before.spec.selector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'falco', 'app.kubernetes.io/instance': 'falco' });
    expect(before.status.numberReady).toBe(2);
  });

  it('upgrades to this chart with the migrated values: same DaemonSet (uid), new pod template, no other DaemonSet', async () => {
    const migrated = migrateOfficialValues(parse(readFileSync(upstreamChartValuesFile, 'utf8')), { releaseName: release, namespace });
    const values = join(scratch, 'migrated.yaml');
    writeFileSync(values, stringify(migrated.values));
    const result = await tools.helm(['upgrade', release, chartPath, ...ns, '-f', values, '--wait', '--timeout', '3m']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);

    const after = await rolledOut('falco');
    expect(after.metadata.uid).toBe(before.metadata.uid);
    expect(after.metadata.generation).toBeGreaterThan(before.metadata.generation);
    expect(after.metadata.labels?.['helm.sh/chart']).toBe('falco-airgap-0.1.0');
    expect(after.status).toMatchObject({ desiredNumberScheduled: 2, numberReady: 2, updatedNumberScheduled: 2 });
    expect(containerOf(after.spec.template.spec, 'falco').image).toBe('localhost:5000/falco:0.44.1');
    expect((await daemonSets()).map((d) => d.metadata.name)).toEqual(['falco']);
    const history = await tools.helm(['history', release, ...ns, '-o', 'json']);
    expect((JSON.parse(history.stdout) as { chart: string; status: string }[]).map((h) => [h.chart, h.status])).toEqual([
      ['falco-9.1.0', 'superseded'],
      ['falco-airgap-0.1.0', 'deployed'],
    ]);
  });

  it('then takes FALCO_HOSTNAME from extra.env in an upgrade, replacing the one the chart sets', async () => {
    const values = join(scratch, 'hostname.yaml');
    writeFileSync(values, stringify({ nameOverride: 'falco', extra: { env: [{ name: 'FALCO_HOSTNAME', value: '{{ .Release.Namespace }}-node' }] } }));
    const result = await tools.helm(['upgrade', release, chartPath, ...ns, '-f', values, '--wait', '--timeout', '3m']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const after = await rolledOut('falco');
    expect(after.metadata.uid).toBe(before.metadata.uid);
    const env = containerOf(after.spec.template.spec, 'falco').env!;
    expect(env.filter((e) => e.name === 'FALCO_HOSTNAME')).toEqual([{ name: 'FALCO_HOSTNAME', value: `${namespace}-node` }]);
  });
});

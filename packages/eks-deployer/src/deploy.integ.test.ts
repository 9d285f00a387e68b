import { parseValuesFile } from '@falco-airgap/helm-values-schema';
import { chartPath, testbedTools } from '@falco-airgap/test-support';
import { requireTestbed } from '@falco-airgap/testbed/env';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readChart, type ChartInfo } from './chart.ts';
import { connectKubeconfig } from './cluster-connection.ts';
import { KubernetesCluster, NAMESPACE_LABELS } from './cluster.ts';
import { planDeploy, type ComputedValues, type ValuesSource } from './deploy-plan.ts';
import { deploy } from './deploy.ts';
import type { DiagnosticsBundle } from './diagnostics.ts';
import { DeployErrorCode, isDeployError, type DeployError } from './errors.ts';
import { HelmCli } from './helm-cli.ts';
import { readReleaseStatus } from './release-status.ts';

// The chart deployed to the testbed's API server through the library's own adapters; kwok plays the kubelet.
const testbed = requireTestbed('TESTBED_HELM', 'TESTBED_KUBECONFIG');
const tools = testbedTools();
const run = randomBytes(3).toString('hex');
const namespace = `eks-deployer-it-${run}`;
// The chart's ClusterRole is named after the release: names of their own keep parallel runs apart.
const names = { main: `dep-${run}`, nowhere: `nowhere-${run}`, pending: `pending-${run}` };
const work = mkdtempSync(join(tmpdir(), 'eks-deployer-deploy-'));
const connection = connectKubeconfig({ kubeconfig: [testbed.TESTBED_KUBECONFIG!] });
const cluster = new KubernetesCluster({ kubeConfig: connection.kubeConfig });
const helm = new HelmCli({
  helmBinary: testbed.TESTBED_HELM!,
  kubeconfig: (validFor) => connection.helmKubeconfig(validFor),
  env: { HOME: work, HELM_CACHE_HOME: join(work, 'cache'), HELM_CONFIG_HOME: join(work, 'config'), HELM_DATA_HOME: join(work, 'data') },
  workDir: work,
});
const DIGEST = `sha256:${'c'.repeat(64)}`;
const computed: ComputedValues = {
  images: {
    falco: { registry: 'localhost:5000', repository: 'falco', digest: DIGEST },
    pluginLoader: { registry: 'localhost:5000', repository: 'falco-plugin-loader', digest: DIGEST },
  },
};

async function layer(name: string): Promise<ValuesSource> {
  const path = join(chartPath, name);
  const file = parseValuesFile(await readFile(path, 'utf8'), path);
  return { name: path, values: file.values, file };
}

let chart: ChartInfo;
let base: ValuesSource[];
beforeAll(async () => {
  chart = await readChart(chartPath);
  base = [await layer('values-minikube.yaml'), await layer('environments/dev.yaml')];
});
afterAll(async () => {
  for (const release of Object.values(names)) await helm.uninstall(release, namespace, { wait: true, timeoutSeconds: 60 }).catch(() => 'absent');
  await tools.kubectl(['delete', 'namespace', namespace, '--wait=false', '--ignore-not-found']);
  await rm(work, { recursive: true, force: true });
  tools.cleanup();
});

const plan = async (release: string, layers: ValuesSource[], extra: ComputedValues = computed, timeoutSeconds = 180) =>
  planDeploy({
    release,
    namespace,
    chart,
    layers,
    computed: extra,
    cluster: connection.description,
    timeoutSeconds,
    history: await helm.history(release, namespace),
  });

describe('deploy to the testbed cluster', () => {
  it('creates the namespace, installs the chart with the pinned images, and sees one ready pod per node', async () => {
    const result = await deploy(await plan(names.main, base), { cluster, helm });
    expect(result).toMatchObject({ outcome: 'installed', revision: 1, namespaceStatus: 'created', rollout: { done: true } });
    expect(result.rollout.workloads).toEqual([
      expect.objectContaining({ kind: 'DaemonSet', name: `${names.main}-falco-airgap`, desired: 2, ready: 2, updated: 2 }),
    ]);
    expect(result.rollout.pods.map((p) => p.node).sort()).toEqual(['kwok-node-0', 'kwok-node-1']);

    const ns = await tools.kubectlJson(['get', 'namespace', namespace]);
    expect(ns.metadata.labels).toMatchObject(NAMESPACE_LABELS);
    const pods = await tools.kubectlJson<{
      items: { spec: { containers: { name: string; image: string }[]; initContainers: { name: string; image: string }[] } }[];
    }>(['get', 'pods', '-n', namespace, '-l', `app.kubernetes.io/instance=${names.main}`]);
    for (const pod of pods.items) {
      expect(pod.spec.containers.find((c) => c.name === 'falco')!.image).toBe(`localhost:5000/falco@${DIGEST}`);
      expect(pod.spec.initContainers.find((c) => c.name === 'plugin-loader')!.image).toBe(`localhost:5000/falco-plugin-loader@${DIGEST}`);
    }
  });

  it('makes no new revision when nothing changed', async () => {
    const again = await plan(names.main, base);
    expect(again).toMatchObject({ action: 'unchanged', currentRevision: 1 });
    const result = await deploy(again, { cluster, helm });
    expect(result).toMatchObject({ outcome: 'unchanged', revision: 1, namespaceStatus: 'present', rollout: { done: true } });
    expect((await helm.history(names.main, namespace)).map((h) => [h.revision, h.status])).toEqual([[1, 'deployed']]);
  });

  it('upgrades when the values change, and reports what runs where', async () => {
    const result = await deploy(await plan(names.main, [...base, await layer('environments/prod.yaml')]), { cluster, helm });
    expect(result).toMatchObject({ outcome: 'upgraded', revision: 2, rollout: { done: true } });
    const status = await readReleaseStatus({ cluster, helm, release: names.main, namespace, clusterDescription: connection.description });
    expect(status).toMatchObject({
      installed: true,
      revision: 2,
      status: 'deployed',
      chart: `falco-airgap-${chart.version}`,
      plugins: { strategy: 'sidecar' },
    });
    expect(status.description).toMatch(/^falco-airgap falco-airgap-/);
    expect(status.images).toEqual([
      { workload: `DaemonSet ${names.main}-falco-airgap`, container: 'plugin-loader', image: `localhost:5000/falco-plugin-loader@${DIGEST}` },
      { workload: `DaemonSet ${names.main}-falco-airgap`, container: 'falco', image: `localhost:5000/falco@${DIGEST}` },
    ]);
    expect(status.rollout).toMatchObject({ done: true });
  });

  it('fails verification of a DaemonSet that matches no node, naming the cause in the bundle', async () => {
    const nowhere = { name: 'nowhere.yaml', values: { nodeSelector: { 'falco-airgap.test/absent': 'true' } } };
    const error = (await deploy(await plan(names.nowhere, [...base, nowhere]), { cluster, helm }, { diagnosticsDir: work, verifyTimeoutMs: 10_000 }).catch(
      (e: unknown) => e,
    )) as DeployError;
    expect(isDeployError(error, DeployErrorCode.RolloutFailed), String(error)).toBe(true);
    expect(error.diagnosis).toMatchObject({ cause: 'unschedulable', findings: [expect.objectContaining({ reason: 'NoNodeMatches' })] });
    const bundle = JSON.parse(await readFile(error.diagnosticsFile!, 'utf8')) as DiagnosticsBundle;
    expect(bundle).toMatchObject({ kind: 'DeployDiagnostics', release: names.nowhere, namespace, diagnosis: { cause: 'unschedulable' } });
    expect(bundle.helmHistory.map((h) => h.status)).toEqual(['deployed']);
  });

  it('times out on pods no node can run, rolls back atomically, and diagnoses them from what it saw before', async () => {
    const pending = {
      name: 'pending.yaml',
      values: { controller: { kind: 'deployment' }, driver: { enabled: false }, nodeSelector: { 'falco-airgap.test/absent': 'true' } },
    };
    const error = (await deploy(await plan(names.pending, [...base, pending], computed, 15), { cluster, helm }, { diagnosticsDir: work }).catch(
      (e: unknown) => e,
    )) as DeployError;
    expect(isDeployError(error, DeployErrorCode.HelmTimeout), String(error)).toBe(true);
    expect(error.message).toContain('(the failed revision was rolled back)');
    expect(error.diagnosis?.cause).toBe('unschedulable');
    expect(error.diagnosis?.summary[0]).toMatch(/^likely cause: unschedulable — .*didn't match Pod's node affinity\/selector/);
    const bundle = JSON.parse(await readFile(error.diagnosticsFile!, 'utf8')) as DiagnosticsBundle;
    expect(bundle.pods.length).toBeGreaterThan(0);
    expect(bundle.pods.every((p) => p.gone)).toBe(true);
    expect(bundle.events.some((e) => e.reason === 'FailedScheduling')).toBe(true);
    // A first install that fails under --atomic leaves nothing behind.
    expect(await helm.history(names.pending, namespace)).toEqual([]);
  });
});

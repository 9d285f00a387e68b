import { sleep } from '@falco-airgap/core';
import { ValuesError } from '@falco-airgap/helm-values-schema';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChartInfo } from './chart.ts';
import { planDeploy, type DeployPlanInput } from './deploy-plan.ts';
import { deploy, type DeployEvent } from './deploy.ts';
import type { DiagnosticsBundle } from './diagnostics.ts';
import { DeployError, DeployErrorCode, isDeployError } from './errors.ts';
import { classifyHelmFailure } from './helm.ts';
import { FakeCluster } from './test-support/fake-cluster.ts';
import { FakeHelm } from './test-support/fake-helm.ts';
import { daemonSet, pod } from './test-support/objects.ts';

const chart: ChartInfo = { ref: 'helm/falco-airgap', name: 'falco-airgap', version: '0.1.0', appVersion: '0.44.1', digest: 'sha256:aaaa' };
const VALUES = { pluginStrategy: 'sidecar', global: { imageRegistry: 'localhost:5000' } };

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'eks-deployer-deploy-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const planInput = (helm: FakeHelm, values: Record<string, unknown> = VALUES): Promise<DeployPlanInput> =>
  helm.history('falco', 'falco').then((history) => ({
    release: 'falco',
    namespace: 'falco',
    chart,
    cluster: 'kube context test',
    timeoutSeconds: 60,
    layers: [{ name: 'values.yaml', values }],
    history,
  }));

/** A cluster where every upgrade rolls out at once: two ready pods of the release. */
function healthy() {
  const cluster = new FakeCluster();
  const helm = new FakeHelm({
    onUpgrade: (_request, revision) => {
      cluster.setWorkloads('falco', [daemonSet('falco', {}, revision)]);
      cluster.setPods('falco', [pod({ name: `falco-a-${revision}`, release: 'falco' }), pod({ name: `falco-b-${revision}`, release: 'falco' })]);
    },
  });
  return { cluster, helm };
}

describe('deploy', () => {
  it('creates the namespace, installs, and verifies the rollout; a second run changes nothing', async () => {
    const { cluster, helm } = healthy();
    const events: DeployEvent[] = [];
    const first = await deploy(planDeploy(await planInput(helm)), { cluster, helm }, { onEvent: (e) => events.push(e), pollIntervalMs: 1 });
    expect(first).toMatchObject({ outcome: 'installed', revision: 1, namespaceStatus: 'created', rollout: { done: true } });
    expect(events.map((e) => `${e.type}:${'status' in e ? e.status : ''}`)).toEqual(['namespace:created', 'helm:running', 'helm:done', 'rollout:done']);
    expect(helm.upgrades[0]).toMatchObject({ atomic: true, wait: true, timeoutSeconds: 60, values: VALUES });

    const second = await deploy(planDeploy(await planInput(helm)), { cluster, helm }, { pollIntervalMs: 1 });
    expect(second).toMatchObject({ outcome: 'unchanged', revision: 1, namespaceStatus: 'present' });
    expect(helm.upgrades).toHaveLength(1);
    expect((await helm.history('falco', 'falco')).map((h) => h.revision)).toEqual([1]);

    const third = await deploy(planDeploy(await planInput(helm, { ...VALUES, falco: { priority: 'notice' } })), { cluster, helm }, { pollIntervalMs: 1 });
    expect(third).toMatchObject({ outcome: 'upgraded', revision: 2 });
  });

  it('refuses invalid values before touching the cluster or helm', async () => {
    const { cluster, helm } = healthy();
    const plan = planDeploy(await planInput(helm, { pluginStrategy: 's3' }));
    const error = await deploy(plan, { cluster, helm }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValuesError);
    expect((error as ValuesError).issues.map((i) => i.code)).toEqual(['VALUES_S3_BUCKET_REQUIRED', 'VALUES_S3_CHANNEL_OR_RELEASE']);
    expect(cluster.calls).toEqual([]);
    expect(helm.upgrades).toEqual([]);
  });

  it('diagnoses a helm timeout from the pods seen before the atomic rollback removed them, and writes the bundle', async () => {
    const cluster = new FakeCluster();
    const helm = new FakeHelm({
      onUpgrade: async () => {
        cluster.setWorkloads('falco', [daemonSet('falco', { numberReady: 0, numberAvailable: 0 })]);
        cluster.setPods('falco', [
          pod({
            name: 'falco-new',
            release: 'falco',
            phase: 'Pending',
            ready: false,
            containers: [{ state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "localhost:5000/falco:0.44.2"' } }, ready: false }],
          }),
        ]);
        await sleep(50);
        // The rollback of a first install removes everything.
        cluster.setWorkloads('falco', []);
        cluster.setPods('falco', []);
        throw classifyHelmFailure(
          'upgrade --install',
          'Error: release falco failed, and has been uninstalled due to atomic being set: context deadline exceeded',
          'falco',
        );
      },
    });
    const events: DeployEvent[] = [];
    const error = (await deploy(
      planDeploy(await planInput(helm)),
      { cluster, helm },
      { diagnosticsDir: dir, pollIntervalMs: 5, onEvent: (e) => events.push(e) },
    ).catch((e: unknown) => e)) as DeployError;
    expect(isDeployError(error, DeployErrorCode.HelmTimeout), String(error)).toBe(true);
    expect(error.diagnosis?.cause).toBe('image-pull');
    expect(error.diagnosis?.summary[0]).toContain('falco-new container falco: ImagePullBackOff');
    expect(error.diagnosticsFile).toBe(join(dir, (await readdir(dir))[0]!));
    const bundle = JSON.parse(await readFile(error.diagnosticsFile!, 'utf8')) as DiagnosticsBundle;
    expect(bundle).toMatchObject({ kind: 'DeployDiagnostics', release: 'falco', failure: { code: 'DEPLOY_HELM_TIMEOUT' }, diagnosis: { cause: 'image-pull' } });
    expect(bundle.pods.map((p) => [p.metadata?.name, p.gone])).toEqual([['falco-new', true]]);
    expect(bundle.failure?.output).toContain('context deadline exceeded');
    expect(events.at(-1)).toMatchObject({ type: 'diagnostics', file: error.diagnosticsFile });
    expect(await helm.history('falco', 'falco')).toEqual([]);
  });

  it('keeps the log of a crashed run read while helm waited, after the rollback removed the pod and its log', async () => {
    const cluster = new FakeCluster();
    const crashed = { terminated: { exitCode: 1, reason: 'Error', containerID: 'containerd://run-1' } };
    const helm = new FakeHelm({
      onUpgrade: async () => {
        cluster.setPods('falco', [pod({ name: 'falco-new', release: 'falco', ready: false, containers: [{ state: crashed, restartCount: 1, ready: false }] })]);
        cluster.setLog('falco', 'falco-new', 'falco', 'loading rules\nerror: could not open rules file /etc/falco/missing.yaml\n');
        await sleep(50);
        cluster.setPods('falco', []);
        cluster.logs.clear();
        throw classifyHelmFailure(
          'upgrade --install',
          'Error: release falco failed, and has been uninstalled due to atomic being set: context deadline exceeded',
          'falco',
        );
      },
    });
    const error = (await deploy(planDeploy(await planInput(helm)), { cluster, helm }, { diagnosticsDir: dir, pollIntervalMs: 5 }).catch(
      (e: unknown) => e,
    )) as DeployError;
    expect(error.diagnosis?.cause).toBe('crash-loop');
    expect(error.diagnosis?.summary).toContain('last log line of falco: error: could not open rules file /etc/falco/missing.yaml');
    const bundle = JSON.parse(await readFile(error.diagnosticsFile!, 'utf8')) as DiagnosticsBundle;
    expect(bundle.logs).toEqual([
      {
        pod: 'falco-new',
        container: 'falco',
        previous: false,
        earlier: true,
        lines: ['loading rules', 'error: could not open rules file /etc/falco/missing.yaml'],
      },
    ]);
    // One read per failed run, however often the observer saw it.
    expect(cluster.calls.filter((c) => c === 'logTail')).toHaveLength(1);
  });

  it('keeps the last sight of a failing pod that the rollback is still deleting', async () => {
    const cluster = new FakeCluster();
    const failing = pod({
      name: 'falco-new',
      release: 'falco',
      ready: false,
      containers: [{ state: { waiting: { reason: 'ErrImagePull', message: 'not found' } }, ready: false }],
    });
    const helm = new FakeHelm({
      onUpgrade: async () => {
        cluster.setPods('falco', [failing]);
        await sleep(50);
        // Being deleted, the pod reports a fresh status that no longer says why it failed.
        cluster.setPods('falco', [
          {
            ...pod({
              name: 'falco-new',
              release: 'falco',
              ready: false,
              terminating: true,
              containers: [{ state: { waiting: { reason: 'ContainerCreating' } }, ready: false }],
            }),
          },
        ]);
        throw classifyHelmFailure(
          'upgrade --install',
          'Error: release falco failed, and has been uninstalled due to atomic being set: context deadline exceeded',
          'falco',
        );
      },
    });
    const error = (await deploy(planDeploy(await planInput(helm)), { cluster, helm }, { pollIntervalMs: 5 }).catch((e: unknown) => e)) as DeployError;
    expect(error.diagnosis?.cause).toBe('image-pull');
    expect(error.diagnosis?.findings[0]).toMatchObject({ object: 'falco-new', reason: 'ErrImagePull' });
  });

  it('fails verification when helm succeeded but the DaemonSet runs nowhere, naming the cause', async () => {
    const cluster = new FakeCluster();
    const helm = new FakeHelm({
      onUpgrade: () =>
        cluster.setWorkloads('falco', [daemonSet('falco', { desiredNumberScheduled: 0, numberReady: 0, updatedNumberScheduled: 0, numberAvailable: 0 })]),
    });
    const error = (await deploy(planDeploy(await planInput(helm)), { cluster, helm }, { verifyTimeoutMs: 20, pollIntervalMs: 5 }).catch(
      (e: unknown) => e,
    )) as DeployError;
    expect(isDeployError(error, DeployErrorCode.RolloutFailed), String(error)).toBe(true);
    expect(error.message).toContain('the DaemonSet matches no node');
    expect(error.diagnosis).toMatchObject({ cause: 'unschedulable' });
    expect(error.diagnosticsFile).toBeUndefined();
  });

  it('still diagnoses when the cluster stops answering, listing what could not be read', async () => {
    const { cluster, helm } = healthy();
    const plan = planDeploy(await planInput(helm));
    const unreachable = new DeployError(DeployErrorCode.ClusterUnreachable, 'cannot list DaemonSets in falco: connection reset', 'check the cluster');
    cluster.failNext('workloads', unreachable, 100);
    cluster.failNext('events', new DeployError(DeployErrorCode.KubeApi, 'cannot list events in falco: forbidden', 'rights'));
    const error = (await deploy(plan, { cluster, helm }, { diagnosticsDir: dir, pollIntervalMs: 1 }).catch((e: unknown) => e)) as DeployError;
    expect(isDeployError(error, DeployErrorCode.ClusterUnreachable), String(error)).toBe(true);
    const bundle = JSON.parse(await readFile(error.diagnosticsFile!, 'utf8')) as DiagnosticsBundle;
    expect(bundle.gaps).toEqual(['workloads: cannot list DaemonSets in falco: connection reset', 'events: cannot list events in falco: forbidden']);
    expect(bundle.pods.map((p) => p.metadata?.name).sort()).toEqual(['falco-a-1', 'falco-b-1']);
  });
});

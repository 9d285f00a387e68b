import { testbedTools } from '@falco-airgap/test-support';
import { requireTestbed } from '@falco-airgap/testbed/env';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectKubeconfig } from './cluster-connection.ts';
import { KubernetesCluster } from './cluster.ts';
import { diagnose } from './diagnose.ts';
import { collectDiagnostics } from './diagnostics.ts';
import type { HelmPort } from './helm.ts';

// Pods of a release whose status is set through the API, as a kubelet would report a failure: kwok
// runs no containers, so the failing states are written to the status subresource after kwok marked the pods Running.
const testbed = requireTestbed('TESTBED_KUBECONFIG');
const tools = testbedTools();
const namespace = `eks-deployer-diag-${randomBytes(3).toString('hex')}`;
const connection = connectKubeconfig({ kubeconfig: [testbed.TESTBED_KUBECONFIG!] });
const cluster = new KubernetesCluster({ kubeConfig: connection.kubeConfig, logTimeoutMs: 3_000 });
// The cases below need no helm release; an empty history is what helm reports for them.
const noHelm: HelmPort = {
  upgradeInstall: () => Promise.reject(new Error('not used')),
  history: async () => [],
  status: async () => undefined,
  test: () => Promise.reject(new Error('not used')),
  uninstall: async () => 'absent',
};

const now = () => new Date().toISOString();

const cases = {
  'image-pull': {
    initContainerStatuses: [],
    containerStatuses: [
      {
        name: 'falco',
        image: 'localhost:5000/falco@sha256:' + 'd'.repeat(64),
        imageID: '',
        ready: false,
        restartCount: 0,
        started: false,
        state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "localhost:5000/falco@sha256:dddd": not found' } },
      },
    ],
  },
  'init-container-failed': {
    initContainerStatuses: [
      {
        name: 'plugin-loader',
        image: 'localhost:5000/falco-plugin-loader:0.44.1',
        imageID: '',
        ready: false,
        restartCount: 4,
        started: false,
        state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 1m20s restarting failed container=plugin-loader' } },
        lastState: { terminated: { exitCode: 3, reason: 'Error', startedAt: now(), finishedAt: now() } },
      },
    ],
    containerStatuses: [
      {
        name: 'falco',
        image: 'localhost:5000/falco:0.44.1',
        imageID: '',
        ready: false,
        restartCount: 0,
        started: false,
        state: { waiting: { reason: 'PodInitializing' } },
      },
    ],
  },
  'crash-loop': {
    initContainerStatuses: [],
    containerStatuses: [
      {
        name: 'falco',
        image: 'localhost:5000/falco:0.44.1',
        imageID: '',
        ready: false,
        restartCount: 6,
        started: false,
        state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 5m0s restarting failed container=falco' } },
        lastState: { terminated: { exitCode: 1, reason: 'Error', startedAt: now(), finishedAt: now() } },
      },
    ],
  },
} as const;

async function waitFor(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 120; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`timed out waiting for ${what}`);
}

beforeAll(async () => {
  await tools.ensureNamespace(namespace);
  for (const cause of Object.keys(cases)) {
    const manifest = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `${cause}-0`, namespace, labels: { 'app.kubernetes.io/name': 'falco-airgap', 'app.kubernetes.io/instance': cause } },
      spec: {
        nodeName: 'kwok-node-0',
        initContainers: cause === 'init-container-failed' ? [{ name: 'plugin-loader', image: 'localhost:5000/falco-plugin-loader:0.44.1' }] : [],
        containers: [{ name: 'falco', image: 'localhost:5000/falco:0.44.1' }],
      },
    };
    const created = await tools.kubectl(['apply', '-f', '-'], { input: JSON.stringify(manifest) });
    if (created.code !== 0) throw new Error(created.stderr);
  }
  // kwok first reports every pod Running; the failures are written over that, as a kubelet's next status update would.
  for (const [cause, statuses] of Object.entries(cases)) {
    await waitFor(
      async () => (await tools.kubectlJson<{ status: { phase: string } }>(['get', 'pod', `${cause}-0`, '-n', namespace])).status.phase === 'Running',
      `${cause}-0 Running`,
    );
    const patch = { status: { conditions: [{ type: 'Ready', status: 'False', reason: 'ContainersNotReady', lastTransitionTime: now() }], ...statuses } };
    const patched = await tools.kubectl(['patch', 'pod', `${cause}-0`, '-n', namespace, '--subresource=status', '--type=merge', '-p', JSON.stringify(patch)]);
    if (patched.code !== 0) throw new Error(patched.stderr);
  }
});
afterAll(async () => {
  await tools.kubectl(['delete', 'namespace', namespace, '--wait=false', '--ignore-not-found']);
  tools.cleanup();
});

describe('diagnostics from pods the API server holds', () => {
  it.each(Object.keys(cases))('names %s', async (cause) => {
    const snapshot = await collectDiagnostics({ cluster, helm: noHelm, release: cause, namespace, clusterDescription: connection.description });
    expect(snapshot.pods.map((p) => p.metadata?.name)).toEqual([`${cause}-0`]);
    const diagnosis = diagnose(snapshot);
    expect(diagnosis.cause).toBe(cause);
    expect(diagnosis.summary[0]).toMatch(new RegExp(`^likely cause: ${diagnosis.title} — ${cause}-0`));
    // kwok runs no kubelet that could serve logs: the bundle says so instead of failing.
    for (const log of snapshot.logs) expect(log.unavailable ?? log.lines).toBeDefined();
    expect(snapshot.gaps).toEqual([]);
  });
});

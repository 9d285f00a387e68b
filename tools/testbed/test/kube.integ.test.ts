import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireTestbed } from '../env.ts';

const run = promisify(execFile);
const env = requireTestbed('TESTBED_KUBECONFIG', 'TESTBED_KUBECTL', 'TESTBED_KUBE_VERSION', 'TESTBED_KUBE_APISERVER');
const namespace = `kube-integ-${randomBytes(4).toString('hex')}`;

async function kubectl(args: string[], stdin?: string): Promise<string> {
  const child = run(env.TESTBED_KUBECTL!, ['--kubeconfig', env.TESTBED_KUBECONFIG!, ...args]);
  if (stdin !== undefined) child.child.stdin!.end(stdin);
  return (await child).stdout;
}

const getJson = async <T>(...args: string[]): Promise<T> => JSON.parse(await kubectl(['get', '-o', 'json', ...args])) as T;

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await sleep(500);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

interface Condition {
  type: string;
  status: string;
}
interface NodeList {
  items: { metadata: { name: string; labels: Record<string, string> }; spec: { podCIDR: string }; status: { conditions: Condition[] } }[];
}
interface PodList {
  items: { spec: { nodeName: string }; status: { phase: string; podIP?: string; conditions?: Condition[] } }[];
}
interface DaemonSetStatus {
  status: { desiredNumberScheduled?: number; numberReady?: number };
}
interface DeploymentStatus {
  status: { availableReplicas?: number; conditions?: Condition[] };
}

const isReady = (conditions: Condition[] = []) => conditions.some((c) => c.type === 'Ready' && c.status === 'True');

const daemonSet = {
  apiVersion: 'apps/v1',
  kind: 'DaemonSet',
  metadata: { name: 'agent', namespace },
  spec: {
    selector: { matchLabels: { app: 'agent' } },
    template: {
      metadata: { labels: { app: 'agent' } },
      spec: {
        initContainers: [{ name: 'setup', image: 'registry.local/setup:1' }],
        containers: [{ name: 'agent', image: 'registry.local/pause:1', securityContext: { privileged: true } }],
      },
    },
  },
};

const deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'registry.local/web:1' }] } },
  },
};

describe('kube', () => {
  beforeAll(async () => {
    await kubectl(['create', 'namespace', namespace]);
  });
  afterAll(async () => {
    await kubectl(['delete', 'namespace', namespace, '--ignore-not-found', '--wait=false']);
  });

  it('serves /version of the pinned release at the advertised endpoint', async () => {
    const version = JSON.parse(await kubectl(['get', '--raw', '/version'])) as { gitVersion: string; major: string; minor: string };
    expect(version.gitVersion).toBe(env.TESTBED_KUBE_VERSION);
    expect(`v${version.major}.${version.minor}`).toBe(env.TESTBED_KUBE_VERSION!.replace(/\.\d+$/, ''));
    const server = await kubectl(['config', 'view', '--minify', '-o', 'jsonpath={.clusters[0].cluster.server}']);
    expect(server).toBe(env.TESTBED_KUBE_APISERVER);
  });

  it('has two Ready linux/amd64 kwok nodes', async () => {
    const nodes = await getJson<NodeList>('nodes', '-l', 'type=kwok');
    expect(nodes.items.map((n) => n.metadata.name).sort()).toEqual(['kwok-node-0', 'kwok-node-1']);
    for (const node of nodes.items) {
      expect(isReady(node.status.conditions)).toBe(true);
      expect(node.metadata.labels).toMatchObject({ 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64' });
    }
  });

  it('runs a DaemonSet pod, init container included, Ready on each node', async () => {
    await kubectl(['apply', '-f', '-'], JSON.stringify(daemonSet));
    const status = await waitFor('DaemonSet agent to be Ready on 2 nodes', async () => {
      const { status } = await getJson<DaemonSetStatus>('daemonset', 'agent', '-n', namespace);
      return status.desiredNumberScheduled === 2 && status.numberReady === 2 ? status : undefined;
    });
    expect(status).toMatchObject({ desiredNumberScheduled: 2, numberReady: 2 });

    const pods = await getJson<PodList>('pods', '-n', namespace, '-l', 'app=agent');
    expect(pods.items.map((p) => p.spec.nodeName).sort()).toEqual(['kwok-node-0', 'kwok-node-1']);
    for (const pod of pods.items) {
      expect(pod.status.phase).toBe('Running');
      expect(isReady(pod.status.conditions)).toBe(true);
      expect(pod.status.podIP).toMatch(/^10\.244\.[01]\.\d+$/);
    }
  });

  it('makes a one-replica Deployment available', async () => {
    await kubectl(['apply', '-f', '-'], JSON.stringify(deployment));
    await kubectl(['rollout', 'status', 'deployment/web', '-n', namespace, '--timeout', '90s']);
    const { status } = await getJson<DeploymentStatus>('deployment', 'web', '-n', namespace);
    expect(status.availableReplicas).toBe(1);
    expect(status.conditions).toContainEqual(expect.objectContaining({ type: 'Available', status: 'True' }));
  });

  it('deletes the namespace with all its pods', async () => {
    await kubectl(['delete', 'namespace', namespace, '--wait', '--timeout', '120s']);
    const remaining = await kubectl(['get', 'namespace', namespace, '--ignore-not-found', '-o', 'name']);
    expect(remaining).toBe('');
    const orphans = await kubectl(['get', 'pods', '-A', '-l', 'app in (agent,web)', '--field-selector', `metadata.namespace=${namespace}`, '-o', 'name']);
    expect(orphans).toBe('');
  });
});

import type { ContainerStatusView, DaemonSetView, DeploymentView, EventView, PodView, Workload } from '../kube-objects.ts';

/** Objects shaped like the API's JSON for a release of the chart, with only what a test changes spelled out. */

const labels = (release: string) => ({ 'app.kubernetes.io/name': 'falco-airgap', 'app.kubernetes.io/instance': release });

export function daemonSet(
  release: string,
  status: Partial<NonNullable<DaemonSetView['status']>> = {},
  generation = 1,
  images: { falco: string; pluginLoader?: string } = { falco: 'localhost:5000/falco:0.44.1' },
): Workload {
  return {
    kind: 'DaemonSet',
    object: {
      metadata: { name: `${release}-falco-airgap`, uid: `ds-${release}`, generation, labels: labels(release) },
      spec: {
        template: {
          spec: {
            initContainers: images.pluginLoader ? [{ name: 'plugin-loader', image: images.pluginLoader }] : [],
            containers: [{ name: 'falco', image: images.falco }],
          },
        },
      },
      status: {
        desiredNumberScheduled: 2,
        currentNumberScheduled: 2,
        numberReady: 2,
        numberMisscheduled: 0,
        updatedNumberScheduled: 2,
        numberAvailable: 2,
        observedGeneration: generation,
        ...status,
      },
    },
  };
}

export function deployment(release: string, status: Partial<NonNullable<DeploymentView['status']>> = {}, replicas = 1, generation = 1): Workload {
  return {
    kind: 'Deployment',
    object: {
      metadata: { name: `${release}-falco-airgap`, uid: `deploy-${release}`, generation, labels: labels(release) },
      spec: { replicas, template: { spec: { containers: [{ name: 'falco', image: 'localhost:5000/falco:0.44.1' }] } } },
      status: { replicas, updatedReplicas: replicas, readyReplicas: replicas, availableReplicas: replicas, observedGeneration: generation, ...status },
    },
  };
}

export interface PodShape {
  name: string;
  release: string;
  node?: string | undefined;
  phase?: string;
  ready?: boolean;
  containers?: Partial<ContainerStatusView>[];
  initContainers?: Partial<ContainerStatusView>[];
  conditions?: NonNullable<PodView['status']>['conditions'];
  annotations?: Record<string, string>;
  terminating?: boolean;
}

const running = { running: { startedAt: '2026-01-01T00:00:00Z' } };

/** A pod of the release; containers are running and ready unless the shape says otherwise. */
export function pod(shape: PodShape): PodView {
  const ready = shape.ready ?? true;
  const status = (c: Partial<ContainerStatusView>, fallback: string): ContainerStatusView => ({
    name: c.name ?? fallback,
    ready: c.ready ?? ready,
    restartCount: c.restartCount ?? 0,
    image: c.image ?? `localhost:5000/${fallback}:0.44.1`,
    state: c.state ?? running,
    lastState: c.lastState,
  });
  const containers = (shape.containers ?? [{}]).map((c) => status(c, 'falco'));
  const initContainers = (shape.initContainers ?? []).map((c) => status(c, 'plugin-loader'));
  return {
    metadata: {
      name: shape.name,
      uid: `uid-${shape.name}`,
      labels: labels(shape.release),
      annotations: shape.annotations,
      deletionTimestamp: shape.terminating ? '2026-01-01T00:05:00Z' : undefined,
    },
    spec: {
      nodeName: shape.node,
      containers: containers.map((c) => ({ name: c.name, image: c.image })),
      initContainers: initContainers.map((c) => ({ name: c.name, image: c.image })),
    },
    status: {
      phase: shape.phase ?? 'Running',
      conditions: shape.conditions ?? [
        { type: 'PodScheduled', status: 'True' },
        { type: 'Ready', status: ready ? 'True' : 'False' },
      ],
      containerStatuses: containers,
      initContainerStatuses: initContainers,
    },
  };
}

export function event(kind: string, name: string, reason: string, message: string, type = 'Warning', count = 1, at = '2026-01-01T00:01:00Z'): EventView {
  return { type, reason, message, count, involvedObject: { kind, name }, lastTimestamp: at };
}

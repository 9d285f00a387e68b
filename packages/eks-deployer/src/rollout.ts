import { sleep } from '@falco-airgap/core';
import type { ClusterPort } from './cluster.ts';
import { isTerminating, releaseSelector, type PodView, type Workload } from './kube-objects.ts';

/** How far one DaemonSet or Deployment has rolled out. */
export interface WorkloadProgress {
  kind: Workload['kind'];
  name: string;
  desired: number;
  updated: number;
  ready: number;
  available: number;
  /** The controller has seen the latest spec (status.observedGeneration >= metadata.generation). */
  observed: boolean;
  done: boolean;
  /** Why it is not done, in words. */
  waitingFor: string | undefined;
}

export interface PodReadiness {
  name: string;
  node: string | undefined;
  ready: boolean;
}

/** The rollout of a release: done when every workload is rolled out and every pod is ready. */
export interface RolloutState {
  done: boolean;
  /** Not done and will not get there by waiting: a DaemonSet the controller has seen that matches no node. */
  stuck: boolean;
  workloads: WorkloadProgress[];
  pods: PodReadiness[];
  /** Why the rollout is not done, in words; undefined when done. */
  waitingFor: string | undefined;
}

export function assessWorkload(workload: Workload): WorkloadProgress {
  const name = workload.object.metadata?.name ?? '(unnamed)';
  const generation = workload.object.metadata?.generation ?? 0;
  if (workload.kind === 'DaemonSet') {
    const status = workload.object.status;
    const desired = status?.desiredNumberScheduled ?? 0;
    const updated = status?.updatedNumberScheduled ?? 0;
    const ready = status?.numberReady ?? 0;
    const available = status?.numberAvailable ?? 0;
    const observed = (status?.observedGeneration ?? 0) >= generation;
    const waitingFor = !observed
      ? 'the DaemonSet controller to see the new spec'
      : desired === 0
        ? 'a node to run on: the DaemonSet matches no node (nodeSelector, affinity, tolerations)'
        : updated < desired
          ? `${desired - updated} of ${desired} pods to be updated`
          : ready < desired
            ? `${desired - ready} of ${desired} pods to become ready`
            : available < desired
              ? `${desired - available} of ${desired} pods to become available`
              : undefined;
    return { kind: 'DaemonSet', name, desired, updated, ready, available, observed, done: waitingFor === undefined, waitingFor };
  }
  const status = workload.object.status;
  const desired = workload.object.spec?.replicas ?? 1;
  const updated = status?.updatedReplicas ?? 0;
  const ready = status?.readyReplicas ?? 0;
  const available = status?.availableReplicas ?? 0;
  const total = status?.replicas ?? 0;
  const observed = (status?.observedGeneration ?? 0) >= generation;
  const waitingFor = !observed
    ? 'the Deployment controller to see the new spec'
    : updated < desired
      ? `${desired - updated} of ${desired} replicas to be updated`
      : total > updated
        ? `${total - updated} old replicas to be removed`
        : ready < desired
          ? `${desired - ready} of ${desired} replicas to become ready`
          : available < desired
            ? `${desired - available} of ${desired} replicas to become available`
            : undefined;
  return { kind: 'Deployment', name, desired, updated, ready, available, observed, done: waitingFor === undefined, waitingFor };
}

/** Pods that count for the rollout: the release's own, neither going away nor helm hooks (test pods). */
export function rolloutPods(pods: readonly PodView[]): PodView[] {
  return pods.filter(
    (pod) => !isTerminating(pod) && !pod.metadata?.annotations?.['helm.sh/hook'] && !pod.metadata?.ownerReferences?.some((o) => o.kind === 'Job'),
  );
}

export function isPodReady(pod: PodView): boolean {
  return pod.status?.phase === 'Running' && (pod.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/** Whether the release has rolled out, from what the API shows: pure, so recorded objects can be judged in tests. */
export function assessRollout(workloads: readonly Workload[], pods: readonly PodView[]): RolloutState {
  const progress = workloads.map(assessWorkload);
  const readiness = rolloutPods(pods).map((pod) => ({ name: pod.metadata?.name ?? '(unnamed)', node: pod.spec?.nodeName, ready: isPodReady(pod) }));
  const notReady = readiness.filter((p) => !p.ready);
  const waitingFor =
    progress.length === 0
      ? 'a DaemonSet or Deployment of the release: none exists'
      : (progress.find((w) => !w.done)?.waitingFor ?? (notReady.length ? `pod ${notReady[0]!.name} to become ready` : undefined));
  const stuck = progress.some((w) => w.kind === 'DaemonSet' && w.observed && w.desired === 0);
  return { done: waitingFor === undefined, stuck, workloads: progress, pods: readiness, waitingFor };
}

export interface WaitForRolloutOptions {
  namespace: string;
  release: string;
  timeoutMs: number;
  /** Between two reads of the API (default 2 s). */
  intervalMs?: number | undefined;
  signal?: AbortSignal | undefined;
  now?: (() => number) | undefined;
  onProgress?: ((state: RolloutState) => void) | undefined;
}

/** Reads the release's workloads and pods until the rollout is done, stuck, or the time is up; returns the last state either way. */
export async function waitForRollout(cluster: ClusterPort, options: WaitForRolloutOptions): Promise<RolloutState> {
  const now = options.now ?? Date.now;
  const deadline = now() + options.timeoutMs;
  const selector = releaseSelector(options.release);
  for (;;) {
    const [workloads, pods] = await Promise.all([
      cluster.workloads(options.namespace, selector, options.signal),
      cluster.pods(options.namespace, selector, options.signal),
    ]);
    const state = assessRollout(workloads, pods);
    options.onProgress?.(state);
    if (state.done || state.stuck || now() >= deadline) return state;
    await sleep(Math.min(options.intervalMs ?? 2_000, Math.max(0, deadline - now())), options.signal);
  }
}

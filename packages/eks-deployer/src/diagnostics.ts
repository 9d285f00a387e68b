import { mapConcurrently, makeDirectory } from '@falco-airgap/core';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClusterPort } from './cluster.ts';
import { diagnose, type ContainerLog, type Diagnosis, type DiagnosticsSnapshot } from './diagnose.ts';
import { DeployError, DeployErrorCode, isDeployError } from './errors.ts';
import type { HelmPort } from './helm.ts';
import { isTerminating, releaseSelector, type PodView } from './kube-objects.ts';
import { rolloutPods } from './rollout.ts';

export interface CollectDiagnosticsOptions {
  cluster: ClusterPort;
  helm: HelmPort;
  release: string;
  namespace: string;
  /** Names the cluster in the bundle. */
  clusterDescription: string;
  /** The failure being diagnosed. */
  failure?: unknown;
  /** Pods seen while the rollout ran, by uid: kept when an atomic rollback has removed them since. */
  observedPods?: ReadonlyMap<string, PodView> | undefined;
  /** Logs of failed runs read while the rollout ran (readFailedRunLogs): kept where the log cannot be read any more. */
  observedLogs?: readonly ContainerLog[] | undefined;
  /** What was already missed before collecting (e.g. pod reads that failed during the rollout). */
  knownGaps?: readonly string[] | undefined;
  /** Last lines read per container (default 50). */
  logLines?: number | undefined;
  /** Pods whose logs are read (default 5: the failing ones first). */
  maxLogPods?: number | undefined;
  now?: (() => Date) | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * Reads what the cluster and helm show about a release: workloads, pods (with what was seen of them
 * while helm waited), its events, the last log lines of its containers and the helm history.
 * Best effort: what cannot be read is noted in `gaps`, never thrown, except an abort.
 */
export async function collectDiagnostics(options: CollectDiagnosticsOptions): Promise<DiagnosticsSnapshot> {
  const { cluster, helm, release, namespace, signal } = options;
  const gaps: string[] = [...(options.knownGaps ?? [])];
  const attempt = async <T>(what: string, fallback: T, read: () => Promise<T>): Promise<T> => {
    try {
      return await read();
    } catch (error) {
      if (signal?.aborted) throw error;
      gaps.push(`${what}: ${error instanceof Error ? error.message : String(error)}`);
      return fallback;
    }
  };
  const selector = releaseSelector(release);
  const [workloads, pods, events, helmHistory] = await Promise.all([
    attempt('workloads', [], () => cluster.workloads(namespace, selector, signal)),
    attempt('pods', [] as PodView[], () => cluster.pods(namespace, selector, signal)),
    attempt('events', [], () => cluster.events(namespace, signal)),
    attempt('helm history', [], () => helm.history(release, namespace, signal)),
  ]);
  const present = new Map(pods.map((p) => [p.metadata?.uid, p]));
  // A pod being deleted no longer shows why it failed; its last sight during the rollout does.
  const seen = [...(options.observedPods?.values() ?? [])].flatMap((p): DiagnosticsSnapshot['pods'] => {
    const now = present.get(p.metadata?.uid);
    if (!now) return [{ ...p, gone: true }];
    return isTerminating(now) ? [{ ...p, earlier: true }] : [];
  });
  const current = await readLogs(cluster, namespace, rolloutPods(pods), options.logLines ?? DEFAULT_LOG_LINES, options.maxLogPods ?? 5, signal);
  const readNow = new Set(current.filter((l) => l.lines?.length).map((l) => `${l.pod}/${l.container}`));
  const logs = [...current, ...(options.observedLogs ?? []).filter((l) => !readNow.has(`${l.pod}/${l.container}`)).map((l) => ({ ...l, earlier: true }))];
  return {
    release,
    namespace,
    cluster: options.clusterDescription,
    collectedAt: (options.now ?? (() => new Date()))().toISOString(),
    failure: describeFailure(options.failure),
    workloads,
    pods: [...pods, ...seen],
    events,
    logs,
    helmHistory,
    gaps,
  };
}

function describeFailure(failure: unknown): DiagnosticsSnapshot['failure'] {
  if (failure === undefined) return undefined;
  if (isDeployError(failure)) {
    const output = failure.cause instanceof Error && failure.cause.message !== failure.message ? failure.cause.message : undefined;
    return { code: failure.code, message: failure.message, output };
  }
  const error = failure as { code?: unknown; message?: unknown };
  return { code: typeof error.code === 'string' ? error.code : 'UNKNOWN', message: typeof error.message === 'string' ? error.message : String(failure) };
}

/** Last lines read per container unless told otherwise. */
export const DEFAULT_LOG_LINES = 50;

const splitLog = (text: string) => text.split('\n').filter((l, i, all) => l !== '' || i < all.length - 1);

/**
 * Reads the log of every failed container run (non-zero exit) of `pods` not in `done` yet, and adds it there,
 * up to `maxRuns` runs in all: called while helm waits, because a rollback deletes the pods and the kubelet
 * keeps one earlier run only. A log that cannot be read is returned with `unavailable`, never thrown, except an abort.
 */
export async function readFailedRunLogs(
  cluster: ClusterPort,
  namespace: string,
  pods: readonly PodView[],
  done: Set<string>,
  options: { lines?: number | undefined; maxRuns?: number | undefined; signal?: AbortSignal | undefined } = {},
): Promise<ContainerLog[]> {
  const { lines = DEFAULT_LOG_LINES, maxRuns = 20, signal } = options;
  const wanted = pods.flatMap((pod) =>
    [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])].flatMap((c) => {
      const current = c.state?.terminated?.exitCode ? c.state.terminated : undefined;
      const previous = !current && c.lastState?.terminated?.exitCode ? c.lastState.terminated : undefined;
      const run = current ?? previous;
      const key = run && `${pod.metadata?.uid ?? pod.metadata?.name}/${c.name}/${run.containerID ?? c.restartCount}`;
      if (!key || done.has(key) || done.size >= maxRuns) return [];
      done.add(key);
      return [{ pod: pod.metadata?.name ?? '', container: c.name, previous: previous !== undefined }];
    }),
  );
  return mapConcurrently(wanted, 4, async (log): Promise<ContainerLog> => {
    try {
      return { ...log, lines: splitLog(await cluster.logTail(namespace, log.pod, log.container, { lines, previous: log.previous }, signal)) };
    } catch (error) {
      if (signal?.aborted) throw error;
      return { ...log, unavailable: error instanceof Error ? error.message : String(error) };
    }
  });
}

// Failing pods first: their logs say the most.
async function readLogs(
  cluster: ClusterPort,
  namespace: string,
  pods: PodView[],
  lines: number,
  maxPods: number,
  signal?: AbortSignal,
): Promise<ContainerLog[]> {
  const failing = (pod: PodView) =>
    [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])].some((c) => !c.ready || c.restartCount > 0) ? 0 : 1;
  const chosen = [...pods].sort((a, b) => failing(a) - failing(b)).slice(0, maxPods);
  const wanted = chosen.flatMap((pod) =>
    [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]
      // A container that never started has nothing to read.
      .filter((c) => c.state?.running || c.state?.terminated || c.lastState?.terminated)
      .map((c) => ({
        pod: pod.metadata?.name ?? '',
        container: c.name,
        previous: !c.state?.running && !c.state?.terminated && c.lastState?.terminated !== undefined,
      })),
  );
  return mapConcurrently(wanted, 4, async (log): Promise<ContainerLog> => {
    try {
      const text = await cluster.logTail(namespace, log.pod, log.container, { lines, previous: log.previous }, signal);
      return { ...log, lines: splitLog(text) };
    } catch (error) {
      if (signal?.aborted) throw error;
      return { ...log, unavailable: error instanceof Error ? error.message : String(error) };
    }
  });
}

/** The bundle as written: the snapshot with its diagnosis, under a kind so tools can recognise it. */
export interface DiagnosticsBundle extends DiagnosticsSnapshot {
  apiVersion: 'falco-airgap/v1alpha1';
  kind: 'DeployDiagnostics';
  diagnosis: Diagnosis;
}

/** Writes the bundle as JSON into `dir` (created if needed) and returns the file's path. */
export async function writeDiagnostics(snapshot: DiagnosticsSnapshot, diagnosis: Diagnosis, dir: string): Promise<string> {
  const bundle: DiagnosticsBundle = { apiVersion: 'falco-airgap/v1alpha1', kind: 'DeployDiagnostics', ...snapshot, diagnosis };
  const stamp = snapshot.collectedAt.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const file = join(dir, `falco-airgap-diagnostics-${snapshot.release}-${stamp}.json`);
  try {
    await makeDirectory(dir);
    await writeFile(file, `${JSON.stringify(bundle, null, 2)}\n`);
  } catch (cause) {
    throw new DeployError(DeployErrorCode.DiagnosticsWrite, `cannot write the diagnostics bundle to ${file}`, 'check that `diagnosticsDir` is writable', cause);
  }
  return file;
}

/** Collects, diagnoses and (with a directory) writes; returns the diagnosis and the file. */
export async function diagnoseFailure(
  options: CollectDiagnosticsOptions & { diagnosticsDir?: string | undefined },
): Promise<{ diagnosis: Diagnosis; file: string | undefined }> {
  const snapshot = await collectDiagnostics(options);
  const diagnosis = diagnose(snapshot);
  const file = options.diagnosticsDir ? await writeDiagnostics(snapshot, diagnosis, options.diagnosticsDir) : undefined;
  return { diagnosis, file };
}

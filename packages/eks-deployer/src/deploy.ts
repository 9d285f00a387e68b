import { ValuesError } from '@falco-airgap/helm-values-schema';
import { sleep } from '@falco-airgap/core';
import type { ClusterPort } from './cluster.ts';
import type { DeployPlan } from './deploy-plan.ts';
import type { ContainerLog, Diagnosis } from './diagnose.ts';
import { diagnoseFailure, readFailedRunLogs } from './diagnostics.ts';
import { DeployError, DeployErrorCode, isDeployError } from './errors.ts';
import type { HelmPort } from './helm.ts';
import { releaseSelector, type PodView } from './kube-objects.ts';
import { waitForRollout, type RolloutState } from './rollout.ts';

/** What a deploy reports while it runs; only the caller draws them. */
export type DeployEvent =
  | { type: 'namespace'; namespace: string; status: 'created' | 'present' }
  | { type: 'helm'; release: string; status: 'running' | 'done' | 'skipped'; action: DeployPlan['action']; revision?: number | undefined }
  | { type: 'rollout'; status: 'waiting' | 'done'; state: RolloutState }
  | { type: 'diagnostics'; diagnosis: Diagnosis; file: string | undefined };

export interface DeployPorts {
  cluster: ClusterPort;
  helm: HelmPort;
}

export interface DeployOptions {
  /** Where the diagnostics bundle of a failure is written; without it only the diagnosis is attached to the error. */
  diagnosticsDir?: string | undefined;
  /** Longest wait for the rollout after helm returned, which has waited already (default: 30 s, or the plan's timeout if shorter). */
  verifyTimeoutMs?: number | undefined;
  /** Between two reads of the rollout (default 2 s). */
  pollIntervalMs?: number | undefined;
  onEvent?: ((event: DeployEvent) => void) | undefined;
  signal?: AbortSignal | undefined;
  now?: (() => Date) | undefined;
}

export interface DeployResult {
  release: string;
  namespace: string;
  /** installed / upgraded: helm made a new revision; unchanged: it already ran this chart with these values. */
  outcome: 'installed' | 'upgraded' | 'unchanged';
  revision: number | undefined;
  namespaceStatus: 'created' | 'present';
  rollout: RolloutState;
  durationMs: number;
}

/**
 * Carries out a plan: namespace, `helm upgrade --install --atomic --wait` (unless the plan says the
 * release already runs this chart with these values), then verifies the rollout. On failure the
 * cluster is diagnosed, the bundle written, and the error carries the diagnosis.
 */
export async function deploy(plan: DeployPlan, ports: DeployPorts, options: DeployOptions = {}): Promise<DeployResult> {
  if (plan.issues.length) throw new ValuesError(plan.issues);
  const started = Date.now();
  const { cluster, helm } = ports;
  const { signal } = options;
  const emit = options.onEvent ?? (() => undefined);

  const namespaceStatus = await cluster.ensureNamespace(plan.namespace, signal);
  emit({ type: 'namespace', namespace: plan.namespace, status: namespaceStatus });

  const observer = new PodObserver(cluster, plan.namespace, plan.release, options.pollIntervalMs ?? 2_000);
  const failed = async (error: unknown): Promise<never> => {
    await observer.stop();
    if (signal?.aborted || !isDeployError(error) || error.code === DeployErrorCode.Aborted) throw error;
    const { diagnosis, file } = await diagnoseFailure({
      cluster,
      helm,
      release: plan.release,
      namespace: plan.namespace,
      clusterDescription: plan.cluster,
      failure: error,
      observedPods: observer.pods,
      observedLogs: [...observer.logs.values()],
      knownGaps: [...observer.gaps],
      diagnosticsDir: options.diagnosticsDir,
      now: options.now,
      signal,
    });
    emit({ type: 'diagnostics', diagnosis, file });
    throw error.withDiagnostics({ diagnosis, diagnosticsFile: file });
  };

  let revision = plan.currentRevision;
  if (plan.action === 'unchanged') {
    emit({ type: 'helm', release: plan.release, status: 'skipped', action: plan.action, revision });
  } else {
    emit({ type: 'helm', release: plan.release, status: 'running', action: plan.action });
    observer.start(signal);
    try {
      const release = await helm.upgradeInstall(
        {
          release: plan.release,
          namespace: plan.namespace,
          chart: plan.chart.ref,
          chartVersion: plan.chart.digest.startsWith(`${plan.chart.ref}@`) ? plan.chart.version : undefined,
          values: plan.values,
          atomic: plan.atomic,
          wait: true,
          timeoutSeconds: plan.timeoutSeconds,
          description: plan.fingerprint,
        },
        signal,
      );
      revision = release.revision;
    } catch (error) {
      return failed(error);
    }
    emit({ type: 'helm', release: plan.release, status: 'done', action: plan.action, revision });
  }

  const rollout = await waitForRollout(cluster, {
    namespace: plan.namespace,
    release: plan.release,
    timeoutMs: options.verifyTimeoutMs ?? Math.min(30_000, plan.timeoutSeconds * 1000),
    intervalMs: options.pollIntervalMs,
    signal,
    onProgress: (state) => emit({ type: 'rollout', status: state.done ? 'done' : 'waiting', state }),
  }).catch(failed);
  await observer.stop();
  if (!rollout.done) {
    return failed(
      new DeployError(
        DeployErrorCode.RolloutFailed,
        `release ${plan.release} did not roll out: waiting for ${rollout.waitingFor}`,
        'read the diagnostics: they name the likely cause',
      ),
    );
  }
  return {
    release: plan.release,
    namespace: plan.namespace,
    outcome: plan.action === 'install' ? 'installed' : plan.action === 'upgrade' ? 'upgraded' : 'unchanged',
    revision,
    namespaceStatus,
    rollout,
    durationMs: Date.now() - started,
  };
}

/**
 * Keeps the last state of every pod of the release while helm waits, and the logs of failed container runs:
 * an atomic rollback removes the failed pods before helm returns, and the diagnosis needs what they showed.
 */
class PodObserver {
  readonly pods = new Map<string, PodView>();
  /** By pod/container: the latest failed run whose log could be read. */
  readonly logs = new Map<string, ContainerLog>();
  readonly gaps = new Set<string>();
  readonly #runsRead = new Set<string>();
  #running: Promise<void> | undefined;
  #stop = new AbortController();

  private readonly cluster: ClusterPort;
  private readonly namespace: string;
  private readonly release: string;
  private readonly intervalMs: number;

  constructor(cluster: ClusterPort, namespace: string, release: string, intervalMs: number) {
    this.cluster = cluster;
    this.namespace = namespace;
    this.release = release;
    this.intervalMs = intervalMs;
  }

  start(signal: AbortSignal | undefined): void {
    const stop = signal ? AbortSignal.any([signal, this.#stop.signal]) : this.#stop.signal;
    this.#running = (async () => {
      while (!stop.aborted) {
        try {
          const pods = await this.cluster.pods(this.namespace, releaseSelector(this.release), stop);
          for (const pod of pods) if (pod.metadata?.uid) this.pods.set(pod.metadata.uid, pod);
          for (const log of await readFailedRunLogs(this.cluster, this.namespace, pods, this.#runsRead, { signal: stop })) {
            const key = `${log.pod}/${log.container}`;
            if (log.lines?.length || !this.logs.get(key)?.lines?.length) this.logs.set(key, log);
          }
        } catch (error) {
          // One missed snapshot is no failure of the deploy; the diagnostics list it.
          if (!stop.aborted) this.gaps.add(`pods during the rollout: ${error instanceof Error ? error.message : String(error)}`);
        }
        await sleep(this.intervalMs, stop).catch(() => undefined);
      }
    })();
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#running;
  }
}

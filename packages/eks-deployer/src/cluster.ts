import { ApiException, AppsV1Api, CoreV1Api, Observable, type ConfigurationOptions, type KubeConfig, type ObservableMiddleware } from '@kubernetes/client-node';
import { DeployError, DeployErrorCode, abortedError } from './errors.ts';
import type { EventView, PodView, Workload } from './kube-objects.ts';

/** The namespace labels a namespace the deployer creates gets: Falco's pods need the privileged Pod Security level. */
export const NAMESPACE_LABELS: Readonly<Record<string, string>> = {
  'app.kubernetes.io/managed-by': 'falco-airgap',
  'pod-security.kubernetes.io/enforce': 'privileged',
};

/** What the deployer asks of the Kubernetes API: a port, so the deploy logic runs against an in-memory cluster in unit tests. */
export interface ClusterPort {
  /** Creates the namespace with NAMESPACE_LABELS unless it exists; an existing one is left as it is. */
  ensureNamespace(name: string, signal?: AbortSignal): Promise<'created' | 'present'>;
  /** DaemonSets and Deployments matching a label selector. */
  workloads(namespace: string, selector: string, signal?: AbortSignal): Promise<Workload[]>;
  pods(namespace: string, selector: string, signal?: AbortSignal): Promise<PodView[]>;
  /** The namespace's events, newest last as the API returns them. */
  events(namespace: string, signal?: AbortSignal): Promise<EventView[]>;
  /** The last lines a container wrote (`previous`: of its last terminated run). */
  logTail(namespace: string, pod: string, container: string, options: { lines: number; previous?: boolean }, signal?: AbortSignal): Promise<string>;
}

export interface KubernetesClusterOptions {
  kubeConfig: KubeConfig;
  /** Longest wait for one API request (default 15 s). */
  requestTimeoutMs?: number | undefined;
  /** Longest wait for one log request; logs come through the kubelet, which may not answer (default 5 s). */
  logTimeoutMs?: number | undefined;
}

/** The cluster port over @kubernetes/client-node: every request bounded by a timeout and the caller's signal. */
export class KubernetesCluster implements ClusterPort {
  readonly #core: CoreV1Api;
  readonly #apps: AppsV1Api;
  readonly #server: string;
  readonly #timeoutMs: number;
  readonly #logTimeoutMs: number;

  constructor(options: KubernetesClusterOptions) {
    this.#core = options.kubeConfig.makeApiClient(CoreV1Api);
    this.#apps = options.kubeConfig.makeApiClient(AppsV1Api);
    this.#server = options.kubeConfig.getCurrentCluster()?.server ?? 'the API server';
    this.#timeoutMs = options.requestTimeoutMs ?? 15_000;
    this.#logTimeoutMs = options.logTimeoutMs ?? 5_000;
  }

  async ensureNamespace(name: string, signal?: AbortSignal): Promise<'created' | 'present'> {
    const existing = await this.#call(`read namespace ${name}`, signal, this.#timeoutMs, (options) =>
      this.#core.readNamespace({ name }, options).catch(notFoundAsUndefined),
    );
    if (existing) return 'present';
    const created = await this.#call(`create namespace ${name}`, signal, this.#timeoutMs, (options) =>
      this.#core
        .createNamespace({ body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { ...NAMESPACE_LABELS } } } }, options)
        .then(() => true)
        .catch((error: unknown) => {
          // Created by someone else between our read and our write.
          if (error instanceof ApiException && error.code === 409) return false;
          throw error;
        }),
    );
    return created ? 'created' : 'present';
  }

  async workloads(namespace: string, selector: string, signal?: AbortSignal): Promise<Workload[]> {
    const [daemonSets, deployments] = await Promise.all([
      this.#call(`list DaemonSets in ${namespace}`, signal, this.#timeoutMs, (options) =>
        this.#apps.listNamespacedDaemonSet({ namespace, labelSelector: selector }, options),
      ),
      this.#call(`list Deployments in ${namespace}`, signal, this.#timeoutMs, (options) =>
        this.#apps.listNamespacedDeployment({ namespace, labelSelector: selector }, options),
      ),
    ]);
    return [
      ...daemonSets.items.map((object): Workload => ({ kind: 'DaemonSet', object })),
      ...deployments.items.map((object): Workload => ({ kind: 'Deployment', object })),
    ];
  }

  async pods(namespace: string, selector: string, signal?: AbortSignal): Promise<PodView[]> {
    const list = await this.#call(`list pods in ${namespace}`, signal, this.#timeoutMs, (options) =>
      this.#core.listNamespacedPod({ namespace, labelSelector: selector }, options),
    );
    return list.items;
  }

  async events(namespace: string, signal?: AbortSignal): Promise<EventView[]> {
    const list = await this.#call(`list events in ${namespace}`, signal, this.#timeoutMs, (options) =>
      this.#core.listNamespacedEvent({ namespace, limit: 500 }, options),
    );
    return list.items;
  }

  async logTail(namespace: string, pod: string, container: string, options: { lines: number; previous?: boolean }, signal?: AbortSignal): Promise<string> {
    return this.#call(`read the log of ${pod}/${container}`, signal, this.#logTimeoutMs, (request) =>
      this.#core.readNamespacedPodLog({ namespace, name: pod, container, tailLines: options.lines, previous: options.previous ?? false }, request),
    );
  }

  async #call<T>(action: string, signal: AbortSignal | undefined, timeoutMs: number, call: (options: ConfigurationOptions) => Promise<T>): Promise<T> {
    const timeout = AbortSignal.timeout(timeoutMs);
    const bounded = signal ? AbortSignal.any([signal, timeout]) : timeout;
    const withSignal: ObservableMiddleware = {
      pre: (context) => {
        context.setSignal(bounded);
        return new Observable(Promise.resolve(context));
      },
      post: (response) => new Observable(Promise.resolve(response)),
    };
    const options: ConfigurationOptions = { middleware: [withSignal], middlewareMergeStrategy: 'append' };
    try {
      return await call(options);
    } catch (error) {
      if (signal?.aborted) throw abortedError(signal, action);
      throw kubeError(error, action, this.#server, timeout.aborted ? timeoutMs : undefined);
    }
  }
}

function notFoundAsUndefined(error: unknown): undefined {
  if (error instanceof ApiException && error.code === 404) return undefined;
  throw error;
}

/** An API failure as a DeployError: unreachable (network, timeout) versus refused (status codes). */
export function kubeError(error: unknown, action: string, server: string, timedOutAfterMs?: number): DeployError {
  if (error instanceof DeployError) return error;
  if (error instanceof ApiException) {
    const status = error.code;
    const reason = apiMessage(error.body) ?? error.message.split('\n')[0];
    if (status === 401) {
      return new DeployError(
        DeployErrorCode.ClusterUnreachable,
        `cannot ${action}: ${server} does not accept our credentials (401)`,
        'check the credentials of the kube context, or for EKS that the AWS identity is mapped to a Kubernetes user (access entry or aws-auth)',
        error,
      );
    }
    if (status === 403) {
      return new DeployError(
        DeployErrorCode.KubeApi,
        `cannot ${action}: forbidden (${reason})`,
        'the identity needs rights on namespaces, DaemonSets, Deployments, pods, pod logs and events, and what the chart installs',
        error,
      );
    }
    return new DeployError(DeployErrorCode.KubeApi, `cannot ${action}: ${server} answered ${status} (${reason})`, 'check the API server and try again', error);
  }
  const detail = timedOutAfterMs !== undefined ? `no answer within ${Math.round(timedOutAfterMs / 1000)}s` : describeNetworkError(error);
  return new DeployError(
    DeployErrorCode.ClusterUnreachable,
    `cannot ${action}: ${server} cannot be reached (${detail})`,
    'check that the cluster is running and reachable from here (VPN, proxy, endpoint access), and the `kubeconfig` or EKS cluster in use',
    error,
  );
}

function apiMessage(body: unknown): string | undefined {
  if (typeof body === 'string') {
    try {
      return apiMessage(JSON.parse(body) as unknown);
    } catch {
      return body.slice(0, 200) || undefined;
    }
  }
  return typeof body === 'object' && body !== null && typeof (body as { message?: unknown }).message === 'string'
    ? (body as { message: string }).message
    : undefined;
}

function describeNetworkError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  const code = cause?.code ?? (error as { code?: string } | undefined)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return code ? `${code}` : message;
}

import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { HelmKubeconfig } from './cluster-connection.ts';
import { DeployError, DeployErrorCode, abortedError } from './errors.ts';
import {
  classifyHelmFailure,
  parseHistoryJson,
  parseReleaseJson,
  parseTestOutput,
  type HelmPort,
  type HelmReleaseStatus,
  type HelmRevision,
  type HelmTestResult,
  type HelmUpgradeRequest,
} from './helm.ts';

export interface HelmCliOptions {
  /** The helm binary: a path, or a name looked up in `env.PATH`. */
  helmBinary: string;
  /** How helm reaches the cluster, asked before every run with how long it must stay valid. */
  kubeconfig: (validForMs: number, signal?: AbortSignal) => Promise<HelmKubeconfig>;
  /** helm's environment: PATH, HOME and HELM_* as the caller resolved them; nothing is inherited. */
  env: Readonly<Record<string, string | undefined>>;
  /** Where the values file of a run is written (a private directory is made inside). */
  workDir: string;
  /** Longest wait for a command that does not wait on the cluster (status, history) (default 60 s). */
  commandTimeoutMs?: number | undefined;
  /** Time given to helm beyond its own --timeout before it is killed (default 60 s). */
  graceMs?: number | undefined;
}

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The helm port over the helm binary run as a child process, each run bounded by a timeout and the caller's signal. */
export class HelmCli implements HelmPort {
  readonly #options: HelmCliOptions;

  constructor(options: HelmCliOptions) {
    this.#options = options;
  }

  async upgradeInstall(request: HelmUpgradeRequest, signal?: AbortSignal): Promise<HelmReleaseStatus> {
    const dir = await mkdtemp(join(this.#options.workDir, 'falco-airgap-helm-'));
    try {
      const valuesFile = join(dir, 'values.json');
      // JSON is YAML: helm reads it as a values file with no quoting surprises.
      await writeFile(valuesFile, JSON.stringify(request.values), { mode: 0o600 });
      const args = ['upgrade', request.release, request.chart, '--install', '--namespace', request.namespace, '--values', valuesFile];
      args.push('--timeout', `${request.timeoutSeconds}s`, '--output', 'json');
      if (request.chartVersion) args.push('--version', request.chartVersion);
      if (request.atomic) args.push('--atomic');
      if (request.wait) args.push('--wait');
      if (request.description) args.push('--description', request.description);
      const result = await this.#run(args, request.timeoutSeconds * 1000 + this.#grace, signal);
      if (result.code !== 0) throw classifyHelmFailure('upgrade --install', result.stderr, request.release);
      return parseReleaseJson(result.stdout);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  async history(release: string, namespace: string, signal?: AbortSignal): Promise<HelmRevision[]> {
    const result = await this.#run(['history', release, '--namespace', namespace, '--max', '256', '--output', 'json'], this.#commandTimeout, signal);
    if (result.code !== 0) {
      if (isNotFound(result.stderr)) return [];
      throw classifyHelmFailure('history', result.stderr, release);
    }
    return parseHistoryJson(result.stdout);
  }

  async status(release: string, namespace: string, signal?: AbortSignal): Promise<HelmReleaseStatus | undefined> {
    const result = await this.#run(['status', release, '--namespace', namespace, '--output', 'json'], this.#commandTimeout, signal);
    if (result.code !== 0) {
      if (isNotFound(result.stderr)) return undefined;
      throw classifyHelmFailure('status', result.stderr, release);
    }
    const status = parseReleaseJson(result.stdout);
    // helm status leaves the chart out of its output; the history row of the same revision names it.
    const row = (await this.history(release, namespace, signal)).find((r) => r.revision === status.revision);
    return row ? { ...status, chart: row.chart, appVersion: row.appVersion, description: status.description || row.description } : status;
  }

  async test(release: string, namespace: string, options: { timeoutSeconds: number }, signal?: AbortSignal): Promise<HelmTestResult> {
    const result = await this.#run(
      ['test', release, '--namespace', namespace, '--timeout', `${options.timeoutSeconds}s`],
      options.timeoutSeconds * 1000 + this.#grace,
      signal,
    );
    const tests = parseTestOutput(result.stdout);
    if (result.code !== 0) {
      const failure = classifyHelmFailure('test', result.stderr, release);
      // A test pod that ran and failed is a result; helm itself failing is an error.
      if (/pod .* failed|phase: Failed/i.test(result.stderr)) return { passed: false, tests };
      throw failure.code === DeployErrorCode.HelmFailed || failure.code === DeployErrorCode.HelmTimeout
        ? new DeployError(
            DeployErrorCode.HelmTestFailed,
            failure.message.replace(/^helm test/, 'helm test'),
            'read the test pod logs in the diagnostics',
            failure,
          )
        : failure;
    }
    return { passed: tests.every((t) => t.phase === 'Succeeded'), tests };
  }

  async uninstall(
    release: string,
    namespace: string,
    options: { wait: boolean; timeoutSeconds: number },
    signal?: AbortSignal,
  ): Promise<'uninstalled' | 'absent'> {
    const args = ['uninstall', release, '--namespace', namespace, '--timeout', `${options.timeoutSeconds}s`];
    if (options.wait) args.push('--wait');
    const result = await this.#run(args, options.timeoutSeconds * 1000 + this.#grace, signal);
    if (result.code !== 0) {
      if (isNotFound(result.stderr)) return 'absent';
      throw classifyHelmFailure('uninstall', result.stderr, release);
    }
    return 'uninstalled';
  }

  get #grace(): number {
    return this.#options.graceMs ?? 60_000;
  }

  get #commandTimeout(): number {
    return this.#options.commandTimeoutMs ?? 60_000;
  }

  async #run(args: string[], timeoutMs: number, signal: AbortSignal | undefined): Promise<RunResult> {
    const kube = await this.#options.kubeconfig(timeoutMs, signal);
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(this.#options.env)) if (value !== undefined) env[key] = value;
    const kubeArgs: string[] = [];
    // One file goes on the command line; several are merged by helm the way KUBECONFIG merges them.
    if (kube.files.length === 1) kubeArgs.push('--kubeconfig', kube.files[0]!);
    else env.KUBECONFIG = kube.files.join(':');
    if (kube.context) kubeArgs.push('--kube-context', kube.context);
    const binary = this.#options.helmBinary;
    return new Promise((resolve, reject) => {
      execFile(
        binary,
        [...args, ...kubeArgs],
        { env, timeout: timeoutMs, killSignal: 'SIGTERM', maxBuffer: 64 * 1024 * 1024, signal },
        (error, stdout, stderr) => {
          if (!error) return resolve({ code: 0, stdout, stderr });
          const failure = error as NodeJS.ErrnoException & { killed?: boolean; code?: number | string };
          if (signal?.aborted) return reject(abortedError(signal, `helm ${args[0]}`));
          if (failure.code === 'ENOENT') {
            return reject(
              new DeployError(DeployErrorCode.HelmNotFound, `helm was not found (${binary})`, 'install helm 3 or set `helmBinary` to its path', error),
            );
          }
          if (failure.killed) {
            return reject(
              new DeployError(
                DeployErrorCode.HelmTimeout,
                `helm ${args[0]} did not finish within ${Math.round(timeoutMs / 1000)}s and was stopped`,
                'check that the cluster answers; raise `timeoutSeconds` if the rollout needs longer',
                error,
              ),
            );
          }
          if (typeof failure.code === 'number') return resolve({ code: failure.code, stdout, stderr });
          reject(new DeployError(DeployErrorCode.HelmFailed, `helm ${args[0]} could not run: ${failure.message}`, 'check `helmBinary`', error));
        },
      );
    });
  }
}

function isNotFound(stderr: string): boolean {
  return /release: not found|release not loaded|not found/.test(stderr) && !/chart .* not found/i.test(stderr);
}

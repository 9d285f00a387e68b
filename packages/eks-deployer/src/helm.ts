import type { ValuesLayer } from '@falco-airgap/helm-values-schema';
import { DeployError, DeployErrorCode } from './errors.ts';

/** One revision of a release, as `helm history` lists it. */
export interface HelmRevision {
  revision: number;
  /** deployed, superseded, failed, uninstalled, pending-install, pending-upgrade, pending-rollback. */
  status: string;
  /** `<name>-<version>`, e.g. falco-airgap-0.1.0 */
  chart: string;
  appVersion: string;
  updated: string;
  description: string;
}

/** The current revision of a release with the values it was given. */
export interface HelmReleaseStatus extends HelmRevision {
  name: string;
  namespace: string;
  /** The user-supplied values of this revision (what -f gave), not the chart defaults. */
  values: ValuesLayer;
  notes: string;
}

export interface HelmUpgradeRequest {
  release: string;
  namespace: string;
  /** A chart directory, packaged chart or oci:// reference. */
  chart: string;
  /** The chart version, for a chart from a repository or registry. */
  chartVersion?: string | undefined;
  /** The complete user values (already layered); passed as one values file. */
  values: ValuesLayer;
  /** Roll back (or uninstall a first install) when the upgrade fails. */
  atomic: boolean;
  /** Wait until the workloads are ready. */
  wait: boolean;
  timeoutSeconds: number;
  /** Recorded with the revision (helm history shows it); the deployer keeps its fingerprint here. */
  description?: string | undefined;
}

export interface HelmTestResult {
  passed: boolean;
  tests: { name: string; phase: string }[];
}

/**
 * What the deployer asks of helm: a port, so the deploy logic runs against an in-memory helm in unit
 * tests, and one contract suite holds the fake and the real helm to the same behaviour.
 */
export interface HelmPort {
  /** `helm upgrade --install`: the new revision, or a DeployError (DEPLOY_HELM_TIMEOUT, DEPLOY_CHART_REJECTED, ...). */
  upgradeInstall(request: HelmUpgradeRequest, signal?: AbortSignal): Promise<HelmReleaseStatus>;
  /** Every revision, oldest first; empty when the release does not exist. */
  history(release: string, namespace: string, signal?: AbortSignal): Promise<HelmRevision[]>;
  /** The current revision, or undefined when the release does not exist. */
  status(release: string, namespace: string, signal?: AbortSignal): Promise<HelmReleaseStatus | undefined>;
  /** `helm test`: the test hooks of the chart; passed is false when any failed. */
  test(release: string, namespace: string, options: { timeoutSeconds: number }, signal?: AbortSignal): Promise<HelmTestResult>;
  /** `helm uninstall`; 'absent' when there was nothing to remove. */
  uninstall(release: string, namespace: string, options: { wait: boolean; timeoutSeconds: number }, signal?: AbortSignal): Promise<'uninstalled' | 'absent'>;
}

/** What helm's "Error: ..." says went wrong, as a DeployError; the full output is the cause. */
export function classifyHelmFailure(action: string, stderr: string, release: string): DeployError {
  const text = stderr.trim();
  const message = firstErrorLine(text) ?? `helm exited with an error and printed nothing`;
  const cause = new Error(text || message);
  const rolledBack = /has been (rolled back|uninstalled) due to atomic being set/.test(text);
  const after = rolledBack ? ' (the failed revision was rolled back)' : '';
  if (/another operation \(install\/upgrade\/rollback\) is in progress/.test(text)) {
    return new DeployError(
      DeployErrorCode.HelmLocked,
      `helm ${action} of ${release}: another helm operation is in progress or was interrupted`,
      `wait for it to end; if none runs, the last revision is stuck in a pending state: roll it back (helm rollback ${release}) and deploy again`,
      cause,
    );
  }
  if (/context deadline exceeded|timed out waiting for the condition|client rate limiter Wait returned an error/.test(text)) {
    return new DeployError(
      DeployErrorCode.HelmTimeout,
      `helm ${action} of ${release} timed out: the pods did not become ready in time${after}`,
      'read the diagnostics for the cause; raise `timeoutSeconds` only if the pods were still starting',
      cause,
    );
  }
  if (/Kubernetes cluster unreachable|connection refused|no such host|i\/o timeout|dial tcp|TLS handshake timeout/.test(text)) {
    return new DeployError(
      DeployErrorCode.ClusterUnreachable,
      `helm ${action} of ${release}: the cluster cannot be reached (${message})`,
      'check that the cluster is running and reachable from here, and the `kubeconfig` or EKS cluster in use',
      cause,
    );
  }
  if (
    /execution error at|parse error at|values don't meet the specifications|YAML parse error|unable to build kubernetes objects|chart requires kubeVersion/.test(
      text,
    )
  ) {
    return new DeployError(
      DeployErrorCode.ChartRejected,
      `helm ${action} of ${release}: the chart refused to render: ${message}`,
      'fix the values the message names (the chart checks what validateValues checks, and the Kubernetes version)',
      cause,
    );
  }
  if (/Unauthorized|You must be logged in|forbidden/i.test(text)) {
    return new DeployError(
      DeployErrorCode.KubeApi,
      `helm ${action} of ${release}: the cluster refused it: ${message}`,
      'the identity needs rights to create what the chart installs in the namespace, and its ClusterRole',
      cause,
    );
  }
  return new DeployError(
    DeployErrorCode.HelmFailed,
    `helm ${action} of ${release} failed: ${message}${after}`,
    'read the helm output in the diagnostics',
    cause,
  );
}

// helm's error starts at "Error: "; the chart's own checks continue on the lines below it.
function firstErrorLine(text: string): string | undefined {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.startsWith('Error: '));
  const chosen = start >= 0 ? lines.slice(start, start + 4) : lines.filter((l) => l.trim() !== '').slice(0, 1);
  if (chosen.length === 0) return undefined;
  return chosen
    .map((l) => l.trim())
    .filter(Boolean)
    .join(' ')
    .replace(/^Error: /, '')
    .slice(0, 600);
}

interface RawRelease {
  name?: string;
  namespace?: string;
  version?: number;
  info?: { status?: string; description?: string; last_deployed?: string; notes?: string };
  chart?: { metadata?: { name?: string; version?: string; appVersion?: string } };
  config?: ValuesLayer | null;
}

/** The release JSON of `helm status -o json` / `helm upgrade -o json`, reduced to what the deployer reads. */
export function parseReleaseJson(text: string): HelmReleaseStatus {
  const raw = JSON.parse(text) as RawRelease;
  const metadata = raw.chart?.metadata ?? {};
  return {
    name: raw.name ?? '',
    namespace: raw.namespace ?? '',
    revision: raw.version ?? 0,
    status: raw.info?.status ?? 'unknown',
    chart: `${metadata.name ?? 'unknown'}-${metadata.version ?? '0.0.0'}`,
    appVersion: metadata.appVersion ?? '',
    updated: raw.info?.last_deployed ?? '',
    description: raw.info?.description ?? '',
    values: raw.config ?? {},
    notes: raw.info?.notes ?? '',
  };
}

/** `helm history -o json`, oldest first. */
export function parseHistoryJson(text: string): HelmRevision[] {
  const rows = JSON.parse(text) as { revision: number; updated: string; status: string; chart: string; app_version: string; description: string }[];
  return rows
    .map((row) => ({
      revision: row.revision,
      status: row.status,
      chart: row.chart,
      appVersion: row.app_version,
      updated: row.updated,
      description: row.description,
    }))
    .sort((a, b) => a.revision - b.revision);
}

/** The TEST SUITE blocks of `helm test` output. */
export function parseTestOutput(text: string): HelmTestResult['tests'] {
  const tests: HelmTestResult['tests'] = [];
  let current: { name: string; phase: string } | undefined;
  for (const line of text.split('\n')) {
    const suite = /^TEST SUITE:\s+(\S+)/.exec(line);
    if (suite && suite[1] !== 'None') {
      current = { name: suite[1]!, phase: 'Unknown' };
      tests.push(current);
      continue;
    }
    const phase = /^Phase:\s+(\S+)/.exec(line);
    if (phase && current) current.phase = phase[1]!;
  }
  return tests;
}

import type { HelmRevision } from './helm.ts';
import { eventTime, type ContainerStatusView, type EventView, type PodView, type Workload } from './kube-objects.ts';
import { assessRollout } from './rollout.ts';

/** The likely causes the deployer can name, most specific first. */
export const CAUSES = [
  'helm-locked',
  'helm-conflict',
  'image-pull',
  'init-container-failed',
  'container-config',
  'crash-loop',
  'pod-rejected',
  'unschedulable',
  'not-ready',
  'unknown',
] as const;
export type Cause = (typeof CAUSES)[number];

const CAUSE_TITLES: Record<Cause, string> = {
  'helm-locked': 'helm release locked',
  'helm-conflict': 'objects of another release',
  'image-pull': 'image pull',
  'init-container-failed': 'init container failed',
  'container-config': 'container configuration',
  'crash-loop': 'crash loop',
  'pod-rejected': 'pods rejected',
  unschedulable: 'unschedulable',
  'not-ready': 'not ready',
  unknown: 'unknown',
};

const CAUSE_HINTS: Record<Cause, string> = {
  'helm-conflict':
    'helm found objects it does not own: cluster-wide objects (ClusterRole, ClusterRoleBinding) are named after the release, so one release name can live in one namespace only — pick another release name, or uninstall the other release',
  'helm-locked': 'another helm operation runs or was interrupted: wait for it, or roll the stuck revision back, then deploy again',
  'image-pull':
    'check the image reference and digest in the values, that the image was pushed to that registry, and that the nodes can pull from it (imagePullSecrets, the node role for ECR)',
  'init-container-failed':
    'read the init container log below: the plugin loader refuses plugins whose sha256 does not match the lock, or cannot write the plugin directory',
  'container-config': 'a Secret or ConfigMap the pod mounts or reads is missing, or the container spec is invalid: see the message',
  'crash-loop': 'read the container log below: Falco exits on a bad configuration, a missing driver or plugin, or a failed S3 fetch (strategy s3)',
  'pod-rejected':
    'the cluster refused to create the pods: an admission policy (Pod Security, OPA) or a quota; label the namespace pod-security.kubernetes.io/enforce=privileged',
  unschedulable: 'no node can run the pods: check nodeSelector, affinity, tolerations (control-plane and GPU taints) and the resources requested',
  'not-ready': 'the pods run but do not report ready: check the readiness probe and the Falco webserver settings',
  unknown: 'read the events and logs in the diagnostics bundle',
};

/** One thing seen in the cluster that explains a failure. */
export interface Finding {
  cause: Cause;
  /** The pod or object it was seen on. */
  object: string;
  container?: string | undefined;
  /** The API's reason, e.g. ImagePullBackOff, FailedScheduling. */
  reason: string;
  message: string;
}

/** The last lines of one container, or why they could not be read. */
export interface ContainerLog {
  pod: string;
  container: string;
  previous: boolean;
  lines?: string[] | undefined;
  unavailable?: string | undefined;
  /** Read while helm waited, from a failed run whose pod or log is gone since (an atomic rollback removes both). */
  earlier?: boolean | undefined;
}

/** What the cluster and helm showed for a release when its deploy failed: the content of the diagnostics bundle. */
export interface DiagnosticsSnapshot {
  release: string;
  namespace: string;
  cluster: string;
  collectedAt: string;
  /** The failure that led here (the helm or verification error), if any. */
  failure?: { code: string; message: string; output?: string | undefined } | undefined;
  workloads: Workload[];
  /**
   * The pods as they are now, plus what was seen of them while helm waited: `gone` for pods removed
   * since (an atomic rollback), `earlier` for the last sight of pods that are now being deleted.
   */
  pods: (PodView & { gone?: boolean; earlier?: boolean })[];
  events: EventView[];
  logs: ContainerLog[];
  helmHistory: HelmRevision[];
  /** What could not be collected, and why. */
  gaps: string[];
}

/** The likely cause and a few lines fit for stderr. */
export interface Diagnosis {
  cause: Cause;
  /** e.g. "image pull" */
  title: string;
  /** What to do about it. */
  hint: string;
  findings: Finding[];
  /** A few lines for the terminal or a CI log; the bundle holds the rest. */
  summary: string[];
}

const IMAGE_PULL_REASONS = new Set([
  'ErrImagePull',
  'ImagePullBackOff',
  'InvalidImageName',
  'ErrImageNeverPull',
  'RegistryUnavailable',
  'ErrRegistryUnavailable',
]);
const CONFIG_REASONS = new Set(['CreateContainerConfigError', 'CreateContainerError', 'RunContainerError']);

function containerFindings(pod: string, status: ContainerStatusView, init: boolean): Finding[] {
  const waiting = status.state?.waiting;
  const terminated = status.state?.terminated;
  const last = status.lastState?.terminated;
  const base = { object: pod, container: status.name };
  if (waiting?.reason && IMAGE_PULL_REASONS.has(waiting.reason)) {
    return [{ ...base, cause: 'image-pull', reason: waiting.reason, message: waiting.message ?? `cannot pull ${status.image ?? 'the image'}` }];
  }
  if (waiting?.reason && CONFIG_REASONS.has(waiting.reason)) {
    return [{ ...base, cause: 'container-config', reason: waiting.reason, message: waiting.message ?? waiting.reason }];
  }
  const failedRun = terminated && terminated.exitCode !== 0 ? terminated : waiting?.reason === 'CrashLoopBackOff' ? last : undefined;
  if (failedRun || waiting?.reason === 'CrashLoopBackOff' || (terminated?.reason === 'OOMKilled' && !init)) {
    const exit = failedRun ? `exit code ${failedRun.exitCode}${failedRun.reason ? ` (${failedRun.reason})` : ''}` : 'restarting';
    const detail = failedRun?.message ? `: ${failedRun.message.trim().split('\n').slice(-1)[0]}` : '';
    return [
      {
        ...base,
        cause: init ? 'init-container-failed' : 'crash-loop',
        reason: waiting?.reason ?? failedRun?.reason ?? 'Error',
        message: `${init ? 'init container' : 'container'} ${status.name} ${exit}, ${status.restartCount} restart${status.restartCount === 1 ? '' : 's'}${detail}`,
      },
    ];
  }
  return [];
}

function podFindings(pod: PodView): Finding[] {
  const name = pod.metadata?.name ?? '(unnamed pod)';
  const findings: Finding[] = [];
  for (const status of pod.status?.initContainerStatuses ?? []) findings.push(...containerFindings(name, status, true));
  for (const status of pod.status?.containerStatuses ?? []) findings.push(...containerFindings(name, status, false));
  const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
  if (scheduled?.status === 'False' && scheduled.reason === 'Unschedulable') {
    findings.push({ cause: 'unschedulable', object: name, reason: 'Unschedulable', message: scheduled.message ?? 'no node fits the pod' });
  }
  if (findings.length === 0 && pod.status?.phase === 'Running') {
    const unready = (pod.status.containerStatuses ?? []).filter((c) => !c.ready && c.state?.running);
    for (const status of unready) {
      findings.push({
        cause: 'not-ready',
        object: name,
        container: status.name,
        reason: 'NotReady',
        message: `container ${status.name} runs but is not ready`,
      });
    }
  }
  return findings;
}

function eventFinding(event: EventView): Finding | undefined {
  if (event.type !== 'Warning') return undefined;
  const object = `${event.involvedObject.kind ?? 'object'} ${event.involvedObject.name ?? ''}`.trim();
  const message = event.message ?? '';
  const reason = event.reason ?? '';
  if (reason === 'FailedScheduling') return { cause: 'unschedulable', object, reason, message };
  if (reason === 'FailedCreate') return { cause: 'pod-rejected', object, reason, message };
  if (/pull(ing)? image|ErrImagePull|ImagePullBackOff|InvalidImageName/i.test(message) || reason === 'ErrImageNeverPull')
    return { cause: 'image-pull', object, reason, message };
  if (reason === 'BackOff' && /restarting failed container/i.test(message)) return { cause: 'crash-loop', object, reason, message };
  if (reason === 'Unhealthy' && /Readiness probe failed/i.test(message)) return { cause: 'not-ready', object, reason, message };
  return undefined;
}

/** Events about the release's objects: its workloads, their ReplicaSets and pods. */
export function releaseEvents(snapshot: Pick<DiagnosticsSnapshot, 'workloads' | 'pods' | 'events'>): EventView[] {
  const names = new Set<string>();
  const prefixes: string[] = [];
  for (const workload of snapshot.workloads) {
    const name = workload.object.metadata?.name;
    if (name) {
      names.add(name);
      prefixes.push(`${name}-`);
    }
  }
  for (const pod of snapshot.pods) if (pod.metadata?.name) names.add(pod.metadata.name);
  return snapshot.events
    .filter((event) => {
      const name = event.involvedObject.name ?? '';
      return names.has(name) || prefixes.some((p) => name.startsWith(p));
    })
    .sort((a, b) => eventTime(a) - eventTime(b));
}

/**
 * Names the likely cause of a failed deploy from what the cluster showed, and writes a few lines
 * about it: pure, so it is tested over recorded pods and events.
 */
export function diagnose(snapshot: DiagnosticsSnapshot): Diagnosis {
  const findings: Finding[] = [];
  if (snapshot.failure?.code === 'DEPLOY_HELM_LOCKED') {
    findings.push({ cause: 'helm-locked', object: `release ${snapshot.release}`, reason: 'PendingOperation', message: snapshot.failure.message });
  }
  // helm refused before creating anything: nothing in the cluster explains it, helm's message does.
  if (snapshot.failure && /cannot be imported into the current release|invalid ownership metadata/.test(snapshot.failure.message)) {
    findings.push({ cause: 'helm-conflict', object: `release ${snapshot.release}`, reason: 'InvalidOwnership', message: snapshot.failure.message });
  }
  const current = snapshot.pods.filter((p) => !p.gone && !p.earlier);
  // Pods already terminating count: an atomic rollback deletes the failed ones just before helm returns.
  const pods = snapshot.pods.filter((p) => !p.metadata?.annotations?.['helm.sh/hook'] && !p.metadata?.ownerReferences?.some((o) => o.kind === 'Job'));
  for (const pod of pods) findings.push(...podFindings(pod));
  const events = releaseEvents(snapshot);
  for (const event of events) {
    const finding = eventFinding(event);
    if (finding && !findings.some((f) => f.cause === finding.cause && f.message === finding.message)) findings.push(finding);
  }
  for (const workload of snapshot.workloads) {
    if (workload.kind === 'DaemonSet' && workload.object.status && workload.object.status.desiredNumberScheduled === 0) {
      findings.push({
        cause: 'unschedulable',
        object: `DaemonSet ${workload.object.metadata?.name ?? ''}`,
        reason: 'NoNodeMatches',
        message: 'the DaemonSet matches no node, so no pod is scheduled',
      });
    }
  }
  const rank = (cause: Cause) => CAUSES.indexOf(cause);
  // The kubelet repeats a bare "Error: ImagePullBackOff"; a finding that says more comes first.
  const bare = (f: Finding) => (/^Error: \w+$/.test(f.message) ? 1 : 0);
  findings.sort((a, b) => rank(a.cause) - rank(b.cause) || bare(a) - bare(b));
  const cause = findings[0]?.cause ?? (assessRollout(snapshot.workloads, current).done ? 'unknown' : 'not-ready');
  return { cause, title: CAUSE_TITLES[cause], hint: CAUSE_HINTS[cause], findings, summary: summarize(snapshot, cause, findings, events) };
}

function summarize(snapshot: DiagnosticsSnapshot, cause: Cause, findings: readonly Finding[], events: readonly EventView[]): string[] {
  const lines: string[] = [];
  const top = findings[0];
  const where = top ? `${top.object}${top.container && !top.message.includes(`container ${top.container}`) ? ` container ${top.container}` : ''}` : undefined;
  lines.push(`likely cause: ${CAUSE_TITLES[cause]}${top ? ` — ${where}: ${top.reason}: ${oneLine(top.message)}` : ''}`);
  const alike = findings.filter((f) => f.cause === cause).length;
  if (alike > 1) lines.push(`  (seen ${alike} times across the release's pods and events)`);
  for (const progress of assessRollout(
    snapshot.workloads,
    snapshot.pods.filter((p) => !p.gone && !p.earlier),
  ).workloads) {
    lines.push(
      `${progress.kind} ${progress.name}: ${progress.ready}/${progress.desired} ready, ${progress.updated}/${progress.desired} updated${progress.observed ? '' : ', new spec not yet observed'}`,
    );
  }
  if (snapshot.workloads.length === 0) lines.push(`no DaemonSet or Deployment of release ${snapshot.release} is left in namespace ${snapshot.namespace}`);
  const warnings = new Map<string, number>();
  for (const event of events) if (event.type === 'Warning' && event.reason) warnings.set(event.reason, (warnings.get(event.reason) ?? 0) + (event.count ?? 1));
  if (warnings.size) lines.push(`warning events: ${[...warnings].map(([reason, count]) => `${reason} ×${count}`).join(', ')}`);
  // A run that ended says why it failed; a restarted one may not have got that far yet.
  const logs = top ? snapshot.logs.filter((l) => l.pod === top.object && l.container === top.container && l.lines?.length) : [];
  const log = logs.find((l) => l.previous || l.earlier) ?? logs[0];
  if (log?.lines) lines.push(`last log line of ${log.container}: ${oneLine(log.lines[log.lines.length - 1]!)}`);
  const last = snapshot.helmHistory[snapshot.helmHistory.length - 1];
  if (last) lines.push(`helm: revision ${last.revision} ${last.status}${last.description ? ` (${oneLine(last.description)})` : ''}`);
  lines.push(`what to do: ${CAUSE_HINTS[cause]}`);
  return lines;
}

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 240 ? `${line.slice(0, 237)}...` : line;
}

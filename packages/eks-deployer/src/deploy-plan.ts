import {
  locateIssue,
  mergeValues,
  parsePath,
  validateValues,
  type PluginStrategyName,
  type ValuesFile,
  type ValuesIssue,
  type ValuesLayer,
} from '@falco-airgap/helm-values-schema';
import { createHash } from 'node:crypto';
import type { ChartInfo } from './chart.ts';
import type { HelmRevision } from './helm.ts';

/** One layer of values and where it came from; a parsed values file keeps its document so issues get a line. */
export interface ValuesSource {
  /** The file path, or a name such as `computed`. */
  name: string;
  values: ValuesLayer;
  file?: ValuesFile | undefined;
}

/** An image the pipeline has just pushed, pinned by digest (or a tag when no digest is known). */
export interface PinnedImage {
  registry: string;
  repository: string;
  digest?: string | undefined;
  tag?: string | undefined;
}

/** What the pipeline computed, laid over the environment's values files. */
export interface ComputedValues {
  pluginStrategy?: PluginStrategyName | undefined;
  falcoVersion?: string | undefined;
  images?: { falco?: PinnedImage | undefined; pluginLoader?: PinnedImage | undefined; s3Loader?: PinnedImage | undefined } | undefined;
  /** The S3 plugin store: a cluster follows a channel or is pinned to one release. */
  s3?:
    | {
        bucket?: string | undefined;
        prefix?: string | undefined;
        channel?: string | undefined;
        release?: string | undefined;
        region?: string | undefined;
        endpoint?: string | undefined;
        forcePathStyle?: boolean | undefined;
      }
    | undefined;
  /** The rule sets an environment selects: the lock's rules files in load order, and falco-airgap's overrides after them. */
  rules?: { lockedFiles?: string[] | undefined; overrides?: boolean | undefined } | undefined;
}

function defined(object: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined));
}

function imageValues(image: PinnedImage): ValuesLayer {
  // A digest wins over a tag in the chart; an empty tag means the Falco version.
  return defined({ registry: image.registry, repository: image.repository, digest: image.digest ?? '', tag: image.tag });
}

function sets(layer: ValuesLayer, path: string): boolean {
  let current: unknown = layer;
  for (const segment of parsePath(path)) {
    if (typeof current !== 'object' || current === null || !(String(segment) in current)) return false;
    current = (current as Record<string, unknown>)[String(segment)];
  }
  return path !== '';
}

/** The pipeline's results as a values layer, in the chart's own keys. */
export function computedValuesLayer(computed: ComputedValues): ValuesLayer {
  const layer: ValuesLayer = defined({ pluginStrategy: computed.pluginStrategy, falcoVersion: computed.falcoVersion });
  const images = computed.images ?? {};
  if (images.falco) layer.image = imageValues(images.falco);
  if (images.pluginLoader) layer.pluginLoader = { image: imageValues(images.pluginLoader) };
  const s3: ValuesLayer = {};
  if (images.s3Loader) s3.image = imageValues(images.s3Loader);
  if (computed.s3) {
    const { release, channel, ...location } = computed.s3;
    Object.assign(s3, defined(location));
    // The chart takes a channel or a release, not both: setting one clears the other from lower layers.
    if (release !== undefined) Object.assign(s3, { release, channel: '' });
    else if (channel !== undefined) Object.assign(s3, { channel, release: '' });
  }
  if (Object.keys(s3).length) layer.s3 = s3;
  if (computed.rules?.lockedFiles) layer.lockedRules = { files: computed.rules.lockedFiles };
  if (computed.rules?.overrides !== undefined) layer.rulesOverrides = { enabled: computed.rules.overrides };
  return layer;
}

export interface DeployPlanInput {
  release: string;
  namespace: string;
  chart: ChartInfo;
  /** Values files in helm -f order (chart defaults come first implicitly). */
  layers: readonly ValuesSource[];
  /** Laid over the files: image digests just pushed, the S3 release or channel. */
  computed?: ComputedValues | undefined;
  /** One line naming the cluster, for the plan. */
  cluster: string;
  timeoutSeconds: number;
  /** Roll back a failed upgrade (default true). */
  atomic?: boolean | undefined;
  /** The release's revisions as helm history lists them (empty or absent: not installed). */
  history?: readonly HelmRevision[] | undefined;
}

export type DeployAction = 'install' | 'upgrade' | 'unchanged';

/** A deploy as data: printed by a dry run, executed by `deploy()`. */
export interface DeployPlan {
  release: string;
  namespace: string;
  cluster: string;
  chart: ChartInfo;
  /** Each layer and the top-level keys it sets, in order. */
  layers: { name: string; keys: string[] }[];
  /** The merged user values handed to helm (chart defaults are helm's to apply). */
  values: ValuesLayer;
  /** What validateValues found; a plan with issues is refused before helm runs. */
  issues: ValuesIssue[];
  /** Recorded as the revision's description: the chart and values this revision was made from. */
  fingerprint: string;
  action: DeployAction;
  /** Why this action, in words. */
  reason: string;
  /** The release's current revision, if any. */
  currentRevision: number | undefined;
  timeoutSeconds: number;
  atomic: boolean;
  /** What will run, for people: `helm upgrade --install ...`. */
  helmCommand: string[];
}

/** sha256 of values with keys in a fixed order, so equal values give equal digests whatever their order in files. */
export function valuesDigest(values: unknown): string {
  const canonical = (value: unknown): unknown =>
    Array.isArray(value)
      ? value.map(canonical)
      : typeof value === 'object' && value !== null
        ? Object.fromEntries(
            Object.keys(value)
              .sort()
              .map((key) => [key, canonical((value as Record<string, unknown>)[key])]),
          )
        : value;
  return `sha256:${createHash('sha256')
    .update(JSON.stringify(canonical(values)))
    .digest('hex')}`;
}

/** The description a revision carries: the chart and values it was made from, short enough for helm history. */
export function deployFingerprint(chart: ChartInfo, values: ValuesLayer): string {
  const short = (digest: string) => digest.replace(/^sha256:/, '').slice(0, 16);
  return `falco-airgap ${chart.name}-${chart.version} chart ${short(createHash('sha256').update(chart.digest).digest('hex'))} values ${short(valuesDigest(values))}`;
}

/**
 * Plans a deploy from data alone: layers the values (files, then what the pipeline computed),
 * validates them as the chart will, and decides whether helm has anything to do by comparing
 * the fingerprint with the release's last revision.
 */
export function planDeploy(input: DeployPlanInput): DeployPlan {
  const computed = input.computed ? computedValuesLayer(input.computed) : undefined;
  const sources: ValuesSource[] = [...input.layers, ...(computed && Object.keys(computed).length ? [{ name: 'computed', values: computed }] : [])];
  const values = mergeValues(...sources.map((s) => s.values));
  const files = input.layers.map((l) => l.file).filter((f): f is ValuesFile => f !== undefined);
  // A value the pipeline computed has no file to point at.
  const issues = validateValues(values).map((issue) => ({
    ...issue,
    position: computed && sets(computed, issue.path) ? undefined : locateIssue(files, issue),
  }));
  const fingerprint = deployFingerprint(input.chart, values);
  const history = [...(input.history ?? [])].sort((a, b) => a.revision - b.revision);
  const last = history[history.length - 1];
  const atomic = input.atomic ?? true;

  let action: DeployAction;
  let reason: string;
  if (!last || last.status === 'uninstalled') {
    action = 'install';
    reason = `release ${input.release} is not installed in namespace ${input.namespace}`;
  } else if (last.status === 'deployed' && last.description === fingerprint) {
    action = 'unchanged';
    reason = `revision ${last.revision} was made from this chart and these values`;
  } else {
    action = 'upgrade';
    reason =
      last.status !== 'deployed'
        ? `revision ${last.revision} is ${last.status}`
        : `revision ${last.revision} was made from ${last.description.startsWith('falco-airgap ') ? 'another chart or other values' : `"${last.description}"`}`;
  }

  const helmCommand = ['helm', 'upgrade', input.release, input.chart.ref, '--install', '--namespace', input.namespace];
  if (input.chart.digest.startsWith(`${input.chart.ref}@`)) helmCommand.push('--version', input.chart.version);
  helmCommand.push('--values', '<the merged values>', '--timeout', `${input.timeoutSeconds}s`, '--wait');
  if (atomic) helmCommand.push('--atomic');
  helmCommand.push('--description', fingerprint);

  return {
    release: input.release,
    namespace: input.namespace,
    cluster: input.cluster,
    chart: input.chart,
    layers: sources.map((s) => ({ name: s.name, keys: Object.keys(s.values) })),
    values,
    issues,
    fingerprint,
    action,
    reason,
    currentRevision: last && last.status !== 'uninstalled' ? last.revision : undefined,
    timeoutSeconds: input.timeoutSeconds,
    atomic,
    helmCommand,
  };
}

/** The plan in a few lines for people (a dry run prints this; --json prints the plan itself). */
export function formatDeployPlan(plan: DeployPlan): string[] {
  const lines = [
    `${plan.action} release ${plan.release} in namespace ${plan.namespace} on ${plan.cluster}: ${plan.reason}`,
    `  chart ${plan.chart.name}-${plan.chart.version} (${plan.chart.ref})`,
    ...plan.layers.map((layer, i) => `  values ${i + 1}. ${layer.name}${layer.keys.length ? `: ${layer.keys.join(', ')}` : ' (empty)'}`),
  ];
  if (plan.action !== 'unchanged') lines.push(`  ${plan.helmCommand.join(' ')}`);
  lines.push(`  then verify the rollout${plan.action === 'unchanged' ? ' (no new revision)' : ''}`);
  for (const issue of plan.issues) {
    const where = issue.position ? `${issue.position.file}:${issue.position.line}:${issue.position.column}: ` : '';
    lines.push(`  refused: ${where}${issue.path}: ${issue.message} [${issue.code}]`);
  }
  return lines;
}

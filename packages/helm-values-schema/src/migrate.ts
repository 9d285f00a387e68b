import { isDeepStrictEqual } from 'node:util';
import { Document } from 'yaml';
import { formatPath, parsePath, type PathSegment } from '@falco-airgap/core';
import { chartDefaults } from './defaults.ts';
import { ValuesError, ValuesErrorCode, type ValuesIssue } from './errors.ts';
import type { ValuesLayer } from './merge.ts';
import { MOVED_KEYS } from './moved-keys.ts';
import type { SchemaNode } from './schema/nodes.ts';
import { valuesSchema } from './schema/values-schema.ts';
import { validateValues } from './validate.ts';

/**
 * What became of one value of an upstream values file:
 * - `kept`: written at the same key, with the same meaning;
 * - `moved`: written at another key (`to`) that means the same here;
 * - `unchanged`: nothing to write, because this chart already behaves so (its default, an empty or
 *   unset value, a setting of a feature that is off, a directory internal to falcoctl's container);
 * - `dropped`: not carried over; `reason` says why and what to do instead.
 */
export type MigrationOutcome = 'kept' | 'moved' | 'unchanged' | 'dropped';

export interface MigrationStep {
  /** The upstream key of one value (a leaf of the file: a scalar, a list or an empty map), e.g. `falcoctl.artifact.follow.enabled`. */
  path: string;
  outcome: MigrationOutcome;
  /** Where the value went, for `moved`. */
  to?: string | undefined;
  /** Why, for everything but a plain `kept`. */
  reason?: string | undefined;
}

export interface MigrateOptions {
  /** Release name the upstream chart was installed under (names the falcosidekick Service); default `falco`. */
  releaseName?: string;
  /** Namespace of that release; default `falco`. */
  namespace?: string;
}

export interface MigrationResult {
  /** Values for this chart: only what differs from its defaults, in values.yaml order. */
  values: ValuesLayer;
  /** What the migration added on its own account, e.g. nameOverride for an upgrade in place. */
  notes: string[];
  /** One step per upstream value, in file order. */
  steps: MigrationStep[];
  /** The steps that were dropped: what could not be carried over, with the reason. */
  notCarried: MigrationStep[];
}

/** The upstream falcosecurity/charts `falco` chart's name: the default of nameOverride keeps object names and selector labels. */
export const UPSTREAM_CHART_NAME = 'falco';

const PUBLIC_REGISTRIES = new Set([
  'docker.io',
  'index.docker.io',
  'registry-1.docker.io',
  'ghcr.io',
  'quay.io',
  'gcr.io',
  'registry.k8s.io',
  'public.ecr.aws',
  'mcr.microsoft.com',
]);

const FOLLOW_UNSUPPORTED =
  'falcoctl artifact follow is not supported: nothing can be pulled from the internet; to change plugins or rules, extract a new plugins-lock.yaml and roll it out (pluginStrategy s3 picks up the release its channel points to at pod start)';
const FALCOCTL_DIR = 'a directory inside the falcoctl container; Falco still reads its plugins from /usr/share/falco/plugins and its rules from /etc/falco';
const NO_SUBCHARTS = 'this chart deploys no subcharts';
const CONFIG_D = '/etc/falco/config.d';

type Leaf = { segments: string[]; value: unknown };

interface Decision {
  outcome: MigrationOutcome;
  to?: string;
  value?: unknown;
  reason?: string;
}

interface Context {
  official: ValuesLayer;
  options: Required<MigrateOptions>;
}

type Handler = (leaf: Leaf, ctx: Context) => Decision | undefined;

function isMap(value: unknown): value is ValuesLayer {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isEmpty(value: unknown): boolean {
  return (
    value === null || value === undefined || value === '' || (Array.isArray(value) && value.length === 0) || (isMap(value) && Object.keys(value).length === 0)
  );
}

function valueAt(root: unknown, segments: readonly string[]): unknown {
  let current = root;
  for (const segment of segments) current = isMap(current) ? current[segment] : undefined;
  return current;
}

function leavesOf(value: unknown, segments: string[] = []): Leaf[] {
  if (isMap(value) && Object.keys(value).length > 0) return Object.entries(value).flatMap(([key, child]) => leavesOf(child, [...segments, key]));
  return [{ segments, value }];
}

function resolve(node: SchemaNode): SchemaNode {
  return node.$ref ? valuesSchema.definitions![node.$ref.replace('#/definitions/', '')]! : node;
}

/** Whether this chart's schema has a key at this path (a free-form map accepts whatever is below it). */
function schemaHasPath(segments: readonly string[]): boolean {
  let node = valuesSchema;
  for (const segment of segments) {
    node = resolve(node);
    const child = node.properties?.[segment];
    if (child) node = child;
    else return node.type === 'object' && node.additionalProperties !== false && node.additionalProperties !== undefined;
  }
  return true;
}

function movedHint(segments: readonly string[]): string | undefined {
  for (let i = segments.length; i > 0; i--) {
    const hint = MOVED_KEYS[segments.slice(0, i).join('.')];
    if (hint) return hint;
  }
  return undefined;
}

function isPublicImage(image: unknown): boolean {
  const registry = isMap(image) ? String(image.registry ?? '') : '';
  return registry === '' || PUBLIC_REGISTRIES.has(registry);
}

const kept = (): Decision => ({ outcome: 'kept' });
const unchanged = (reason: string): Decision => ({ outcome: 'unchanged', reason });
const dropped = (reason: string): Decision => ({ outcome: 'dropped', reason });
const moved = (to: string, value: unknown, reason?: string): Decision => ({ outcome: 'moved', to, value, ...(reason ? { reason } : {}) });

function falcosidekickUrl(ctx: Context): string {
  const sidekick = isMap(ctx.official.falcosidekick) ? ctx.official.falcosidekick : {};
  const { namespace } = ctx.options;
  const fullname = officialFullname(ctx);
  const port = String(sidekick.listenport || sidekick.listenPort || '2801');
  return sidekick.fullfqdn ? `http://${fullname}-falcosidekick.${namespace}.svc.cluster.local:${port}` : `http://${fullname}-falcosidekick:${port}`;
}

/** The upstream chart's object name prefix for the release, computed as its helpers do. */
function officialFullname(ctx: Context): string {
  const { fullnameOverride, nameOverride } = ctx.official;
  if (typeof fullnameOverride === 'string' && fullnameOverride) return fullnameOverride.slice(0, 63).replace(/-+$/, '');
  const name = typeof nameOverride === 'string' && nameOverride ? nameOverride : UPSTREAM_CHART_NAME;
  const release = ctx.options.releaseName;
  return (release.includes(name) ? release : `${release}-${name}`).slice(0, 63).replace(/-+$/, '');
}

const sidekickEnabled = (ctx: Context) => valueAt(ctx.official, ['falcosidekick', 'enabled']) === true;
const followEnabled = (ctx: Context) => valueAt(ctx.official, ['falcoctl', 'artifact', 'follow', 'enabled']) === true;

/** Upstream keys whose meaning differs here, by dotted path; a trailing `.*` matches everything below. */
const HANDLERS: Record<string, Handler> = {
  nameOverride: (leaf) =>
    moved(
      'nameOverride',
      leaf.value || UPSTREAM_CHART_NAME,
      'the upstream chart name, so the objects keep their names and selector labels and helm upgrade updates the DaemonSet in place',
    ),
  'image.registry': (leaf, ctx) =>
    isPublicImage(ctx.official.image)
      ? dropped(
          `${String(leaf.value)} is a public registry the air gap cannot reach: the chart runs the falco image falco-airgap build pushes (set global.imageRegistry)`,
        )
      : kept(),
  'image.repository': (_leaf, ctx) =>
    isPublicImage(ctx.official.image)
      ? dropped('the upstream image; the chart runs the falco image falco-airgap build pushes (image.repository falco)')
      : kept(),
  'driver.kind': (leaf) =>
    leaf.value === 'module'
      ? moved('driver.kind', 'kmod', 'module is the old name of kmod')
      : leaf.value === 'modern-bpf'
        ? moved('driver.kind', 'modern_ebpf', 'modern-bpf is the old name of modern_ebpf')
        : kept(),
  'driver.loader.initContainer.image.registry': (leaf, ctx) =>
    isPublicImage(valueAt(ctx.official, ['driver', 'loader', 'initContainer', 'image']))
      ? dropped(`${String(leaf.value)} is a public registry: the driver loader runs from the Falco image, which carries falcoctl`)
      : kept(),
  'driver.loader.initContainer.image.repository': (_leaf, ctx) =>
    isPublicImage(valueAt(ctx.official, ['driver', 'loader', 'initContainer', 'image']))
      ? dropped('the upstream falco-driver-loader image; the driver loader runs from the Falco image, which carries falcoctl')
      : kept(),
  'falco.config_files': (leaf) => {
    const files = Array.isArray(leaf.value) ? leaf.value.filter((f) => f !== CONFIG_D) : leaf.value;
    return Array.isArray(files) && files.length === 0
      ? unchanged(`this chart always loads ${CONFIG_D} first`)
      : moved('falco.config_files', files, `${CONFIG_D} is loaded first anyway`);
  },
  'collectors.containerEngine.pluginRef': (leaf) =>
    dropped(`${String(leaf.value)}: the container plugin comes from plugins-lock.yaml; pin its version in plugins-manifest.yaml (plugins: container)`),
  'collectors.kubernetes.pluginRef': (leaf, ctx) =>
    valueAt(ctx.official, ['collectors', 'kubernetes', 'enabled']) === true
      ? dropped(`${String(leaf.value)}: the k8smeta plugin comes from plugins-lock.yaml; pin its version in plugins-manifest.yaml (plugins: k8smeta)`)
      : unchanged('collectors.kubernetes is off'),
  'falcosidekick.enabled': (leaf, ctx) =>
    leaf.value === true
      ? moved(
          'falco.http_output',
          undefined,
          `falco.json_output and falco.http_output post alerts to ${falcosidekickUrl(ctx)} as upstream does; ${NO_SUBCHARTS}, so install the falcosidekick chart as release ${ctx.options.releaseName} in ${ctx.options.namespace}`,
        )
      : unchanged('falcosidekick is off'),
  'falcosidekick.fullfqdn': (_leaf, ctx) =>
    sidekickEnabled(ctx) ? moved('falco.http_output.url', undefined, 'part of the falcosidekick URL') : unchanged('falcosidekick is off'),
  'falcosidekick.listenPort': (_leaf, ctx) =>
    sidekickEnabled(ctx) ? moved('falco.http_output.url', undefined, 'part of the falcosidekick URL') : unchanged('falcosidekick is off'),
  'falcosidekick.listenport': (_leaf, ctx) =>
    sidekickEnabled(ctx) ? moved('falco.http_output.url', undefined, 'part of the falcosidekick URL') : unchanged('falcosidekick is off'),
  'falcosidekick.*': (_leaf, ctx) =>
    sidekickEnabled(ctx)
      ? dropped(`a value of the falcosidekick chart: set it when you install that chart; ${NO_SUBCHARTS}`)
      : unchanged('falcosidekick is off'),
  'responseActions.enabled': (leaf) =>
    leaf.value === true ? dropped(`deploy falco-talon with its own chart; ${NO_SUBCHARTS}`) : unchanged('response actions are off'),
  'falco-talon.*': (_leaf, ctx) =>
    valueAt(ctx.official, ['responseActions', 'enabled']) === true
      ? dropped(`deploy falco-talon with its own chart; ${NO_SUBCHARTS}`)
      : unchanged('response actions are off'),
  'grafana.*': (_leaf, ctx) =>
    valueAt(ctx.official, ['grafana', 'dashboards', 'enabled']) === true
      ? dropped('import the Falco dashboard into Grafana yourself; the chart exposes metrics through metrics.enabled and serviceMonitor')
      : unchanged('the Grafana dashboard is off'),
  'falcoctl.artifact.install.enabled': (leaf) =>
    leaf.value === true
      ? moved('pluginStrategy', 'sidecar', 'the plugin-loader init container installs the plugins and rules files of plugins-lock.yaml at pod start, verified')
      : moved('pluginStrategy', 'none', 'no install: only what the Falco image holds'),
  'falcoctl.image.pullPolicy': (leaf) => moved('pluginLoader.image.pullPolicy', leaf.value, 'the plugin-loader image takes the place of falcoctl'),
  'falcoctl.image.*': () =>
    dropped('the falcoctl image; pluginStrategy sidecar runs the falco-plugin-loader image that falco-airgap build pushes (pluginLoader.image)'),
  'falcoctl.artifact.install.resources': (leaf) =>
    isEmpty(leaf.value) ? unchanged('empty: the plugin loader keeps the chart’s small requests and limits') : moved('pluginLoader.resources', leaf.value),
  'falcoctl.artifact.install.securityContext': (leaf) =>
    isEmpty(leaf.value)
      ? unchanged('empty: the plugin loader runs without privileges (the chart’s default)')
      : moved('pluginLoader.securityContext', leaf.value),
  'falcoctl.artifact.install.*': (leaf) =>
    isEmpty(leaf.value)
      ? unchanged('empty')
      : dropped('an option of the falcoctl container; the plugin loader takes no extra arguments, environment or mounts'),
  'falcoctl.artifact.follow.enabled': (leaf) => (leaf.value === true ? dropped(FOLLOW_UNSUPPORTED) : unchanged('follow is off')),
  'falcoctl.artifact.follow.*': (leaf, ctx) =>
    isEmpty(leaf.value) ? unchanged('empty') : followEnabled(ctx) ? dropped(FOLLOW_UNSUPPORTED) : unchanged('follow is off'),
  'falcoctl.config.indexes': (leaf) =>
    isEmpty(leaf.value) ? unchanged('empty') : dropped('no index is read: plugins-manifest.yaml names every artifact by its full reference'),
  'falcoctl.config.artifact.allowedTypes': (leaf) =>
    moved(
      'lockedRules.enabled',
      Array.isArray(leaf.value) && leaf.value.includes('rulesfile'),
      'rules files of the lock are delivered when rulesfile is allowed; the plugins of the lock always are',
    ),
  'falcoctl.config.artifact.install.resolveDeps': () => unchanged('extract resolves and locks the dependencies of every artifact'),
  'falcoctl.config.artifact.install.refs': (leaf) =>
    isEmpty(leaf.value)
      ? unchanged('empty')
      : dropped(
          `name ${(leaf.value as unknown[]).map(String).join(', ')} in plugins-manifest.yaml (plugins or rulesfiles, each with its full reference and exact version); the chart delivers what plugins-lock.yaml holds`,
        ),
  'falcoctl.config.artifact.install.*': () => unchanged(FALCOCTL_DIR),
  'falcoctl.config.artifact.follow.rulesfilesDir': () => unchanged(FALCOCTL_DIR),
  'falcoctl.config.artifact.follow.pluginsDir': () => unchanged(FALCOCTL_DIR),
  'falcoctl.config.artifact.follow.stateDir': () => unchanged(FALCOCTL_DIR),
  'falcoctl.config.artifact.follow.*': (leaf, ctx) =>
    isEmpty(leaf.value) ? unchanged('empty') : followEnabled(ctx) ? dropped(FOLLOW_UNSUPPORTED) : unchanged('follow is off'),
};

function handlerFor(segments: readonly string[]): Handler | undefined {
  const exact = HANDLERS[segments.join('.')];
  if (exact) return exact;
  for (let i = segments.length; i > 0; i--) {
    const wildcard = HANDLERS[`${segments.slice(0, i).join('.')}.*`];
    if (wildcard) return wildcard;
  }
  return undefined;
}

function decide(leaf: Leaf, ctx: Context): Decision {
  const own = handlerFor(leaf.segments)?.(leaf, ctx);
  if (own) return own;
  if (leaf.value === null) return unchanged('unset');
  if (schemaHasPath(leaf.segments)) return kept();
  const path = leaf.segments.join('.');
  return dropped(movedHint(leaf.segments) ?? `${path} is not a value of this chart; see the values table of the chart README for the nearest one`);
}

function setAt(target: ValuesLayer, segments: readonly PathSegment[], value: unknown): void {
  let current: ValuesLayer = target;
  segments.forEach((segment, index) => {
    const key = String(segment);
    if (index === segments.length - 1) {
      current[key] = isMap(value) && isMap(current[key]) ? { ...(current[key] as ValuesLayer), ...value } : structuredClone(value);
      return;
    }
    if (!isMap(current[key])) current[key] = {};
    current = current[key] as ValuesLayer;
  });
}

function deleteAt(target: ValuesLayer, segments: readonly PathSegment[]): void {
  const parent = valueAt(target, segments.slice(0, -1).map(String));
  if (isMap(parent)) delete parent[String(segments.at(-1))];
}

/** Removes maps left empty by deletions, so only what was written remains. */
function prune(value: ValuesLayer): ValuesLayer {
  for (const [key, child] of Object.entries(value)) {
    // helm merges maps, so an empty map over a default is the default: nothing is lost.
    if (isMap(child) && Object.keys(prune(child)).length === 0) delete value[key];
  }
  return value;
}

/** The values in the order values.yaml lists them, so the file reads like the chart's own. */
function orderLike(value: unknown, node: SchemaNode | undefined): unknown {
  if (!isMap(value)) return value;
  const properties = node ? resolve(node).properties : undefined;
  if (!properties) return value;
  const keys = [...Object.keys(properties).filter((k) => k in value), ...Object.keys(value).filter((k) => !(k in properties))];
  return Object.fromEntries(keys.map((k) => [k, orderLike(value[k], properties[k])]));
}

/** Whether an issue is about this written path, or a path below or above it. */
function concerns(issue: ValuesIssue, segments: readonly PathSegment[]): boolean {
  const issuePath = parsePath(issue.path).map(String);
  const written = segments.map(String);
  const n = Math.min(issuePath.length, written.length);
  return issuePath.slice(0, n).every((s, i) => s === written[i]);
}

/**
 * Converts the values of an installation of the upstream falcosecurity/charts `falco` chart into
 * values for this chart, value by value: what means the same is kept or moved, what this chart
 * already does needs nothing, and what air-gap mode cannot do is listed with the reason. The result
 * passes validateValues(); a value this chart refuses is dropped with the refusal as the reason.
 */
export function migrateOfficialValues(official: unknown, options: MigrateOptions = {}): MigrationResult {
  if (!isMap(official)) {
    throw new ValuesError([
      {
        code: ValuesErrorCode.NotAMapping,
        path: '',
        message: 'the upstream values must be a map of keys to values',
        hint: 'pass the values file of the falcosecurity/charts falco chart, e.g. the output of helm get values falco',
      },
    ]);
  }
  const ctx: Context = { official, options: { releaseName: options.releaseName ?? 'falco', namespace: options.namespace ?? 'falco' } };
  const leaves = leavesOf(official);
  const decisions = leaves.map((leaf) => ({ leaf, decision: decide(leaf, ctx) }));

  const defaults = chartDefaults();
  const values: ValuesLayer = {};
  const written: { index: number; segments: PathSegment[] }[] = [];
  decisions.forEach(({ leaf, decision }, index) => {
    if (decision.outcome !== 'kept' && decision.outcome !== 'moved') return;
    const segments = decision.to ? parsePath(decision.to) : leaf.segments;
    const value = decision.outcome === 'moved' ? decision.value : leaf.value;
    if (value === null || value === undefined) return;
    setAt(values, segments, value);
    written.push({ index, segments });
  });

  const notes: string[] = [];
  if (!('nameOverride' in official)) {
    setAt(values, ['nameOverride'], UPSTREAM_CHART_NAME);
    written.push({ index: -1, segments: ['nameOverride'] });
    notes.push(`nameOverride ${UPSTREAM_CHART_NAME}: the objects keep the upstream names and selector labels, so helm upgrade updates the DaemonSet in place`);
  }
  if (sidekickEnabled(ctx)) {
    // What the upstream chart sets in falco.yaml for its falcosidekick subchart; a url of the user's wins, as upstream.
    const url = valueAt(official, ['falco', 'http_output', 'url']) || falcosidekickUrl(ctx);
    for (const [segments, value] of [
      [['falco', 'json_output'], true],
      [['falco', 'json_include_output_property'], true],
      [['falco', 'http_output', 'enabled'], true],
      [['falco', 'http_output', 'url'], url],
    ] as const) {
      setAt(values, segments, value);
      written.push({ index: -1, segments: [...segments] });
    }
  }
  // A container plugin the user configured in falco.plugins wins upstream; here collectors.containerEngine then steps aside.
  const plugins = valueAt(values, ['falco', 'plugins']);
  if (Array.isArray(plugins) && plugins.some((p) => isMap(p) && p.name === 'container')) {
    setAt(values, ['collectors', 'containerEngine', 'enabled'], false);
    notes.push('collectors.containerEngine.enabled false: falco.plugins configures the container plugin itself, which wins in the upstream chart');
  }

  // Values this chart refuses are dropped with the refusal as the reason; the rest is then checked again.
  for (let round = 0; round < 5; round++) {
    const issues = validateValues(values);
    if (issues.length === 0) break;
    for (const issue of issues) {
      for (const w of written.filter((entry) => concerns(issue, entry.segments))) {
        deleteAt(values, w.segments);
        const entry = decisions[w.index];
        if (!entry || entry.decision.outcome === 'dropped') continue;
        entry.decision = dropped(`${issue.message} — ${issue.hint}`);
      }
    }
  }

  // Keep only what differs from this chart's defaults: the file then reads as the user's choices.
  for (const { index, segments } of written) {
    const entry = decisions[index];
    if (entry?.decision.outcome === 'dropped') continue;
    const value = valueAt(values, segments.map(String));
    if (value !== undefined && isDeepStrictEqual(value, valueAt(defaults, segments.map(String)))) {
      deleteAt(values, segments);
      if (entry?.decision.outcome === 'kept') entry.decision = unchanged('the same as this chart’s default');
    }
  }

  const steps = decisions.map(({ leaf, decision }) => ({
    path: formatPath(leaf.segments),
    outcome: decision.outcome,
    ...(decision.outcome === 'moved' ? { to: decision.to } : {}),
    ...(decision.reason ? { reason: decision.reason } : {}),
  }));
  return { values: orderLike(prune(values), valuesSchema) as ValuesLayer, notes, steps, notCarried: steps.filter((s) => s.outcome === 'dropped') };
}

/**
 * The migrated values as a values file: a header naming the source and, as comments, every value that
 * was not carried over with its reason, so the file itself says what to look at.
 */
export function renderMigratedValues(result: MigrationResult, source: string): string {
  const header = [
    ` Values for the falco-airgap chart, migrated from ${source} (upstream falcosecurity/charts falco chart) by falco-airgap values migrate.`,
    ' Only what differs from the falco-airgap defaults is written; see helm/falco-airgap/README.md for every value.',
    ...result.notes.map((note) => ` ${note}.`),
  ];
  if (result.notCarried.length) {
    header.push('', ` Not carried over (${result.notCarried.length}):`);
    for (const step of result.notCarried) header.push(`   ${step.path}: ${step.reason ?? ''}`);
  }
  const doc = new Document(result.values);
  doc.commentBefore = header.join('\n');
  return doc.toString({ lineWidth: 0 });
}

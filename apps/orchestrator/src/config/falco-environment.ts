import { formatPosition, type PathSegment, type SourcePosition } from '@falco-airgap/core';
import type { ComputedValues } from '@falco-airgap/eks-deployer';
import {
  checkPluginApi,
  loadLock,
  loadVersionsCatalogue,
  ManifestError,
  resolveFalcoVersion,
  selectedRulesfiles,
  type FalcoResolution,
  type FalcoVersionEntry,
  type FalcoVersionsCatalogue,
  type PluginsLock,
  type PluginsManifest,
  type RuleSetSelection,
  type SelectedRulesfile,
} from '@falco-airgap/manifest';
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import type { CommandContext } from '../context.ts';
import type { DiagnosticEvent } from '../output/events.ts';
import { ConfigError, ConfigErrorCode, type ConfigIssue } from './config-error.ts';
import { yamlPositions, type LoadedConfig } from './config-file.ts';
import type { EnvironmentConfig } from './config-schema.ts';
import { readConfig, readEnvironment } from './environment-config.ts';

/** The Falco version and rule sets an environment runs, decided against the versions catalogue. */
export interface EnvironmentFalco {
  /** The Falco version to build and deploy. */
  version: string;
  entry: FalcoVersionEntry;
  /** What was asked for: the environment's falco.version, else the manifest's falco.version. */
  requested: string;
  /** Set when autoUpdate moved the environment forward. */
  movedFrom?: { version: string; because: string } | undefined;
  /** The rule sets, when the environment names them (rules:); undefined keeps the chart's own choice. */
  rules?: (RuleSetSelection & { overrides: boolean; rulesfiles: SelectedRulesfile[] }) | undefined;
  /** What the chart gets from this decision: falcoVersion, and the locked rules files and overrides of the rule sets. */
  chartValues: Pick<ComputedValues, 'falcoVersion' | 'rules'>;
}

/** A finding that does not stop the command: a deprecated version, an update, a requirement only extract can check. */
export type FalcoWarning = Omit<DiagnosticEvent, 'type' | 'severity'>;

/** The files the decision reads, each with how messages name it. */
export interface FalcoDecisionInput {
  catalogue: FalcoVersionsCatalogue;
  now: Date;
  /** The environment and where its keys are written; absent without a configuration file. */
  environment?: { name: string; config: EnvironmentConfig; positionOf: (path: readonly PathSegment[]) => SourcePosition } | undefined;
  manifest?: { manifest: PluginsManifest; positionOf: (path: readonly PathSegment[]) => SourcePosition } | undefined;
  lock?: { lock: PluginsLock; positionOf: (path: readonly PathSegment[]) => SourcePosition } | undefined;
  /** deliver: refuse what must not be built or deployed (pipeline, deploy); inspect: say it as warnings (status). */
  purpose: 'deliver' | 'inspect';
  warn: (warning: FalcoWarning) => void;
}

/**
 * Decides an environment's Falco version and rule sets: the catalogue's lifecycle (auto, deprecated, expired,
 * autoUpdate), every plugin of the manifest or lock against that version's plugin API, and each selected rule set
 * against the manifest (mirrored) and the lock (locked). Pure: refuses with ConfigError, everything at FILE:LINE:COL.
 */
export function decideEnvironmentFalco(input: FalcoDecisionInput): EnvironmentFalco | undefined {
  const { catalogue, environment, manifest, lock } = input;
  const envFalco = environment?.config.falco;
  const base = environment ? ['environments', environment.name] : [];
  const requested = envFalco?.version ?? manifest?.manifest.falco.version ?? lock?.lock.falco.version;
  if (requested === undefined) return undefined;
  const requestAt: SourcePosition =
    envFalco?.version !== undefined
      ? environment!.positionOf([...base, 'falco', 'version'])
      : manifest
        ? manifest.positionOf(['falco', 'version'])
        : lock
          ? lock.positionOf(['falco', 'version'])
          : environment!.positionOf(base);
  const where = envFalco?.version !== undefined ? `environments.${environment!.name}.falco.version` : 'falco.version';
  const resolution = resolveFalcoVersion(catalogue, { version: requested, autoUpdate: envFalco?.autoUpdate }, input.now);
  const warn = (issue: ConfigIssue) => input.warn({ code: issue.code, message: issue.message, hint: issue.hint, location: formatPosition(issue.position) });
  const refusals: ConfigIssue[] = [];

  if (resolution.status === 'refused') {
    const issue = refusal(resolution, where, requestAt, catalogue);
    if (input.purpose === 'deliver') throw new ConfigError([issue]);
    warn(issue);
    if (!resolution.entry) return undefined;
  } else if (resolution.warning?.kind === 'deprecated') {
    input.warn({
      code: 'FALCO_VERSION_DEPRECATED',
      message: `Falco ${resolution.entry.version} is deprecated and expires on ${resolution.warning.expirationDate}; from then on it is refused`,
      hint: `move ${where} to a supported version (falco-airgap versions list), or set autoUpdate: true`,
      location: formatPosition(requestAt),
    });
  } else if (resolution.warning?.kind === 'preview') {
    input.warn({
      code: 'FALCO_VERSION_PREVIEW',
      message: `Falco ${resolution.entry.version} is a preview: not for production clusters`,
      hint: 'use a supported version (falco-airgap versions list) for production',
      location: formatPosition(requestAt),
    });
  } else if (resolution.movedFrom) {
    const { version, because } = resolution.movedFrom;
    input.warn({
      code: 'FALCO_VERSION_UPDATED',
      message: `Falco ${version} is ${because === 'newer-supported' ? 'not the latest supported version' : because}: autoUpdate moves this environment to ${resolution.entry.version}`,
      hint: `write ${where}: ${resolution.entry.version} to make it explicit`,
      location: formatPosition(requestAt),
    });
  }
  const entry = resolution.entry!;

  if (manifest || lock) {
    const check = checkPluginApi(manifest?.manifest ?? lockAsManifest(lock!.lock), lock?.lock, entry);
    for (const conflict of check.conflicts) {
      const position =
        conflict.statedIn === 'manifest'
          ? manifest!.positionOf(['plugins', manifest!.manifest.plugins.findIndex((p) => p.name === conflict.plugin), 'requiredApiVersion'])
          : lock!.positionOf(lockPluginPath(lock!.lock, conflict.plugin, conflict.platform));
      refusals.push({
        code: ConfigErrorCode.PluginApiIncompatible,
        message: `plugin ${conflict.plugin} ${conflict.version}${conflict.platform ? ` (${conflict.platform})` : ''} requires plugin API ${conflict.required}, which Falco ${entry.version} (plugin API ${conflict.provided}) cannot load: ${conflict.reason}`,
        hint: `choose a Falco version whose plugin API loads it (falco-airgap versions list) for ${where}, or a version of ${conflict.plugin} built for plugin API ${conflict.provided}`,
        position,
      });
    }
    const manifestVersion = manifest?.manifest.falco.version;
    if (check.unstated.length && manifestVersion !== undefined && manifestVersion !== entry.version) {
      input.warn({
        code: 'PLUGIN_API_UNCHECKED',
        message: `${check.unstated.join(', ')} state${check.unstated.length === 1 ? 's' : ''} no plugin API version before extract reads the artifact, and extract checks it against Falco ${manifestVersion} of the manifest, not ${entry.version}`,
        hint: `set requiredApiVersion on those manifest entries, or set the manifest's falco.version to ${entry.version}`,
        location: manifest ? formatPosition(manifest.positionOf(['falco', 'version'])) : undefined,
      });
    }
  }

  const rules = environment?.config.rules;
  let selection: EnvironmentFalco['rules'];
  if (rules) {
    const chosen = { falco: rules.falco ?? true, incubating: rules.incubating ?? false, sandbox: rules.sandbox ?? false };
    const rulesfiles = selectedRulesfiles(chosen, entry);
    const rulesAt = environment!.positionOf([...base, 'rules']);
    for (const selected of rulesfiles) {
      const listed = manifest?.manifest.rulesfiles.find((r) => r.name === selected.name);
      if (manifest && !listed) {
        refusals.push({
          code: ConfigErrorCode.RulesNotInManifest,
          message: `environments.${environment!.name}.rules selects ${selected.set}, but the manifest does not mirror ${selected.name}`,
          hint: selected.artifact
            ? `add to rulesfiles: { name: ${selected.name}, version: ${selected.version}, from: { artifact: ${selected.artifact} } }`
            : `add ${selected.name} to the manifest's rulesfiles, and its version for Falco ${entry.version} to the versions catalogue`,
          position: rulesAt,
        });
      } else if (listed && selected.version && listed.version !== selected.version) {
        input.warn({
          code: 'RULES_VERSION_DIFFERS',
          message: `the manifest mirrors ${selected.name} ${listed.version}; the catalogue gives ${selected.version} for Falco ${entry.version}`,
          hint: `set its version and tag to ${selected.version}, unless you pin ${listed.version} on purpose`,
          location: formatPosition(manifest!.positionOf(['rulesfiles', manifest!.manifest.rulesfiles.indexOf(listed), 'version'])),
        });
      }
      if (!manifest && lock && !lock.lock.rulesfiles.some((r) => r.name === selected.name)) {
        refusals.push({
          code: ConfigErrorCode.RulesNotInManifest,
          message: `environments.${environment!.name}.rules selects ${selected.set}, but the lock holds no ${selected.name}, so Falco would not start`,
          hint: `mirror ${selected.name} (add it to the manifest and run the pipeline or extract), or deselect ${selected.set}`,
          position: rulesAt,
        });
      }
    }
    selection = { ...chosen, overrides: rules.overrides ?? false, rulesfiles };
  }
  if (refusals.length && input.purpose === 'deliver') throw new ConfigError(refusals);
  refusals.forEach(warn);

  return {
    version: entry.version,
    entry,
    requested,
    movedFrom: resolution.status === 'resolved' ? resolution.movedFrom : undefined,
    rules: selection,
    chartValues: {
      falcoVersion: entry.version,
      rules: selection && {
        lockedFiles: selection.rulesfiles.map((selected) => lockedFileOf(selected, lock?.lock)),
        overrides: selection.overrides,
      },
    },
  };
}

function refusal(
  resolution: Extract<FalcoResolution, { status: 'refused' }>,
  where: string,
  position: SourcePosition,
  catalogue: FalcoVersionsCatalogue,
): ConfigIssue {
  const target = resolution.latestSupported?.version;
  switch (resolution.reason) {
    case 'expired':
      return {
        code: ConfigErrorCode.FalcoVersionExpired,
        message: `Falco ${resolution.requested} expired on ${resolution.entry!.expirationDate} and is no longer deployed`,
        hint: target
          ? `set ${where}: ${target} (the latest supported), or autoUpdate: true to move forward automatically`
          : 'add a supported version to the versions catalogue',
        position,
      };
    case 'no-supported':
      return {
        code: ConfigErrorCode.NoSupportedFalco,
        message: `${where} is auto, but the versions catalogue ${catalogue.file} classifies no version as supported`,
        hint: 'name a version, or mark one supported in the versions catalogue',
        position,
      };
    default:
      return {
        code: ConfigErrorCode.FalcoVersionUnknown,
        message: `Falco ${resolution.requested} is not in the versions catalogue ${catalogue.file}`,
        hint: `use one of ${catalogue.versions.map((v) => v.version).join(', ')} or auto${target ? ` (${target})` : ''}; a newer catalogue can be named as the versions file`,
        position,
      };
  }
}

// The lock names each rulesfile's files; before the first extract the upstream file name stands in.
function lockedFileOf(selected: SelectedRulesfile, lock: PluginsLock | undefined): string {
  const files = lock?.rulesfiles.find((r) => r.name === selected.name)?.files ?? [];
  return files.find((f) => f.file === selected.file)?.file ?? files[0]?.file ?? selected.file;
}

function lockPluginPath(lock: PluginsLock, plugin: string, platform: string | undefined): PathSegment[] {
  const index = lock.plugins.findIndex((p) => p.name === plugin);
  const platformIndex = lock.plugins[index]?.platforms.findIndex((p) => p.platform === platform) ?? -1;
  return platformIndex < 0 ? ['plugins', index] : ['plugins', index, 'platforms', platformIndex, 'pluginApiVersion'];
}

// Without a manifest (deploy), the lock's entries are checked as the manifest would name them.
function lockAsManifest(lock: PluginsLock): PluginsManifest {
  return {
    apiVersion: lock.apiVersion,
    kind: 'PluginsManifest',
    falco: lock.falco,
    platforms: [],
    plugins: lock.plugins.map((p) => ({ name: p.name, version: p.version, from: p.source })),
    rulesfiles: lock.rulesfiles.map((r) => ({ name: r.name, version: r.version, from: r.source })),
  };
}

/** Where the versions catalogue comes from: the versions file option (flag or FALCO_AIRGAP_VERSIONS_FILE), the configuration's versionsFile, or the shipped one. */
export async function readCatalogue(ctx: Pick<CommandContext, 'cwd' | 'globals'>, versionsFile: string | undefined): Promise<FalcoVersionsCatalogue> {
  if (versionsFile !== undefined) return loadVersionsCatalogue(resolve(ctx.cwd, versionsFile), versionsFile);
  const config = await readConfig(ctx.globals.config, ctx.cwd);
  if (config?.document.versionsFile !== undefined) {
    const file = resolve(dirname(resolve(ctx.cwd, config.file)), config.document.versionsFile);
    return loadVersionsCatalogue(file, shown(ctx.cwd, file));
  }
  return loadVersionsCatalogue();
}

export interface EnvironmentFalcoRequest {
  /** The environment named by --env; without a configuration file there is none to read. */
  env?: string | undefined;
  versionsFile?: string | undefined;
  /** The manifest as the command loaded it, with its path as the user named it. */
  manifest?: { manifest: PluginsManifest; file: string } | undefined;
  /** A lock to check too, when it exists (the pipeline's --out, deploy's plugins/plugins-lock.yaml). */
  lockFile?: string | undefined;
  purpose: 'deliver' | 'inspect';
  now?: Date | undefined;
}

/**
 * For pipeline, deploy and status: the environment's Falco version and rule sets, decided against the
 * catalogue before anything is pulled, built or deployed; warnings are reported as they are found.
 */
export async function resolveEnvironmentFalco(ctx: CommandContext, request: EnvironmentFalcoRequest): Promise<EnvironmentFalco | undefined> {
  const catalogue = await readCatalogue(ctx, request.versionsFile);
  const config = request.env === undefined ? undefined : await readConfig(ctx.globals.config, ctx.cwd);
  const environment = config && request.env !== undefined ? await environmentOf(ctx, request.env, config) : undefined;
  const manifest = request.manifest && {
    manifest: request.manifest.manifest,
    positionOf: yamlPositions(await readFile(resolve(ctx.cwd, request.manifest.file), 'utf8'), request.manifest.file),
  };
  const lock = request.lockFile === undefined ? undefined : await readLockIfPresent(ctx.cwd, request.lockFile);
  // Without a manifest (deploy, status) only an environment that names its Falco version or rule sets has anything to decide.
  if (!environment?.config.falco && !environment?.config.rules && !manifest) return undefined;
  const warn = (warning: FalcoWarning) => ctx.reporter.event({ type: 'diagnostic', severity: 'warning', ...warning });
  return decideEnvironmentFalco({ catalogue, now: request.now ?? new Date(), environment, manifest, lock, purpose: request.purpose, warn });
}

async function environmentOf(ctx: CommandContext, name: string, config: LoadedConfig): Promise<FalcoDecisionInput['environment']> {
  const { environment } = await readEnvironment(ctx, name);
  return { name, config: environment, positionOf: (path) => config.positionOf(path) };
}

// A lock that is missing or unreadable tells nothing yet: extract writes it, and the checks then read it.
async function readLockIfPresent(cwd: string, file: string): Promise<FalcoDecisionInput['lock']> {
  const path = resolve(cwd, file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    return { lock: await loadLock(path, file), positionOf: yamlPositions(text, file) };
  } catch (error) {
    if (error instanceof ManifestError) return undefined;
    throw error;
  }
}

function shown(cwd: string, file: string): string {
  const rel = relative(cwd, file);
  return rel.startsWith('..') || isAbsolute(rel) ? file : rel;
}

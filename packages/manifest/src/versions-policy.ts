import { compareSemver, parseSemver, type Platform } from '@falco-airgap/core';
import type { PluginsLock, PluginsManifest } from './types.ts';
import type { FalcoVersionEntry, FalcoVersionsCatalogue } from './versions.ts';
import type { OfficialRulesfile } from './versions-schema.ts';

/** What an environment asks for: a Falco version or `auto` (the latest supported one), and whether it follows updates. */
export interface FalcoVersionRequest {
  version: string;
  autoUpdate?: boolean | undefined;
}

export type FalcoResolution =
  | {
      status: 'resolved';
      requested: string;
      entry: FalcoVersionEntry;
      /** Set when the environment was moved off the version it names: with autoUpdate, to the latest supported one. */
      movedFrom?: { version: string; because: 'expired' | 'deprecated' | 'newer-supported' } | undefined;
      /** Not fatal: a deprecated version (with its expiry) or a preview. */
      warning?: { kind: 'deprecated'; expirationDate: string } | { kind: 'preview' } | undefined;
    }
  | {
      status: 'refused';
      requested: string;
      reason: 'unknown' | 'expired' | 'no-supported';
      /** The entry of an expired version. */
      entry?: FalcoVersionEntry | undefined;
      /** Where autoUpdate would move it, when the catalogue has a supported version. */
      latestSupported?: FalcoVersionEntry | undefined;
    };

export const AUTO_VERSION = 'auto';

/** The newest version classified supported, or undefined when the catalogue has none. */
export function latestSupported(catalogue: FalcoVersionsCatalogue): FalcoVersionEntry | undefined {
  return catalogue.versions.filter((entry) => entry.classification === 'supported').sort((a, b) => compareSemver(b.version, a.version))[0];
}

export function findVersion(catalogue: FalcoVersionsCatalogue, version: string): FalcoVersionEntry | undefined {
  return catalogue.versions.find((entry) => entry.version === version);
}

/** Whether a deprecated entry is past its expiration date at `now` (it expires at 00:00 UTC of that day). */
export function isExpired(entry: FalcoVersionEntry, now: Date): boolean {
  return entry.expirationDate !== undefined && now.getTime() >= Date.parse(`${entry.expirationDate}T00:00:00Z`);
}

/**
 * The version an environment runs, under the simplified lifecycle policy: `auto` is the latest supported
 * version; a deprecated one is kept with a warning until it expires, then refused; with autoUpdate the
 * environment moves forward (never back) to the latest supported version whenever one is newer.
 */
export function resolveFalcoVersion(catalogue: FalcoVersionsCatalogue, request: FalcoVersionRequest, now: Date): FalcoResolution {
  const requested = request.version;
  const target = latestSupported(catalogue);
  if (requested === AUTO_VERSION) {
    return target ? { status: 'resolved', requested, entry: target } : { status: 'refused', requested, reason: 'no-supported' };
  }
  const entry = findVersion(catalogue, requested);
  if (!entry) return { status: 'refused', requested, reason: 'unknown', latestSupported: target };
  const expired = isExpired(entry, now);
  if (request.autoUpdate && target && compareSemver(target.version, entry.version) > 0) {
    const because = expired ? 'expired' : entry.classification === 'deprecated' ? 'deprecated' : 'newer-supported';
    return { status: 'resolved', requested, entry: target, movedFrom: { version: entry.version, because } };
  }
  if (expired) return { status: 'refused', requested, reason: 'expired', entry, latestSupported: target };
  if (entry.classification === 'deprecated')
    return { status: 'resolved', requested, entry, warning: { kind: 'deprecated', expirationDate: entry.expirationDate! } };
  if (entry.classification === 'preview') return { status: 'resolved', requested, entry, warning: { kind: 'preview' } };
  return { status: 'resolved', requested, entry };
}

/**
 * Why a plugin that requires API `required` cannot be loaded by libs that provide `provided`, as the libs'
 * plugin loader decides it (same major, and no later minor, or no later patch of the same minor); undefined when it loads.
 */
export function pluginApiIncompatibility(required: string, provided: string): string | undefined {
  const [r, p] = [parseSemver(required), parseSemver(provided)];
  if (!r || !p) return `"${!r ? required : provided}" is not an API version`;
  if (r.major !== p.major) return `major versions disagree (${r.major} required, ${p.major} provided)`;
  if (r.minor > p.minor) return `Falco's plugin API ${provided} is older than the ${required} required`;
  if (r.minor === p.minor && r.patch > p.patch) return `Falco's plugin API ${provided} is older than the ${required} required`;
  return undefined;
}

/** A plugin whose required API version the chosen Falco cannot load. */
export interface PluginApiConflict {
  plugin: string;
  version: string;
  required: string;
  provided: string;
  /** Where the requirement is stated: the manifest entry's requiredApiVersion, or the lock (per platform). */
  statedIn: 'manifest' | 'lock';
  platform?: Platform | undefined;
  reason: string;
}

export interface PluginApiCheck {
  conflicts: PluginApiConflict[];
  /** Plugins whose requirement neither the manifest nor a matching lock entry states: known only once extract reads them. */
  unstated: string[];
}

/**
 * Checks the plugins of a manifest against the plugin API of a Falco version with what is known before
 * anything is pulled: each entry's requiredApiVersion, and the lock's per-platform API versions for the
 * entries the lock resolved from the same source at the same version.
 */
export function checkPluginApi(manifest: PluginsManifest, lock: PluginsLock | undefined, falco: FalcoVersionEntry): PluginApiCheck {
  const conflicts: PluginApiConflict[] = [];
  const unstated: string[] = [];
  const provided = falco.pluginApiVersion;
  for (const plugin of manifest.plugins) {
    const locked = lock?.plugins.find(
      (candidate) => candidate.name === plugin.name && candidate.version === plugin.version && JSON.stringify(candidate.source) === JSON.stringify(plugin.from),
    );
    const stated: { required: string; statedIn: 'manifest' | 'lock'; platform?: Platform }[] = [];
    if (plugin.requiredApiVersion) stated.push({ required: plugin.requiredApiVersion, statedIn: 'manifest' });
    for (const platform of locked?.platforms ?? []) stated.push({ required: platform.pluginApiVersion, statedIn: 'lock', platform: platform.platform });
    if (!stated.length) unstated.push(plugin.name);
    for (const statement of stated) {
      const reason = pluginApiIncompatibility(statement.required, provided);
      if (reason) conflicts.push({ plugin: plugin.name, version: plugin.version, provided, reason, ...statement });
    }
  }
  return { conflicts, unstated };
}

/** Which official rule sets an environment loads; falco is the stable set Falco ships. */
export interface RuleSetSelection {
  falco: boolean;
  incubating: boolean;
  sandbox: boolean;
}

export const RULE_SETS = ['falco', 'incubating', 'sandbox'] as const;
export type RuleSet = (typeof RULE_SETS)[number];

/** Each rule set's artifact under ghcr.io/falcosecurity/rules and the file its layer holds, in load order. */
export const OFFICIAL_RULE_SETS: Readonly<Record<RuleSet, { rulesfile: OfficialRulesfile; file: string }>> = {
  falco: { rulesfile: 'falco-rules', file: 'falco_rules.yaml' },
  incubating: { rulesfile: 'falco-incubating-rules', file: 'falco-incubating_rules.yaml' },
  sandbox: { rulesfile: 'falco-sandbox-rules', file: 'falco-sandbox_rules.yaml' },
};

export const OFFICIAL_RULES_REPOSITORY = 'ghcr.io/falcosecurity/rules';

/** A selected rule set as the manifest must mirror it. */
export interface SelectedRulesfile {
  set: RuleSet;
  name: OfficialRulesfile;
  /** The version the catalogue gives for the Falco version; undefined when it names none. */
  version: string | undefined;
  /** Where upstream publishes it, at that version. */
  artifact: string | undefined;
  /** The rules file its layer holds. */
  file: string;
}

/** The official rulesfiles a selection loads, in load order (falco, incubating, sandbox), at the catalogue's versions. */
export function selectedRulesfiles(selection: RuleSetSelection, falco: FalcoVersionEntry): SelectedRulesfile[] {
  return RULE_SETS.filter((set) => selection[set]).map((set) => {
    const { rulesfile, file } = OFFICIAL_RULE_SETS[set];
    const version = falco.rules[rulesfile];
    return { set, name: rulesfile, version, artifact: version ? `${OFFICIAL_RULES_REPOSITORY}/${rulesfile}:${version}` : undefined, file };
  });
}

/** The upstream images a Falco version needs in the air gap: Falco itself and, when the catalogue pairs one, Falcosidekick. */
export function upstreamImages(falco: FalcoVersionEntry): { name: 'falco' | 'falcosidekick'; reference: string }[] {
  const images: { name: 'falco' | 'falcosidekick'; reference: string }[] = [{ name: 'falco', reference: `docker.io/falcosecurity/falco:${falco.version}` }];
  if (falco.falcosidekick) images.push({ name: 'falcosidekick', reference: `docker.io/falcosecurity/falcosidekick:${falco.falcosidekick}` });
  return images;
}

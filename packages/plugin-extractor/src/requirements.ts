import { compareSemver, isSemver, parseSemver } from '@falco-airgap/core';
import { FALCO_PLUGIN_API_VERSIONS, falcoPluginApiVersion } from './api-version.ts';
import type { NamedVersion } from './falco-config.ts';

/** The rules engine version each Falco release line reports (its falco_engine_version.h), by MAJOR.MINOR. */
export const FALCO_ENGINE_VERSIONS: Readonly<Record<string, string>> = {
  '0.36': '0.26.0',
  '0.37': '0.31.0',
  '0.38': '0.40.0',
  '0.39': '0.43.0',
  '0.40': '0.46.0',
  '0.41': '0.50.0',
  '0.42': '0.57.0',
  '0.43': '0.58.0',
  '0.44': '0.62.0',
};

/** The engine version a Falco version reports, when the table knows its release line. */
export function falcoEngineVersion(falcoVersion: string): string | undefined {
  const [major, minor] = falcoVersion.split('.');
  return FALCO_ENGINE_VERSIONS[`${major}.${minor}`];
}

/** Keys Falco reports on its versions endpoint, which falcoctl compares requirements with; any other key no Falco satisfies. */
const FALCO_VERSION_KEYS = [
  'falco_version',
  'libs_version',
  'plugin_api_version',
  'driver_api_version',
  'driver_schema_version',
  'default_driver_version',
  'engine_version',
  'engine_version_semver',
] as const;

/** What Falco reports for a key: exactly a version, at least one (a release newer than the table), or nothing known. */
type Provided = { exactly: string } | { atLeast: string } | undefined;

function provided(key: string, falcoVersion: string): Provided {
  const fromTable = (lookup: (v: string) => string | undefined, table: Readonly<Record<string, string>>): Provided => {
    const known = lookup(falcoVersion);
    if (known) return { exactly: known };
    // Both tables only grow: a Falco newer than the last line reports at least that line's version.
    const lines = Object.keys(table).sort((a, b) => compareSemver(`${a}.0`, `${b}.0`));
    const last = lines.at(-1)!;
    return compareSemver(falcoVersion, `${last}.0`) > 0 ? { atLeast: table[last]! } : undefined;
  };
  switch (key) {
    case 'falco_version':
      return { exactly: falcoVersion };
    case 'engine_version_semver':
    case 'engine_version':
      return fromTable(falcoEngineVersion, FALCO_ENGINE_VERSIONS);
    case 'plugin_api_version':
      return fromTable(falcoPluginApiVersion, FALCO_PLUGIN_API_VERSIONS);
    default:
      return undefined;
  }
}

export type RequirementVerdict =
  | { verdict: 'met'; provided: string }
  | { verdict: 'not-met'; provided: string }
  /** Falco reports no such key: falcoctl refuses the artifact, and so does extract. */
  | { verdict: 'unknown-key' }
  /** Falco reports the key, but what this Falco version reports is not known here. */
  | { verdict: 'unchecked' }
  | { verdict: 'malformed' };

/**
 * A requirement against what the manifest's Falco version reports, the way falcoctl checks it: a
 * whole number compares as a number (engine_version 15 is engine 0.15.0), a semantic version must
 * have Falco's major and be no later than Falco's version.
 */
export function checkRequirement(requirement: NamedVersion, falcoVersion: string): RequirementVerdict {
  if (!(FALCO_VERSION_KEYS as readonly string[]).includes(requirement.name)) return { verdict: 'unknown-key' };
  const wholeNumber = /^\d+$/.test(requirement.version);
  const isEngine = requirement.name === 'engine_version' || requirement.name === 'engine_version_semver';
  if (wholeNumber && !isEngine) return { verdict: 'malformed' };
  const required = wholeNumber ? `0.${Number(requirement.version)}.0` : requirement.version;
  if (!isSemver(required)) return { verdict: 'malformed' };
  const falco = provided(requirement.name, falcoVersion);
  if (!falco) return { verdict: 'unchecked' };
  const reported = 'exactly' in falco ? falco.exactly : falco.atLeast;
  const shown = requirement.name === 'engine_version' ? String(parseSemver(reported)!.minor) : reported;
  const compatible = parseSemver(reported)!.major === parseSemver(required)!.major && compareSemver(reported, required) >= 0;
  if (compatible) return { verdict: 'met', provided: shown };
  return 'exactly' in falco ? { verdict: 'not-met', provided: shown } : { verdict: 'unchecked' };
}

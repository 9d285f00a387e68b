import type { PluginApiVersionSource } from '@falco-airgap/manifest';
import { ExtractError, ExtractErrorCode } from './errors.ts';
import { SUPPORTED_PLUGIN_API_MAJOR } from './falco-config.ts';
import type { LibraryApiVersion } from './plugin-check.ts';

/** The plugin API each Falco release line provides (its falcosecurity/libs plugin_api.h), by MAJOR.MINOR. */
export const FALCO_PLUGIN_API_VERSIONS: Readonly<Record<string, string>> = {
  '0.39': '3.7.0',
  '0.40': '3.10.0',
  '0.41': '3.11.0',
  '0.42': '3.12.0',
  '0.43': '3.12.0',
  '0.44': '3.12.0',
};

/** The plugin API a Falco version provides, when the table knows its release line. */
export function falcoPluginApiVersion(falcoVersion: string): string | undefined {
  const [major, minor] = falcoVersion.split('.');
  return FALCO_PLUGIN_API_VERSIONS[`${major}.${minor}`];
}

/** Warnings extract raises about how an API version was established; the lock records the source either way. */
export const ApiVersionWarningCode = {
  NoRequirement: 'EXTRACT_NO_API_REQUIREMENT',
  AssumedFromFalco: 'EXTRACT_API_VERSION_ASSUMED',
} as const;
export type ApiVersionWarningCode = (typeof ApiVersionWarningCode)[keyof typeof ApiVersionWarningCode];

export interface ApiVersionWarning {
  code: ApiVersionWarningCode;
  message: string;
  hint: string;
}

export interface ApiVersionEvidence {
  /** Names the plugin file in messages. */
  what: string;
  /** An artifact config's plugin_api_version requirement; null when the config states none, undefined for images. */
  configRequirement: string | null | undefined;
  /** What the library states, read statically. */
  library: LibraryApiVersion | undefined;
  /** The manifest entry's requiredApiVersion. */
  manifestStatement: string | undefined;
  falcoVersion: string;
}

export interface EstablishedApiVersion {
  version: string;
  source: PluginApiVersionSource;
  warnings: ApiVersionWarning[];
}

/**
 * Decides a plugin's required API version from what is known about it: the artifact config when it
 * states one, else the library, else the manifest, else the Falco version's plugin API. Every
 * statement that is there must agree with the others; a disagreement is refused, never averaged.
 */
export function establishApiVersion(evidence: ApiVersionEvidence): EstablishedApiVersion {
  const { what, configRequirement, library, manifestStatement } = evidence;
  const warnings: ApiVersionWarning[] = [];
  let established: { version: string; source: PluginApiVersionSource } | undefined;

  if (configRequirement) {
    checkMajor(configRequirement, `the config of ${what}`);
    if (library)
      agreeWithLibrary(library, configRequirement, what, 'its config', 'the artifact is inconsistent; do not use it, and report it to the publisher');
    established = { version: configRequirement, source: 'artifact-config' };
  } else if (library) {
    established = library;
  } else if (manifestStatement) {
    established = { version: manifestStatement, source: 'manifest' };
  }
  if (manifestStatement && established && established.source !== 'manifest') {
    const agrees = established.source === 'elf-sdk-default' ? atMost(manifestStatement, established.version) : manifestStatement === established.version;
    if (!agrees) {
      throw new ExtractError(
        ExtractErrorCode.PluginApiVersion,
        `the manifest says ${what} requires plugin API ${manifestStatement}, but ${describe(established)} says ${established.version}`,
        'fix requiredApiVersion on the plugin entry, or remove it',
      );
    }
  }
  if (!established) {
    const assumed = falcoPluginApiVersion(evidence.falcoVersion);
    if (!assumed) {
      throw new ExtractError(
        ExtractErrorCode.PluginApiVersion,
        `cannot tell which plugin API ${what} requires: the file does not say it in a way that can be read without running it, and Falco ${evidence.falcoVersion} is not in the table of known plugin APIs`,
        'state requiredApiVersion on the plugin entry in the manifest',
      );
    }
    established = { version: assumed, source: 'falco-version' };
    warnings.push({
      code: ApiVersionWarningCode.AssumedFromFalco,
      message: `cannot read which plugin API ${what} requires; the lock records ${assumed}, the plugin API of Falco ${evidence.falcoVersion}`,
      hint: 'state requiredApiVersion on the plugin entry in the manifest to record what the plugin needs',
    });
  }
  if (configRequirement === null) {
    warnings.unshift({
      code: ApiVersionWarningCode.NoRequirement,
      message: `the config of ${what} states no plugin_api_version requirement; the lock records ${established.version} from ${describe(established)}`,
      hint: 'ask the publisher to push the plugin with its plugin_api_version requirement',
    });
  }
  checkMajor(established.version, describe(established));
  return { ...established, warnings };
}

function agreeWithLibrary(library: LibraryApiVersion, stated: string, what: string, statedBy: string, hint: string): void {
  const agrees = library.source === 'elf-sdk-default' ? atMost(stated, library.version) : stated === library.version;
  if (agrees) return;
  throw new ExtractError(
    ExtractErrorCode.PluginApiVersion,
    library.source === 'elf-sdk-default'
      ? `${what} is built with a plugin SDK that requires at most plugin API ${library.version}, but ${statedBy} says ${stated}`
      : `${what} requires plugin API ${library.version}, but ${statedBy} says ${stated}`,
    hint,
  );
}

function checkMajor(version: string, statedBy: string): void {
  if (Number(version.split('.')[0]) !== SUPPORTED_PLUGIN_API_MAJOR) {
    throw new ExtractError(
      ExtractErrorCode.PluginApiVersion,
      `${statedBy} requires plugin API ${version}; Falco loads plugin API ${SUPPORTED_PLUGIN_API_MAJOR}.x`,
      'pick a plugin version built for the plugin API of your Falco version',
    );
  }
}

/** Same major and not above the bound, as plugin-sdk-go enforces for a plugin's own requirement. */
function atMost(version: string, bound: string): boolean {
  const [a, b] = [version, bound].map((v) => v.split('.').map(Number));
  if (a![0] !== b![0]) return false;
  for (let i = 1; i < 3; i++) if (a![i]! !== b![i]!) return a![i]! < b![i]!;
  return true;
}

function describe(established: { source: PluginApiVersionSource }): string {
  switch (established.source) {
    case 'artifact-config':
      return 'the artifact config';
    case 'manifest':
      return 'the manifest';
    case 'falco-version':
      return 'the Falco version';
    default:
      return 'the plugin file';
  }
}

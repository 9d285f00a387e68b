import { isSemver } from '@falco-airgap/core';
import { ExtractError, ExtractErrorCode } from './errors.ts';

/** A name at a version, as falcoctl writes requirements and dependency alternatives. */
export interface NamedVersion {
  name: string;
  version: string;
}

/** A dependency of an artifact: a plugin at a compatible version, or one of its alternatives. */
export interface ArtifactDependency extends NamedVersion {
  alternatives: NamedVersion[];
}

/** The config blob of a falcoctl artifact. */
export interface FalcoArtifactConfig {
  name: string;
  version: string;
  requirements: NamedVersion[];
  dependencies: ArtifactDependency[];
}

/** Plugin API major versions Falco's loader accepts. */
export const SUPPORTED_PLUGIN_API_MAJOR = 3;

export function parseFalcoArtifactConfig(bytes: Uint8Array, what: string): FalcoArtifactConfig {
  const bad = (detail: string) =>
    new ExtractError(ExtractErrorCode.BadArtifactConfig, `${what}: ${detail}`, 'the artifact config is not what falcoctl publishes; check the reference');
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (cause) {
    throw bad(`not JSON (${(cause as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw bad('not a JSON object');
  const record = json as Record<string, unknown>;
  if (typeof record.name !== 'string' || !record.name) throw bad('no name');
  if (typeof record.version !== 'string' || !record.version) throw bad('no version');
  const named = (value: unknown, at: string): NamedVersion => {
    const r = value as { name?: unknown; version?: unknown } | null;
    if (typeof r !== 'object' || r === null || typeof r.name !== 'string' || !r.name || typeof r.version !== 'string') {
      throw bad(`${at} is not {name, version}`);
    }
    return { name: r.name, version: r.version };
  };
  const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
  return {
    name: record.name,
    version: record.version,
    requirements: list(record.requirements).map((r, i) => named(r, `requirements[${i}]`)),
    dependencies: list(record.dependencies).map((d, i) => ({
      ...named(d, `dependencies[${i}]`),
      alternatives: list((d as { alternatives?: unknown }).alternatives).map((a, j) => named(a, `dependencies[${i}].alternatives[${j}]`)),
    })),
  };
}

/** The config must name what the manifest asked for: a wrong repository or a moved tag shows here. */
export function checkConfigIdentity(config: FalcoArtifactConfig, expected: { name: string; version: string }, what: string): void {
  if (config.name !== expected.name || config.version !== expected.version) {
    throw new ExtractError(
      ExtractErrorCode.ConfigMismatch,
      `${what} is ${config.name}@${config.version}, but the manifest asks for ${expected.name}@${expected.version}`,
      'fix the name, version or reference in the manifest so they name the same artifact',
    );
  }
}

/**
 * The plugin_api_version requirement, checked to be a semantic version; null when the config states
 * none, as falcoctl writes it for a plugin pushed without requirements.
 */
export function statedPluginApiVersion(config: FalcoArtifactConfig, what: string): string | null {
  const requirement = config.requirements.find((r) => r.name === 'plugin_api_version');
  if (!requirement) return null;
  if (!isSemver(requirement.version)) {
    throw new ExtractError(
      ExtractErrorCode.PluginApiVersion,
      `${what} requires plugin_api_version "${requirement.version}", which is not a semantic version`,
      'check the reference',
    );
  }
  return requirement.version;
}

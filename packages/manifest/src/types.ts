import type { Platform } from '@falco-airgap/core';

export const MANIFEST_API_VERSION = 'falco-airgap/v1alpha1';
export const MANIFEST_KIND = 'PluginsManifest';
export const LOCK_KIND = 'PluginsLock';

/** Take a falcoctl-style OCI artifact. */
export interface ArtifactSource {
  artifact: string;
}

/** Take one file out of a container image's filesystem. */
export interface ImageFileSource {
  image: string;
  path: string;
}

export type PluginSource = ArtifactSource | ImageFileSource;

export interface PluginEntry {
  name: string;
  version: string;
  from: PluginSource;
  /** The plugin API version the plugin requires, for sources that do not say it themselves (e.g. a file inside an image). */
  requiredApiVersion?: string | undefined;
}

export interface RulesfileEntry {
  name: string;
  version: string;
  from: PluginSource;
}

/** plugins-manifest.yaml: what to mirror. */
export interface PluginsManifest {
  apiVersion: typeof MANIFEST_API_VERSION;
  kind: typeof MANIFEST_KIND;
  falco: { version: string };
  platforms: Platform[];
  plugins: PluginEntry[];
  rulesfiles: RulesfileEntry[];
}

export function isArtifactSource(source: PluginSource): source is ArtifactSource {
  return 'artifact' in source;
}

/**
 * Where a locked pluginApiVersion came from, most direct first: read from the library without running it
 * (`elf-constant`: plugin_get_required_api_version returns a literal; `elf-sdk-default`: the plugin-sdk-go
 * default the library embeds, which the plugin can lower but never raise; `elf-literal`: the one API version
 * literal that function's code refers to), the falcoctl artifact config, the manifest entry's
 * requiredApiVersion, or the plugin API of the manifest's Falco version (an assumption, not a fact of the file).
 */
export const PLUGIN_API_VERSION_SOURCES = ['elf-constant', 'elf-sdk-default', 'elf-literal', 'artifact-config', 'manifest', 'falco-version'] as const;
export type PluginApiVersionSource = (typeof PLUGIN_API_VERSION_SOURCES)[number];

/** One plugin file as resolved for one platform. */
export interface LockedPluginPlatform {
  platform: Platform;
  /** Digest of the platform manifest the file came from. */
  manifestDigest: string;
  /** Digest of the layer that held the file. */
  layerDigest: string;
  file: string;
  sha256: string;
  size: number;
  /** ELF e_machine as a name, e.g. `x86-64`, `aarch64`. */
  elfMachine: string;
  pluginApiVersion: string;
  /** How pluginApiVersion was established. */
  pluginApiVersionSource: PluginApiVersionSource;
  /** Path relative to plugins/extracted, e.g. `linux-amd64/libk8saudit.so`. */
  path: string;
}

export interface LockedPlugin {
  name: string;
  version: string;
  source: PluginSource;
  /** Digest the tag resolved to (an image index for multi-platform sources). */
  resolvedDigest: string;
  platforms: LockedPluginPlatform[];
  /** Dependencies its artifact config declares, each with the plugin that satisfied it; absent when none. */
  dependencies?: LockedDependency[] | undefined;
  /** The cosign signature extract verified over resolvedDigest; absent when no run verified one. */
  signature?: LockedSignature | undefined;
}

export const SIGNATURE_FOUND_VIA = ['tag', 'referrers'] as const;

/** A cosign key-based signature over an artifact's resolved digest, verified by extract. */
export interface LockedSignature {
  /** `sha256:` and the hex sha256 of the DER public key that verified it. */
  keyFingerprint: string;
  /** Where it was found: cosign's `sha256-<hex>.sig` tag, or an OCI 1.1 referrer of the artifact. */
  foundVia: (typeof SIGNATURE_FOUND_VIA)[number];
  /** Digest of the signature manifest. */
  signatureDigest: string;
}

/** A dependency an artifact config declares (a plugin at a compatible version), resolved against the manifest. */
export interface LockedDependency {
  /** The plugin the config names first. */
  name: string;
  /** The lowest version it accepts; any later version of the same major is compatible. */
  version: string;
  /** The plugin of this lock that satisfies it: the one named, or one of the alternatives the config lists. */
  satisfiedBy: string;
}

export interface LockedRulesFile {
  file: string;
  sha256: string;
  size: number;
  /** Path relative to plugins/extracted, e.g. `rules/falco_rules.yaml`. */
  path: string;
}

export interface LockedRulesfile {
  name: string;
  version: string;
  source: PluginSource;
  resolvedDigest: string;
  manifestDigest: string;
  layerDigest: string;
  files: LockedRulesFile[];
  /** Dependencies its artifact config declares, each with the plugin that satisfied it; absent when none. */
  dependencies?: LockedDependency[] | undefined;
  /** The cosign signature extract verified over resolvedDigest; absent when no run verified one. */
  signature?: LockedSignature | undefined;
}

/** plugins-lock.yaml: exactly what was taken. */
export interface PluginsLock {
  apiVersion: typeof MANIFEST_API_VERSION;
  kind: typeof LOCK_KIND;
  generatedAt: string;
  falco: { version: string };
  /** sha256 of the manifest bytes the lock was produced from. */
  manifestSha256: string;
  plugins: LockedPlugin[];
  rulesfiles: LockedRulesfile[];
}

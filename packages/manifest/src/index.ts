export {
  FalcoAirgapError,
  ManifestError,
  ManifestErrorCode,
  formatPosition,
  isFalcoAirgapError,
  type ErrorCategory,
  type FalcoAirgapErrorOptions,
  type ManifestIssue,
  type SourcePosition,
} from './errors.ts';
export { DEFAULT_MANIFEST_PATH, loadManifest, parseManifest } from './manifest.ts';
export { DEFAULT_LOCK_PATH, loadLock, parseLock, serializeLock } from './lock.ts';
export { formatReference, isDigest, parseReference, type ImageReference, type ReferenceParseResult } from './reference.ts';
export { isSupportedPlatform, platformDirectory, splitPlatform, SUPPORTED_PLATFORMS, type Platform, type PlatformParts } from './platform.ts';
export { isSemver } from './semver.ts';
export { closestMatch } from './suggest.ts';
export { pluginsLockJsonSchema, pluginsManifestJsonSchema } from './json-schema.ts';
export {
  isArtifactSource,
  LOCK_KIND,
  MANIFEST_API_VERSION,
  MANIFEST_KIND,
  type ArtifactSource,
  type ImageFileSource,
  type LockedPlugin,
  type LockedPluginPlatform,
  type LockedRulesfile,
  type LockedRulesFile,
  type PluginEntry,
  type PluginsLock,
  type PluginsManifest,
  type PluginSource,
  type RulesfileEntry,
} from './types.ts';

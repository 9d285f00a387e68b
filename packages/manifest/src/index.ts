export { ManifestError, ManifestErrorCode, type ManifestIssue } from './errors.ts';
export { DEFAULT_MANIFEST_PATH, loadManifest, parseManifest, readManifestFile, type ManifestFile } from './manifest.ts';
export { DEFAULT_LOCK_PATH, loadLock, parseLock, serializeLock } from './lock.ts';
export { pluginsLockJsonSchema, pluginsManifestJsonSchema } from './json-schema.ts';
export {
  isArtifactSource,
  LOCK_KIND,
  MANIFEST_API_VERSION,
  MANIFEST_KIND,
  PLUGIN_API_VERSION_SOURCES,
  type ArtifactSource,
  type ImageFileSource,
  type LockedDependency,
  type LockedPlugin,
  type LockedPluginPlatform,
  type LockedRulesfile,
  type LockedRulesFile,
  type PluginApiVersionSource,
  type PluginEntry,
  type PluginsLock,
  type PluginsManifest,
  type PluginSource,
  type RulesfileEntry,
} from './types.ts';

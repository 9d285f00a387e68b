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
  type LockedSignature,
  SIGNATURE_FOUND_VIA,
  type PluginApiVersionSource,
  type PluginEntry,
  type PluginsLock,
  type PluginsManifest,
  type PluginSource,
  type RulesfileEntry,
} from './types.ts';
export { loadVersionsCatalogue, SHIPPED_VERSIONS_NAME, parseVersionsCatalogue, type FalcoVersionEntry, type FalcoVersionsCatalogue } from './versions.ts';
export {
  falcoVersionsJsonSchema,
  FALCO_CLASSIFICATIONS,
  OFFICIAL_RULESFILES,
  VERSIONS_API_VERSION,
  VERSIONS_KIND,
  type FalcoClassification,
  type OfficialRulesfile,
} from './versions-schema.ts';
export {
  AUTO_VERSION,
  checkPluginApi,
  findVersion,
  isExpired,
  latestSupported,
  OFFICIAL_RULE_SETS,
  OFFICIAL_RULES_REPOSITORY,
  pluginApiIncompatibility,
  resolveFalcoVersion,
  RULE_SETS,
  selectedRulesfiles,
  upstreamImages,
  type FalcoResolution,
  type FalcoVersionRequest,
  type PluginApiCheck,
  type PluginApiConflict,
  type RuleSet,
  type RuleSetSelection,
  type SelectedRulesfile,
} from './versions-policy.ts';

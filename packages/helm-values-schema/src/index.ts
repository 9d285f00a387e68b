export { ValuesError, ValuesErrorCode, formatIssue, type ValuesIssue } from './errors.ts';
export type * from './generated/values.ts';
export { validateValues, resolveValues, type ValidateValuesOptions } from './validate.ts';
export { mergeValues, coalesceValues, type ValuesLayer } from './merge.ts';
export { chartDefaults } from './defaults.ts';
export { checkValuesFiles, locateIssue, parseValuesFile, type ValuesFile, type ValuesFilesResult } from './values-file.ts';
export { checkRules, containerPluginManaged, effectiveFalcoVersion, kubernetesPluginManaged, CUSTOM_RULES_DIR, RULE_CODES } from './rules.ts';
export { LEGACY_OPTIONS, type LegacyOption } from './legacy-options.ts';
export {
  migrateOfficialValues,
  renderMigratedValues,
  UPSTREAM_CHART_NAME,
  type MigrateOptions,
  type MigrationOutcome,
  type MigrationResult,
  type MigrationStep,
} from './migrate.ts';
export { publishedValuesSchema } from './published-schema.ts';
export { valuesSchema } from './schema/values-schema.ts';
export type { SchemaNode } from './schema/nodes.ts';
export { DEFAULT_FALCO_VERSION } from './schema/falco-version.ts';
export { LOCKED_RULES_DIR, PLUGIN_STRATEGIES, type PluginStrategyName } from './schema/plugin-strategy.ts';
export { CONTROLLER_KINDS, CUSTOM_RULES_CONFIGMAPS_DIR, RULES_OVERRIDES_FILE } from './schema/workload.ts';
export { FALCOSIDEKICK_PORT, FALCOSIDEKICK_VERSION } from './schema/falcosidekick.ts';
export { CURRENT_DRIVER_KINDS, LEGACY_DRIVER_KINDS } from './schema/driver.ts';
export { formatPath, parsePath, type PathSegment } from './value-path.ts';

import { FalcoAirgapError, type SourcePosition } from '@falco-airgap/core';

/** Stable codes for problems in the chart's values; the chart's own template checks fail with the same codes. */
export const ValuesErrorCode = {
  ReadFailed: 'VALUES_READ_FAILED',
  YamlSyntax: 'VALUES_YAML_SYNTAX',
  NotAMapping: 'VALUES_NOT_A_MAPPING',
  UnknownKey: 'VALUES_UNKNOWN_KEY',
  MissingKey: 'VALUES_MISSING_KEY',
  WrongType: 'VALUES_WRONG_TYPE',
  NotAllowed: 'VALUES_NOT_ALLOWED',
  BadFormat: 'VALUES_BAD_FORMAT',
  BadKeyName: 'VALUES_BAD_KEY_NAME',
  OutOfRange: 'VALUES_OUT_OF_RANGE',
  BadImageReference: 'VALUES_BAD_IMAGE_REFERENCE',
  RemovedOption: 'VALUES_REMOVED_OPTION',
  S3BucketRequired: 'VALUES_S3_BUCKET_REQUIRED',
  S3ChannelOrRelease: 'VALUES_S3_CHANNEL_OR_RELEASE',
  S3CacheRequired: 'VALUES_S3_CACHE_REQUIRED',
  DeploymentWithDriver: 'VALUES_DEPLOYMENT_WITH_DRIVER',
  LeastPrivilegedUnsupported: 'VALUES_LEAST_PRIVILEGED_UNSUPPORTED',
  MetricsNeedWebserver: 'VALUES_METRICS_NEED_WEBSERVER',
  ServiceMonitorNeedsMetrics: 'VALUES_SERVICE_MONITOR_NEEDS_METRICS',
  PluginNotDefined: 'VALUES_PLUGIN_NOT_DEFINED',
  PluginManaged: 'VALUES_PLUGIN_MANAGED',
  DuplicatePlugin: 'VALUES_DUPLICATE_PLUGIN',
  RulesDirManaged: 'VALUES_RULES_DIR_MANAGED',
  OverridesNeedFalcoRules: 'VALUES_OVERRIDES_NEED_FALCO_RULES',
  HttpOutputManaged: 'VALUES_HTTP_OUTPUT_MANAGED',
  FalcosidekickNoDestination: 'VALUES_FALCOSIDEKICK_NO_DESTINATION',
  FalcosidekickTokenRequired: 'VALUES_FALCOSIDEKICK_TOKEN_REQUIRED',
  FalcosidekickTokenTwice: 'VALUES_FALCOSIDEKICK_TOKEN_TWICE',
} as const;
export type ValuesErrorCode = (typeof ValuesErrorCode)[keyof typeof ValuesErrorCode];

/** One problem in a set of values; validation reports all of them at once. */
export interface ValuesIssue {
  code: ValuesErrorCode;
  /** Where the value sits, e.g. `driver.kind`, `falco.plugins[1].name`, `customRules["my rules.txt"]`. */
  path: string;
  message: string;
  /** What to write instead. */
  hint: string;
  /** The values file and place that set the offending value, when the values came from files. */
  position?: SourcePosition | undefined;
}

/** Thrown when values are invalid; carries every issue, the first one in the message. */
export class ValuesError extends FalcoAirgapError {
  override name = 'ValuesError';
  readonly issues: readonly ValuesIssue[];

  constructor(issues: readonly ValuesIssue[], options: { cause?: unknown } = {}) {
    const first = issues[0];
    if (!first) throw new TypeError('ValuesError needs at least one issue');
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
    super(`${formatIssue(first)}${more}`, { code: first.code, category: 'input', hint: first.hint, position: first.position, cause: options.cause });
    this.issues = issues;
  }
}

export function formatIssue(issue: ValuesIssue): string {
  const where = issue.position ? `${issue.position.file}:${issue.position.line}:${issue.position.column}: ` : '';
  return `${where}${issue.path || '(values)'}: ${issue.message}`;
}

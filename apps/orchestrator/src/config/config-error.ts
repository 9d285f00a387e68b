import { defineErrorCodes, FalcoAirgapError, type SourcePosition } from '@falco-airgap/core';

export const { codes: ConfigErrorCode, categoryOf: configErrorCategory } = defineErrorCodes({
  input: {
    NotFound: 'CONFIG_NOT_FOUND',
    YamlSyntax: 'CONFIG_YAML_SYNTAX',
    DuplicateKey: 'CONFIG_DUPLICATE_KEY',
    UnknownKey: 'CONFIG_UNKNOWN_KEY',
    MissingKey: 'CONFIG_MISSING_KEY',
    WrongType: 'CONFIG_WRONG_TYPE',
    BadValue: 'CONFIG_BAD_VALUE',
    BadVersion: 'CONFIG_BAD_API_VERSION',
    BadRegion: 'CONFIG_BAD_REGION',
    BadAccount: 'CONFIG_BAD_ACCOUNT',
    MissingRegistry: 'CONFIG_MISSING_REGISTRY',
    MissingCluster: 'CONFIG_MISSING_CLUSTER',
    AmbiguousTarget: 'CONFIG_AMBIGUOUS_TARGET',
    BucketRequired: 'CONFIG_BUCKET_REQUIRED',
    UnknownEnvironment: 'CONFIG_UNKNOWN_ENVIRONMENT',
    BadEnvironmentName: 'CONFIG_BAD_ENVIRONMENT_NAME',
    ReferenceNotAllowed: 'CONFIG_REFERENCE_NOT_ALLOWED',
    EnvRequired: 'CONFIG_ENV_REQUIRED',
    BadFalcoVersion: 'CONFIG_BAD_FALCO_VERSION',
    FalcoVersionUnknown: 'CONFIG_FALCO_VERSION_UNKNOWN',
    FalcoVersionExpired: 'CONFIG_FALCO_VERSION_EXPIRED',
    NoSupportedFalco: 'CONFIG_NO_SUPPORTED_FALCO',
    PluginApiIncompatible: 'CONFIG_PLUGIN_API_INCOMPATIBLE',
    RulesNotInManifest: 'CONFIG_RULES_NOT_IN_MANIFEST',
    SecretUnset: 'CONFIG_SECRET_UNSET',
    CredentialsIncomplete: 'CONFIG_CREDENTIALS_INCOMPLETE',
    EcrCredentials: 'CONFIG_ECR_CREDENTIALS',
    AmbiguousCredentials: 'CONFIG_AMBIGUOUS_CREDENTIALS',
  },
});
export type ConfigErrorCode = (typeof ConfigErrorCode)[keyof typeof ConfigErrorCode];

export interface ConfigIssue {
  code: ConfigErrorCode;
  message: string;
  hint: string;
  position: SourcePosition;
}

/** A configuration file refused: every issue found, the first one as the error's own code and position. */
export class ConfigError extends FalcoAirgapError {
  override name = 'ConfigError';
  readonly issues: readonly ConfigIssue[];
  constructor(issues: readonly ConfigIssue[]) {
    const sorted = [...issues].sort((a, b) => a.position.line - b.position.line || a.position.column - b.position.column);
    const first = sorted[0]!;
    super(first.message, { code: first.code, category: 'input', hint: first.hint, position: first.position });
    this.issues = sorted;
  }
}

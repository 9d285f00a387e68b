import { FalcoAirgapError, type SourcePosition } from '@falco-airgap/core';

/** Stable codes for problems in plugins-manifest.yaml, plugins-lock.yaml and the versions catalogue. */
export const ManifestErrorCode = {
  ReadFailed: 'MANIFEST_READ_FAILED',
  YamlSyntax: 'MANIFEST_YAML_SYNTAX',
  DuplicateKey: 'MANIFEST_DUPLICATE_KEY',
  NotAMapping: 'MANIFEST_NOT_A_MAPPING',
  WrongType: 'MANIFEST_WRONG_TYPE',
  MissingKey: 'MANIFEST_MISSING_KEY',
  UnknownKey: 'MANIFEST_UNKNOWN_KEY',
  BadApiVersion: 'MANIFEST_BAD_API_VERSION',
  BadKind: 'MANIFEST_BAD_KIND',
  BadName: 'MANIFEST_BAD_NAME',
  DuplicateName: 'MANIFEST_DUPLICATE_NAME',
  BadSemver: 'MANIFEST_BAD_SEMVER',
  BadReference: 'MANIFEST_BAD_REFERENCE',
  ReferenceWithoutTagOrDigest: 'MANIFEST_REF_NO_TAG_OR_DIGEST',
  BadSource: 'MANIFEST_BAD_SOURCE',
  BadPath: 'MANIFEST_BAD_PATH',
  UnsupportedPlatform: 'MANIFEST_UNSUPPORTED_PLATFORM',
  DuplicatePlatform: 'MANIFEST_DUPLICATE_PLATFORM',
  Empty: 'MANIFEST_EMPTY',
  BadDigest: 'MANIFEST_BAD_DIGEST',
  BadLockEntry: 'LOCK_BAD_ENTRY',
  VersionsDuplicate: 'VERSIONS_DUPLICATE_VERSION',
  VersionsBadClassification: 'VERSIONS_BAD_CLASSIFICATION',
  VersionsBadLifecycle: 'VERSIONS_BAD_LIFECYCLE',
  VersionsBadDate: 'VERSIONS_BAD_DATE',
} as const;
export type ManifestErrorCode = (typeof ManifestErrorCode)[keyof typeof ManifestErrorCode];

/** One problem found while validating a document; validation reports all of them at once. */
export interface ManifestIssue {
  code: ManifestErrorCode;
  message: string;
  hint: string;
  /** Dotted path to the offending value, e.g. `plugins[2].from.artifact`. */
  path: string;
  position: SourcePosition;
}

/** Thrown when a manifest or lock file is invalid; carries every issue found, first one in the message. */
export class ManifestError extends FalcoAirgapError {
  override name = 'ManifestError';
  readonly issues: readonly ManifestIssue[];

  constructor(issues: readonly ManifestIssue[], options: { cause?: unknown } = {}) {
    const sorted = [...issues].sort((a, b) => a.position.line - b.position.line || a.position.column - b.position.column);
    const first = sorted[0];
    if (!first) throw new TypeError('ManifestError needs at least one issue');
    const more = sorted.length > 1 ? ` (and ${sorted.length - 1} more)` : '';
    super(`${first.message}${more}`, {
      code: first.code,
      category: 'input',
      hint: first.hint,
      position: first.position,
      cause: options.cause,
    });
    this.issues = sorted;
  }
}

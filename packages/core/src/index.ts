export {
  defineErrorCodes,
  ERROR_CATEGORIES,
  FalcoAirgapError,
  formatPosition,
  isFalcoAirgapError,
  type ErrorCategory,
  type ErrorCodes,
  type ErrorCodeTable,
  type FalcoAirgapErrorOptions,
  type SourcePosition,
} from './errors.ts';
export { closestMatch } from './suggest.ts';
export { makeDirectory } from './directories.ts';
export { definedFields, type DefinedFields } from './defined-fields.ts';
export { isSupportedPlatform, platformDirectory, splitPlatform, SUPPORTED_PLATFORMS, type Platform, type PlatformParts } from './platform.ts';
export { formatReference, isDigest, parseReference, type ImageReference, type ReferenceParseResult, type ReferenceProblem } from './reference.ts';
export { compareSemver, isSemver, parseSemver, type SemverParts } from './semver.ts';
export { parseYamlSubset, stringifyYamlSubset, yamlErrorLine, yamlSubsetValue, type YamlSubsetNode, type YamlSubsetScalar } from './yaml-subset.ts';
export * from './schema-errors.ts';
export {
  createLimit,
  DEFAULT_RETRY_POLICY,
  mapConcurrently,
  retry,
  retryDelayMs,
  sleep,
  type RetryDecision,
  type RetryOptions,
  type RetryPolicy,
} from './async.ts';
export {
  acquireLock,
  describeLockHolder,
  DIRECTORY_LOCK_FILE,
  isLockError,
  lockDirectory,
  LockError,
  LockErrorCode,
  readLockHolder,
  type HeldLock,
  type LockHolder,
  type LockOptions,
} from './lock-file.ts';

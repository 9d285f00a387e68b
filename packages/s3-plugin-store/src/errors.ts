import { defineErrorCodes, FalcoAirgapError } from '@falco-airgap/core';

/** Stable codes of everything the store can refuse or fail at; the category decides the exit code. */
const storeErrors = defineErrorCodes({
  input: {
    BadName: 'S3STORE_BAD_NAME',
    LocalFileMissing: 'S3STORE_LOCAL_FILE_MISSING',
    NoPreviousRelease: 'S3STORE_NO_PREVIOUS_RELEASE',
    ReleaseNotFound: 'S3STORE_RELEASE_NOT_FOUND',
    ChannelNotFound: 'S3STORE_CHANNEL_NOT_FOUND',
    BucketNotFound: 'S3STORE_BUCKET_NOT_FOUND',
    NoCredentials: 'S3STORE_NO_CREDENTIALS',
    PlatformMissing: 'S3STORE_PLATFORM_MISSING',
  },
  verification: {
    Sha256Mismatch: 'S3STORE_SHA256_MISMATCH',
    SizeMismatch: 'S3STORE_SIZE_MISMATCH',
    BadDocument: 'S3STORE_BAD_DOCUMENT',
    ReleaseTampered: 'S3STORE_RELEASE_TAMPERED',
    BlobMissing: 'S3STORE_BLOB_MISSING',
    BlobConflict: 'S3STORE_BLOB_CONFLICT',
  },
  operational: {
    ChannelConflict: 'S3STORE_CHANNEL_CONFLICT',
    PreconditionFailed: 'S3STORE_PRECONDITION_FAILED',
    Unavailable: 'S3STORE_UNAVAILABLE',
    AccessDenied: 'S3STORE_ACCESS_DENIED',
    RequestFailed: 'S3STORE_REQUEST_FAILED',
    Aborted: 'S3STORE_ABORTED',
    Timeout: 'S3STORE_TIMEOUT',
    ConditionalWritesUnsupported: 'S3STORE_CONDITIONAL_WRITES_UNSUPPORTED',
    LeaseLost: 'S3STORE_LEASE_LOST',
  },
});
export const S3StoreErrorCode = storeErrors.codes;
export type S3StoreErrorCode = (typeof S3StoreErrorCode)[keyof typeof S3StoreErrorCode];

export interface S3StoreErrorDetails {
  hint?: string | undefined;
  cause?: unknown;
  /** The object key the failure is about, when there is one. */
  key?: string | undefined;
}

/** The one error class of the store; `code` is stable, `category` maps to the CLI's exit code. */
export class S3StoreError extends FalcoAirgapError {
  override name = 'S3StoreError';
  declare readonly code: S3StoreErrorCode;
  readonly key: string | undefined;

  constructor(code: S3StoreErrorCode, message: string, details: S3StoreErrorDetails = {}) {
    super(message, { code, category: storeErrors.categoryOf(code), hint: details.hint, cause: details.cause });
    this.key = details.key;
  }
}

export function isS3StoreError(value: unknown, code?: S3StoreErrorCode): value is S3StoreError {
  return value instanceof S3StoreError && (code === undefined || value.code === code);
}

/**
 * The error for work stopped by a signal: the caller's deadline (an `AbortSignal.timeout`) gives
 * S3STORE_TIMEOUT, anything else (an interrupt) S3STORE_ABORTED.
 */
export function interruptionOf(signal: AbortSignal | undefined, what: string, key?: string, cause?: unknown): S3StoreError {
  const reason: unknown = signal?.reason;
  if (reason instanceof Error && reason.name === 'TimeoutError') {
    return new S3StoreError(S3StoreErrorCode.Timeout, `${what} did not finish within the time allowed`, {
      key,
      hint: 'check that the S3 endpoint answers (`endpoint`, network, proxies), or allow more time with `timeout`',
      cause: cause ?? reason,
    });
  }
  return new S3StoreError(S3StoreErrorCode.Aborted, `${what} was interrupted`, { key, hint: 're-run the command', cause: cause ?? reason });
}

import { FalcoAirgapError, type ErrorCategory } from '@falco-airgap/manifest';

/** Stable codes of everything the store can refuse or fail at; the category decides the exit code. */
export const S3StoreErrorCode = {
  // input (exit 2): flags, names, the lock, the local files, credentials
  BadName: 'S3STORE_BAD_NAME',
  LocalFileMissing: 'S3STORE_LOCAL_FILE_MISSING',
  NoPreviousRelease: 'S3STORE_NO_PREVIOUS_RELEASE',
  ReleaseNotFound: 'S3STORE_RELEASE_NOT_FOUND',
  ChannelNotFound: 'S3STORE_CHANNEL_NOT_FOUND',
  BucketNotFound: 'S3STORE_BUCKET_NOT_FOUND',
  NoCredentials: 'S3STORE_NO_CREDENTIALS',
  PlatformMissing: 'S3STORE_PLATFORM_MISSING',
  // verification (exit 3): bytes are not what the lock or the release says they are
  Sha256Mismatch: 'S3STORE_SHA256_MISMATCH',
  SizeMismatch: 'S3STORE_SIZE_MISMATCH',
  BadDocument: 'S3STORE_BAD_DOCUMENT',
  ReleaseTampered: 'S3STORE_RELEASE_TAMPERED',
  BlobMissing: 'S3STORE_BLOB_MISSING',
  // operational (exit 1): the network, S3 itself, races with other writers
  ChannelConflict: 'S3STORE_CHANNEL_CONFLICT',
  PreconditionFailed: 'S3STORE_PRECONDITION_FAILED',
  Unavailable: 'S3STORE_UNAVAILABLE',
  AccessDenied: 'S3STORE_ACCESS_DENIED',
  RequestFailed: 'S3STORE_REQUEST_FAILED',
  Aborted: 'S3STORE_ABORTED',
} as const;
export type S3StoreErrorCode = (typeof S3StoreErrorCode)[keyof typeof S3StoreErrorCode];

const CATEGORY: Record<S3StoreErrorCode, ErrorCategory> = {
  S3STORE_BAD_NAME: 'input',
  S3STORE_LOCAL_FILE_MISSING: 'input',
  S3STORE_NO_PREVIOUS_RELEASE: 'input',
  S3STORE_RELEASE_NOT_FOUND: 'input',
  S3STORE_CHANNEL_NOT_FOUND: 'input',
  S3STORE_BUCKET_NOT_FOUND: 'input',
  S3STORE_NO_CREDENTIALS: 'input',
  S3STORE_PLATFORM_MISSING: 'input',
  S3STORE_SHA256_MISMATCH: 'verification',
  S3STORE_SIZE_MISMATCH: 'verification',
  S3STORE_BAD_DOCUMENT: 'verification',
  S3STORE_RELEASE_TAMPERED: 'verification',
  S3STORE_BLOB_MISSING: 'verification',
  S3STORE_CHANNEL_CONFLICT: 'operational',
  S3STORE_PRECONDITION_FAILED: 'operational',
  S3STORE_UNAVAILABLE: 'operational',
  S3STORE_ACCESS_DENIED: 'operational',
  S3STORE_REQUEST_FAILED: 'operational',
  S3STORE_ABORTED: 'operational',
};

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
    super(message, { code, category: CATEGORY[code], hint: details.hint, cause: details.cause });
    this.key = details.key;
  }
}

export function isS3StoreError(value: unknown, code?: S3StoreErrorCode): value is S3StoreError {
  return value instanceof S3StoreError && (code === undefined || value.code === code);
}

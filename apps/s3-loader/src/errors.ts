import { defineErrorCodes, FalcoAirgapError, isFalcoAirgapError } from '@falco-airgap/core';

const loaderErrors = defineErrorCodes({
  input: {
    Config: 'LOADER_CONFIG',
    NoPluginsForPlatform: 'LOADER_NO_PLUGINS_FOR_PLATFORM',
  },
  operational: {
    NoUsableCache: 'LOADER_NO_USABLE_CACHE',
    InstallFailed: 'LOADER_INSTALL_FAILED',
    Interrupted: 'LOADER_INTERRUPTED',
  },
});
export const LoaderErrorCode = loaderErrors.codes;
export type LoaderErrorCode = (typeof LoaderErrorCode)[keyof typeof LoaderErrorCode];

/** Errors of the loader itself (configuration, installation); store errors pass through unchanged. */
export class LoaderError extends FalcoAirgapError {
  override name = 'LoaderError';
  declare readonly code: LoaderErrorCode;

  constructor(code: LoaderErrorCode, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, { code, category: loaderErrors.categoryOf(code), hint: options.hint, cause: options.cause });
  }
}

/**
 * The loader's exit codes. A pod's last state shows them, so each one names a different fix:
 * 2 the configuration, 3 the content of the bucket, 4 what the channel points to or the role may read,
 * 5 the network path to S3.
 */
export const LoaderExit = {
  Installed: 0,
  Failed: 1,
  BadConfig: 2,
  VerificationFailed: 3,
  NotFound: 4,
  Unavailable: 5,
  Interrupted: 130,
} as const;
export type LoaderExit = (typeof LoaderExit)[keyof typeof LoaderExit];

const NOT_FOUND = new Set([
  'S3STORE_RELEASE_NOT_FOUND',
  'S3STORE_CHANNEL_NOT_FOUND',
  'S3STORE_BLOB_MISSING',
  'S3STORE_ACCESS_DENIED',
  'S3STORE_BUCKET_NOT_FOUND',
  'LOADER_NO_PLUGINS_FOR_PLATFORM',
]);
const UNAVAILABLE = new Set(['S3STORE_UNAVAILABLE', 'LOADER_NO_USABLE_CACHE']);

export function loaderExitCodeFor(error: unknown): LoaderExit {
  if (!isFalcoAirgapError(error)) return LoaderExit.Failed;
  if (error.code === LoaderErrorCode.Interrupted || error.code === 'S3STORE_ABORTED') return LoaderExit.Interrupted;
  if (NOT_FOUND.has(error.code)) return LoaderExit.NotFound;
  if (UNAVAILABLE.has(error.code)) return LoaderExit.Unavailable;
  if (error.category === 'verification') return LoaderExit.VerificationFailed;
  if (error.category === 'input') return LoaderExit.BadConfig;
  return LoaderExit.Failed;
}

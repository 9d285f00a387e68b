import { defineErrorCodes, FalcoAirgapError } from '@falco-airgap/core';

/** Stable codes of everything creating, verifying or loading a bundle can refuse or fail at; the category decides the exit code. */
const bundleErrors = defineErrorCodes({
  input: {
    NotFound: 'BUNDLE_NOT_FOUND',
    OutputExists: 'BUNDLE_OUTPUT_EXISTS',
    BadOption: 'BUNDLE_BAD_OPTION',
    KeyUnreadable: 'BUNDLE_KEY_UNREADABLE',
    KeyUnsupported: 'BUNDLE_KEY_UNSUPPORTED',
    SourceMissing: 'BUNDLE_SOURCE_MISSING',
  },
  verification: {
    Unsigned: 'BUNDLE_UNSIGNED',
    BadSignature: 'BUNDLE_BAD_SIGNATURE',
    BadManifest: 'BUNDLE_BAD_MANIFEST',
    UnsupportedVersion: 'BUNDLE_UNSUPPORTED_VERSION',
    MissingFile: 'BUNDLE_MISSING_FILE',
    ExtraFile: 'BUNDLE_EXTRA_FILE',
    SizeMismatch: 'BUNDLE_SIZE_MISMATCH',
    DigestMismatch: 'BUNDLE_DIGEST_MISMATCH',
    Truncated: 'BUNDLE_TRUNCATED',
    MissingPart: 'BUNDLE_MISSING_PART',
    BadArchive: 'BUNDLE_BAD_ARCHIVE',
    UnsafePath: 'BUNDLE_UNSAFE_PATH',
    Link: 'BUNDLE_LINK',
    DuplicateEntry: 'BUNDLE_DUPLICATE_ENTRY',
    OciDigestMismatch: 'BUNDLE_OCI_DIGEST_MISMATCH',
    OciIncomplete: 'BUNDLE_OCI_INCOMPLETE',
    PlatformMismatch: 'BUNDLE_PLATFORM_MISMATCH',
    SourceChanged: 'BUNDLE_SOURCE_CHANGED',
  },
  operational: {
    Io: 'BUNDLE_IO',
    Aborted: 'BUNDLE_ABORTED',
  },
});
export const BundleErrorCode = bundleErrors.codes;
export type BundleErrorCode = (typeof BundleErrorCode)[keyof typeof BundleErrorCode];

/**
 * The one error class of this package: a stable code, its category, and what to do next. Hints name
 * options of this library in backticks (`publicKey`, `platforms`, `out`), never CLI flags.
 */
export class BundleError extends FalcoAirgapError {
  override name = 'BundleError';
  declare readonly code: BundleErrorCode;
  declare readonly hint: string;
  /** The bundle file (path inside the bundle) the failure is about, when there is one. */
  readonly file: string | undefined;

  constructor(code: BundleErrorCode, message: string, hint: string, options: { cause?: unknown; file?: string | undefined } = {}) {
    super(message, { code, category: bundleErrors.categoryOf(code), hint, cause: options.cause });
    this.file = options.file;
  }
}

export function isBundleError(error: unknown, code?: BundleErrorCode): error is BundleError {
  return error instanceof BundleError && (code === undefined || error.code === code);
}

/** A filesystem failure while reading or writing a bundle, as a BundleError. */
export function ioError(what: string, cause: unknown): BundleError {
  const error = cause as NodeJS.ErrnoException;
  if (error?.code === 'ENOENT') {
    return new BundleError(BundleErrorCode.NotFound, `${what}: ${error.message}`, 'check the path', { cause });
  }
  return new BundleError(BundleErrorCode.Io, `${what}: ${error?.message ?? String(cause)}`, 'check the disk space and the permissions of the path', { cause });
}

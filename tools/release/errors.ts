export type VerifyErrorCode =
  'RELEASE_VERIFY_COMMAND_FAILED' | 'RELEASE_VERIFY_REGISTRY' | 'RELEASE_VERIFY_MISMATCH' | 'RELEASE_VERIFY_WORKSPACE' | 'RELEASE_VERIFY_INTERRUPTED';

export interface VerifyErrorOptions {
  code: VerifyErrorCode;
  /** Captured output (command stdout/stderr, registry log tail) shown under the failed step. */
  detail?: string | undefined;
  cause?: unknown;
}

/** The one error a release:verify step throws; the runner prints message and detail and counts the step as failed. */
export class VerifyError extends Error {
  override readonly name = 'VerifyError';
  readonly code: VerifyErrorCode;
  readonly detail: string | undefined;

  constructor(message: string, options: VerifyErrorOptions) {
    super(message, { cause: options.cause });
    this.code = options.code;
    this.detail = options.detail;
  }
}

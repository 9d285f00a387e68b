import { FalcoAirgapError, type ErrorCategory } from '@falco-airgap/core';

export const CliErrorCode = {
  Usage: 'CLI_USAGE',
  Interrupted: 'CLI_INTERRUPTED',
  Unexpected: 'CLI_UNEXPECTED',
  UnknownFalcoVersion: 'CLI_UNKNOWN_FALCO_VERSION',
  FalcoVersionRefused: 'CLI_FALCO_VERSION_REFUSED',
} as const;
export type CliErrorCode = (typeof CliErrorCode)[keyof typeof CliErrorCode];

/** Errors raised by the CLI itself (bad flags, interruption), as opposed to the libraries. */
export class CliError extends FalcoAirgapError {
  override name = 'CliError';
  constructor(message: string, code: CliErrorCode, category: ErrorCategory, hint?: string, cause?: unknown) {
    super(message, { code, category, hint, cause });
  }
}

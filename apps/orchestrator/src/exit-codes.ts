import { isFalcoAirgapError, type ErrorCategory } from '@falco-airgap/core';

export const ExitCode = {
  Success: 0,
  OperationalFailure: 1,
  InvalidInput: 2,
  VerificationFailure: 3,
  Interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

const byCategory: Record<ErrorCategory, ExitCode> = {
  input: ExitCode.InvalidInput,
  verification: ExitCode.VerificationFailure,
  operational: ExitCode.OperationalFailure,
};

export function exitCodeFor(error: unknown): ExitCode {
  if (isFalcoAirgapError(error)) return byCategory[error.category];
  if (error instanceof Error && error.name === 'AbortError') return ExitCode.Interrupted;
  return ExitCode.OperationalFailure;
}

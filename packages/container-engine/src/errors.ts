import { defineErrorCodes, FalcoAirgapError } from '@falco-airgap/core';

/** Stable codes of everything the engine port can refuse or fail at; the category decides the exit code. */
const engineErrors = defineErrorCodes({
  input: {
    BadHost: 'ENGINE_BAD_HOST',
    BadReference: 'ENGINE_BAD_REFERENCE',
    NotFound: 'ENGINE_NOT_FOUND',
    Unauthorized: 'ENGINE_UNAUTHORIZED',
  },
  operational: {
    Unreachable: 'ENGINE_UNREACHABLE',
    RequestFailed: 'ENGINE_REQUEST_FAILED',
    BuildFailed: 'ENGINE_BUILD_FAILED',
    PullFailed: 'ENGINE_PULL_FAILED',
    PushFailed: 'ENGINE_PUSH_FAILED',
    Timeout: 'ENGINE_TIMEOUT',
    Aborted: 'ENGINE_ABORTED',
  },
});
export const EngineErrorCode = engineErrors.codes;
export type EngineErrorCode = (typeof EngineErrorCode)[keyof typeof EngineErrorCode];

export interface EngineErrorDetails {
  hint?: string | undefined;
  cause?: unknown;
  /** The HTTP status the engine answered with, when it answered. */
  statusCode?: number | undefined;
  /** The last lines of build or push output before the failure, oldest first. */
  output?: readonly string[] | undefined;
}

/** The one error class of the engine port; `code` is stable, `category` maps to the CLI's exit code. */
export class EngineError extends FalcoAirgapError {
  override name = 'EngineError';
  declare readonly code: EngineErrorCode;
  readonly statusCode: number | undefined;
  readonly output: readonly string[];

  constructor(code: EngineErrorCode, message: string, details: EngineErrorDetails = {}) {
    super(message, { code, category: engineErrors.categoryOf(code), hint: details.hint, cause: details.cause });
    this.statusCode = details.statusCode;
    this.output = details.output ?? [];
  }
}

export function isEngineError(value: unknown, code?: EngineErrorCode): value is EngineError {
  return value instanceof EngineError && (code === undefined || value.code === code);
}

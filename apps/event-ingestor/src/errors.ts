import { defineErrorCodes, FalcoAirgapError } from '@falco-airgap/core';

/** Stable codes of the ingestor's own failures (refused requests carry theirs in the response body). */
const ingestorErrors = defineErrorCodes({
  input: {
    Config: 'INGEST_CONFIG',
    Usage: 'INGEST_USAGE',
    OperatorTokens: 'INGEST_OPERATOR_TOKENS',
  },
  operational: {
    Database: 'INGEST_DATABASE',
    Migration: 'INGEST_MIGRATION',
  },
});
export const IngestorErrorCode = ingestorErrors.codes;
export type IngestorErrorCode = (typeof IngestorErrorCode)[keyof typeof IngestorErrorCode];

export class IngestorError extends FalcoAirgapError {
  override name = 'IngestorError';
  declare readonly code: IngestorErrorCode;
  declare readonly hint: string;

  constructor(code: IngestorErrorCode, message: string, hint: string, cause?: unknown) {
    super(message, { code, category: ingestorErrors.categoryOf(code), hint, cause });
  }
}

/** The error codes of refused requests, as the JSON body of the response names them. */
export const RequestErrorCode = {
  Unauthenticated: 'INGEST_UNAUTHENTICATED',
  RateLimited: 'INGEST_RATE_LIMITED',
  UnsupportedMediaType: 'INGEST_UNSUPPORTED_MEDIA_TYPE',
  BodyTooLarge: 'INGEST_BODY_TOO_LARGE',
  MalformedJson: 'INGEST_MALFORMED_JSON',
  InvalidEvent: 'INGEST_INVALID_EVENT',
  TimeOutOfRange: 'INGEST_TIME_OUT_OF_RANGE',
  Overloaded: 'INGEST_OVERLOADED',
  Unavailable: 'INGEST_UNAVAILABLE',
  NotFound: 'INGEST_NOT_FOUND',
  ViewUnauthenticated: 'VIEW_UNAUTHENTICATED',
  ViewForbidden: 'VIEW_FORBIDDEN',
  ViewBadRequest: 'VIEW_BAD_REQUEST',
  ViewSignInLimited: 'VIEW_SIGN_IN_LIMITED',
} as const;
export type RequestErrorCode = (typeof RequestErrorCode)[keyof typeof RequestErrorCode];

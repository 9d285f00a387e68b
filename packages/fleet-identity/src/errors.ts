import { defineErrorCodes, FalcoAirgapError } from '@falco-airgap/core';

/** Stable codes of everything issuing or verifying a cluster token can refuse or fail at; the category decides the exit code. */
const fleetErrors = defineErrorCodes({
  input: {
    UnsupportedAlgorithm: 'FLEET_UNSUPPORTED_ALGORITHM',
    InvalidKey: 'FLEET_INVALID_KEY',
    InvalidCluster: 'FLEET_INVALID_CLUSTER',
    InvalidTtl: 'FLEET_INVALID_TTL',
    InvalidJwks: 'FLEET_INVALID_JWKS',
    KeyExists: 'FLEET_KEY_EXISTS',
  },
  verification: {
    MalformedToken: 'FLEET_TOKEN_MALFORMED',
    AlgorithmRefused: 'FLEET_ALGORITHM_REFUSED',
    UnknownKey: 'FLEET_UNKNOWN_KEY',
    BadSignature: 'FLEET_BAD_SIGNATURE',
    Expired: 'FLEET_TOKEN_EXPIRED',
    NotYetValid: 'FLEET_TOKEN_NOT_YET_VALID',
    WrongIssuer: 'FLEET_WRONG_ISSUER',
    WrongAudience: 'FLEET_WRONG_AUDIENCE',
    InvalidClaims: 'FLEET_INVALID_CLAIMS',
  },
  operational: {
    KeySetUnavailable: 'FLEET_KEY_SET_UNAVAILABLE',
    WriteFailed: 'FLEET_WRITE_FAILED',
  },
});
export const FleetIdentityErrorCode = fleetErrors.codes;
export type FleetIdentityErrorCode = (typeof FleetIdentityErrorCode)[keyof typeof FleetIdentityErrorCode];

/**
 * The one error class of this package: a stable code, its category, and what to do next. Hints name options of this
 * library (`issuer`, `audience`, `file`), never CLI flags.
 */
export class FleetIdentityError extends FalcoAirgapError {
  override name = 'FleetIdentityError';
  declare readonly code: FleetIdentityErrorCode;
  declare readonly hint: string;

  constructor(code: FleetIdentityErrorCode, message: string, hint: string, cause?: unknown) {
    super(message, { code, category: fleetErrors.categoryOf(code), hint, cause });
  }
}

export function isFleetIdentityError(error: unknown, code?: FleetIdentityErrorCode): error is FleetIdentityError {
  return error instanceof FleetIdentityError && (code === undefined || error.code === code);
}

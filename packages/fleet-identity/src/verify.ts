import { decodeProtectedHeader, errors, jwtVerify, type JWTPayload } from 'jose';
import { isValidClusterName } from './claims.ts';
import { FleetIdentityError, FleetIdentityErrorCode } from './errors.ts';
import type { KeySet } from './jwks.ts';
import { SIGNING_ALGORITHMS, type SigningAlgorithm } from './keys.ts';

export const DEFAULT_CLOCK_SKEW_SECONDS = 60;
// Far above any token this package issues; refuses huge headers before any parsing.
export const MAX_TOKEN_LENGTH = 4096;

/** What a verifier demands of a token besides a valid signature by a key it knows. */
export interface VerificationPolicy {
  issuer: string;
  audience: string;
  /** Allowed signature algorithms (default: ES256 and EdDSA); `none` and HMAC are never allowed. */
  algorithms?: readonly SigningAlgorithm[];
  /** Tolerated clock difference for `exp`, `iat` and `nbf`, in seconds (default 60). */
  clockSkewSeconds?: number;
}

/** The identity a verified token proves. */
export interface VerifiedClusterToken {
  cluster: string;
  kid: string;
  algorithm: SigningAlgorithm;
  issuer: string;
  audience: string;
  jwtId: string;
  issuedAt: Date;
  expiresAt: Date;
}

/** Verifies a compact JWT against a key set: structure, algorithm, key id, signature, issuer, audience, times, cluster claims. */
export async function verifyClusterToken(token: string, keySet: KeySet, policy: VerificationPolicy, now: Date = new Date()): Promise<VerifiedClusterToken> {
  const { algorithm, kid } = readHeader(token, policy.algorithms ?? SIGNING_ALGORITHMS);
  const entry = keySet.keys.get(kid);
  if (entry === undefined) {
    throw refused(
      FleetIdentityErrorCode.UnknownKey,
      `the token is signed with key ${kid}, which the key set does not hold`,
      'issue a new token with a current key; a removed key stays revoked',
    );
  }
  if (entry.algorithm !== algorithm) {
    throw refused(
      FleetIdentityErrorCode.AlgorithmRefused,
      `the token claims ${algorithm}, but key ${kid} is an ${entry.algorithm} key`,
      'issue a new token with the key',
    );
  }
  const skew = policy.clockSkewSeconds ?? DEFAULT_CLOCK_SKEW_SECONDS;
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, entry.key, {
      algorithms: [algorithm],
      issuer: policy.issuer,
      audience: policy.audience,
      clockTolerance: skew,
      currentDate: now,
      typ: 'JWT',
      requiredClaims: ['iss', 'aud', 'sub', 'iat', 'exp', 'jti'],
    }));
  } catch (cause) {
    throw joseRefusal(cause);
  }
  const nowSeconds = Math.floor(now.getTime() / 1000);
  if (typeof payload.iat !== 'number' || payload.iat > nowSeconds + skew) {
    throw refused(
      FleetIdentityErrorCode.NotYetValid,
      'the token was issued in the future',
      'check the clocks of the issuer and this host, then issue a new token',
    );
  }
  const cluster = (payload as { cluster?: unknown }).cluster;
  if (!isValidClusterName(cluster) || payload.sub !== cluster || typeof payload.jti !== 'string' || typeof payload.aud !== 'string') {
    throw refused(
      FleetIdentityErrorCode.InvalidClaims,
      'the token does not name exactly one valid cluster in "sub" and "cluster"',
      'issue the token with the cluster token issuer',
    );
  }
  return {
    cluster,
    kid,
    algorithm,
    issuer: payload.iss!,
    audience: payload.aud,
    jwtId: payload.jti,
    issuedAt: new Date(payload.iat * 1000),
    expiresAt: new Date(payload.exp! * 1000),
  };
}

/** The key id a token names, after checking its shape and algorithm; for callers that must know it before verifying. */
export function readHeader(token: string, algorithms: readonly SigningAlgorithm[]): { algorithm: SigningAlgorithm; kid: string } {
  if (token.length > MAX_TOKEN_LENGTH || !/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token)) {
    throw refused(
      FleetIdentityErrorCode.MalformedToken,
      'the token is not a compact JWS',
      'send the token exactly as issued, as `Authorization: Bearer <token>`',
    );
  }
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(token);
  } catch (cause) {
    throw refused(FleetIdentityErrorCode.MalformedToken, 'the token header is not valid', 'send the token exactly as issued', cause);
  }
  const algorithm = header.alg;
  if (typeof algorithm !== 'string' || !(algorithms as readonly string[]).includes(algorithm)) {
    throw refused(
      FleetIdentityErrorCode.AlgorithmRefused,
      `the token's algorithm ${JSON.stringify(algorithm)} is not allowed`,
      `issue tokens with ${algorithms.join(' or ')}`,
    );
  }
  if (typeof header.kid !== 'string' || header.kid.length === 0) {
    throw refused(FleetIdentityErrorCode.MalformedToken, 'the token header names no key id', 'issue the token with the cluster token issuer, which sets `kid`');
  }
  return { algorithm: algorithm as SigningAlgorithm, kid: header.kid };
}

function joseRefusal(cause: unknown): FleetIdentityError {
  if (cause instanceof errors.JWTExpired)
    return refused(FleetIdentityErrorCode.Expired, 'the token has expired', 'issue a new token for the cluster and update its Secret', cause);
  if (cause instanceof errors.JWSSignatureVerificationFailed) {
    return refused(
      FleetIdentityErrorCode.BadSignature,
      'the token signature does not verify',
      'the token was altered or signed by another key with the same id; issue a new token',
      cause,
    );
  }
  if (cause instanceof errors.JWTClaimValidationFailed) {
    if (cause.claim === 'iss')
      return refused(
        FleetIdentityErrorCode.WrongIssuer,
        'the token comes from another issuer',
        'issue the token with the `issuer` this verifier expects',
        cause,
      );
    if (cause.claim === 'aud')
      return refused(
        FleetIdentityErrorCode.WrongAudience,
        'the token is meant for another audience',
        'issue the token with the `audience` this verifier expects',
        cause,
      );
    if (cause.claim === 'nbf')
      return refused(FleetIdentityErrorCode.NotYetValid, 'the token is not valid yet', 'check the clocks of the issuer and this host', cause);
    return refused(
      FleetIdentityErrorCode.InvalidClaims,
      `the token's "${cause.claim}" claim is missing or invalid`,
      'issue the token with the cluster token issuer',
      cause,
    );
  }
  if (cause instanceof errors.JOSEAlgNotAllowed)
    return refused(FleetIdentityErrorCode.AlgorithmRefused, 'the token algorithm is not allowed', 'issue tokens with ES256 or EdDSA', cause);
  return refused(FleetIdentityErrorCode.MalformedToken, 'the token is not a valid JWT', 'send the token exactly as issued', cause);
}

function refused(code: FleetIdentityErrorCode, message: string, hint: string, cause?: unknown): FleetIdentityError {
  return new FleetIdentityError(code, message, hint, cause);
}

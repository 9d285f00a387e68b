export { FleetIdentityError, FleetIdentityErrorCode, isFleetIdentityError } from './errors.ts';
export {
  DEFAULT_SIGNING_ALGORITHM,
  generateClusterKeyPair,
  isSigningAlgorithm,
  keyIdOf,
  readSigningKey,
  readVerificationKey,
  SIGNING_ALGORITHMS,
  type ClusterKeyPair,
  type PublicJwk,
  type SigningAlgorithm,
  type SigningKey,
} from './keys.ts';
export { PRIVATE_KEY_FILE, PUBLIC_KEY_FILE, readSigningKeyFile, readVerificationKeyFile, writeKeyPair, type WrittenKeyPair } from './key-files.ts';
export { DEFAULT_AUDIENCE, DEFAULT_ISSUER, isValidClusterName, MAX_CLUSTER_NAME_LENGTH, type ClusterTokenClaims } from './claims.ts';
export { DEFAULT_TOKEN_TTL_SECONDS, issueClusterToken, MAX_TOKEN_TTL_SECONDS, type IssueClusterTokenOptions, type IssuedClusterToken } from './token.ts';
export { buildJwks, importKeySet, parseJwks, renderJwks, type JsonWebKeySet, type KeySet } from './jwks.ts';
export { DEFAULT_CLOCK_SKEW_SECONDS, MAX_TOKEN_LENGTH, verifyClusterToken, type VerificationPolicy, type VerifiedClusterToken } from './verify.ts';
export {
  createJwksFileVerifier,
  DEFAULT_CHECK_INTERVAL_MS,
  DEFAULT_UNKNOWN_KEY_RELOAD_INTERVAL_MS,
  DEFAULT_VERIFIED_CACHE_SIZE,
  type ClusterTokenVerifier,
  type JwksFileVerifierOptions,
  type KeySetReload,
  type KeySetStatus,
} from './jwks-file-verifier.ts';

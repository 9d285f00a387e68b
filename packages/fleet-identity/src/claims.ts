import { FleetIdentityError, FleetIdentityErrorCode } from './errors.ts';

/** Who issues cluster tokens and who accepts them, unless configured otherwise. */
export const DEFAULT_ISSUER = 'falco-airgap';
export const DEFAULT_AUDIENCE = 'falco-event-ingestor';

export const MAX_CLUSTER_NAME_LENGTH = 253;
// Lower-case letters, digits, '.', '-' and '_', starting and ending alphanumeric: safe in URLs, labels and SQL values alike.
const CLUSTER_NAME = /^[a-z0-9](?:[a-z0-9._-]*[a-z0-9])?$/;

/** The claims of a cluster token besides the registered ones: `sub` and `cluster` both carry the cluster's name. */
export interface ClusterTokenClaims {
  iss: string;
  aud: string;
  sub: string;
  cluster: string;
  iat: number;
  exp: number;
  jti: string;
}

export function isValidClusterName(name: unknown): name is string {
  return typeof name === 'string' && name.length <= MAX_CLUSTER_NAME_LENGTH && CLUSTER_NAME.test(name);
}

export function assertClusterName(name: string): void {
  if (!isValidClusterName(name)) {
    throw new FleetIdentityError(
      FleetIdentityErrorCode.InvalidCluster,
      `cluster name ${JSON.stringify(name)} is not valid`,
      `use lower-case letters, digits, '.', '-' and '_', starting and ending with a letter or digit, at most ${MAX_CLUSTER_NAME_LENGTH} characters`,
    );
  }
}

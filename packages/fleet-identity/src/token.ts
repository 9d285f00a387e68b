import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { assertClusterName, DEFAULT_AUDIENCE, DEFAULT_ISSUER, type ClusterTokenClaims } from './claims.ts';
import { FleetIdentityError, FleetIdentityErrorCode } from './errors.ts';
import type { SigningKey } from './keys.ts';

export const DEFAULT_TOKEN_TTL_SECONDS = 90 * 86_400;
// Ten years: longer than any rotation plan, short enough that exp stays an ordinary date.
export const MAX_TOKEN_TTL_SECONDS = 3650 * 86_400;

export interface IssueClusterTokenOptions {
  /** The cluster the token speaks for; verifiers take the identity from here and nowhere else. */
  cluster: string;
  key: SigningKey;
  /** Lifetime in seconds (default 90 days). */
  ttl?: number;
  issuer?: string;
  audience?: string;
  /** When the token is issued (default: now). */
  now?: Date;
}

export interface IssuedClusterToken {
  /** The compact JWT. */
  token: string;
  kid: string;
  algorithm: SigningKey['algorithm'];
  claims: ClusterTokenClaims;
  issuedAt: Date;
  expiresAt: Date;
}

/** Signs a JWT naming one cluster, with the key id in its header so verifiers pick the right key among several. */
export async function issueClusterToken(options: IssueClusterTokenOptions): Promise<IssuedClusterToken> {
  assertClusterName(options.cluster);
  const ttl = options.ttl ?? DEFAULT_TOKEN_TTL_SECONDS;
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_TOKEN_TTL_SECONDS) {
    throw new FleetIdentityError(
      FleetIdentityErrorCode.InvalidTtl,
      `token lifetime ${ttl} is not a whole number of seconds between 1 and ${MAX_TOKEN_TTL_SECONDS}`,
      'give `ttl` in seconds, e.g. 7776000 for 90 days',
    );
  }
  const issuer = options.issuer ?? DEFAULT_ISSUER;
  const audience = options.audience ?? DEFAULT_AUDIENCE;
  for (const [name, value] of [
    ['issuer', issuer],
    ['audience', audience],
  ] as const) {
    if (value.length === 0)
      throw new FleetIdentityError(FleetIdentityErrorCode.InvalidClaims, `${name} is empty`, `give \`${name}\` a value the verifiers expect`);
  }
  const iat = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const claims: ClusterTokenClaims = {
    iss: issuer,
    aud: audience,
    sub: options.cluster,
    cluster: options.cluster,
    iat,
    exp: iat + ttl,
    jti: randomUUID(),
  };
  const token = await new SignJWT({ ...claims })
    .setProtectedHeader({ alg: options.key.algorithm, kid: options.key.kid, typ: 'JWT' })
    .sign(options.key.privateKey);
  return {
    token,
    kid: options.key.kid,
    algorithm: options.key.algorithm,
    claims,
    issuedAt: new Date(claims.iat * 1000),
    expiresAt: new Date(claims.exp * 1000),
  };
}

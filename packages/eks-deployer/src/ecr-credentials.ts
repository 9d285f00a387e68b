import { GetAuthorizationTokenCommand, type AuthorizationData, type ECRClient } from '@aws-sdk/client-ecr';
import { awsCall, type AwsCallOptions } from './aws-errors.ts';
import { DeployError, DeployErrorCode } from './errors.ts';

/** Registry credentials for one ECR registry host, as a registry client or an image push takes them. */
export interface EcrCredentials {
  /** The registry host, e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com. */
  registry: string;
  /** Always `AWS`: ECR's basic-auth user for tokens. */
  username: string;
  password: string;
  /** ECR tokens last 12 hours. */
  expiresAt: Date;
}

/** The host of an account's private ECR registry in a region (`partition` aws-cn ends in .amazonaws.com.cn). */
export function ecrRegistryHost(accountId: string, region: string, partition: 'aws' | 'aws-cn' | 'aws-us-gov' = 'aws'): string {
  return `${accountId}.dkr.ecr.${region}.amazonaws.com${partition === 'aws-cn' ? '.cn' : ''}`;
}

/** One entry of GetAuthorizationToken's answer as credentials: the token is base64 of `AWS:<password>`. */
export function parseAuthorizationData(data: AuthorizationData, now: Date = new Date()): EcrCredentials {
  const decoded = data.authorizationToken ? Buffer.from(data.authorizationToken, 'base64').toString('utf8') : '';
  const colon = decoded.indexOf(':');
  if (colon <= 0 || !data.proxyEndpoint) {
    throw new DeployError(
      DeployErrorCode.AwsFailed,
      'ECR: GetAuthorizationToken answered without a usable token or registry endpoint',
      'try again; if it persists, check that the ECR endpoint in use is the real one',
    );
  }
  return {
    registry: new URL(/^[a-z]+:\/\//.test(data.proxyEndpoint) ? data.proxyEndpoint : `https://${data.proxyEndpoint}`).host,
    username: decoded.slice(0, colon),
    password: decoded.slice(colon + 1),
    expiresAt: data.expiresAt ? new Date(data.expiresAt) : new Date(now.getTime() + 12 * 3_600_000),
  };
}

export interface EcrCredentialsOptions extends AwsCallOptions {
  ecr: ECRClient;
}

/** Credentials for the caller's ECR registry in the client's region, from GetAuthorizationToken. */
export async function getEcrCredentials(options: EcrCredentialsOptions): Promise<EcrCredentials> {
  const answer = await awsCall('ECR', 'get a registry authorization token', options, (abortSignal) =>
    options.ecr.send(new GetAuthorizationTokenCommand({}), { abortSignal }),
  );
  const data = answer.authorizationData?.[0];
  if (!data) throw new DeployError(DeployErrorCode.AwsFailed, 'ECR: GetAuthorizationToken returned no authorization data', 'try again');
  return parseAuthorizationData(data);
}

export interface EcrCredentialSourceOptions extends EcrCredentialsOptions {
  /** Ask for a new token when the current one has less than this left (default 30 minutes). */
  refreshBeforeMs?: number | undefined;
  clock?: (() => Date) | undefined;
}

/**
 * Looks up credentials by registry host, as a registry client asks for them (the shape of
 * @falco-airgap/oci's CredentialSource): the ECR registry of the client's account and region gets
 * a token, renewed before it expires; any other host gets none.
 */
export class EcrCredentialSource {
  readonly #options: EcrCredentialSourceOptions;
  #current: EcrCredentials | undefined;
  #pending: Promise<EcrCredentials> | undefined;

  constructor(options: EcrCredentialSourceOptions) {
    this.#options = options;
  }

  /** The current credentials, renewed when close to expiry. */
  async credentials(): Promise<EcrCredentials> {
    const now = (this.#options.clock ?? (() => new Date()))();
    const refreshBefore = this.#options.refreshBeforeMs ?? 30 * 60_000;
    if (this.#current && this.#current.expiresAt.getTime() - now.getTime() > refreshBefore) return this.#current;
    this.#pending ??= getEcrCredentials(this.#options)
      .then((credentials) => (this.#current = credentials))
      .finally(() => (this.#pending = undefined));
    return this.#pending;
  }

  async lookup(registry: string): Promise<{ username: string; password: string } | undefined> {
    if (!/\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?(:443)?$/i.test(registry) && this.#current?.registry !== registry) return undefined;
    const credentials = await this.credentials();
    if (credentials.registry.toLowerCase() !== registry.toLowerCase().replace(/:443$/, '')) return undefined;
    return { username: credentials.username, password: credentials.password };
  }
}

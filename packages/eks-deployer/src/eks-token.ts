import { GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';
import { definedFields } from '@falco-airgap/core';
import { SignatureV4 } from '@smithy/signature-v4';
import type { HttpRequest } from '@smithy/types';
import { awsCall, fromAwsError } from './aws-errors.ts';

/** The prefix aws-iam-authenticator (and so EKS) expects in front of the encoded URL. */
export const EKS_TOKEN_PREFIX = 'k8s-aws-v1.';
/** The signed header naming the cluster; the authenticator refuses a token signed for another one. */
export const CLUSTER_ID_HEADER = 'x-k8s-aws-id';
/** EKS accepts a presigned GetCallerIdentity for 15 minutes after its X-Amz-Date, whatever X-Amz-Expires says. */
export const EKS_TOKEN_LIFETIME_MS = 15 * 60_000;
// The authenticator historically refused X-Amz-Expires above 60; the real lifetime is the 15 minutes above.
const PRESIGN_EXPIRES_SECONDS = 60;

/** A bearer token for an EKS cluster and when it stops being accepted. */
export interface EksToken {
  token: string;
  expiresAt: Date;
}

export interface EksTokenOptions {
  /** The STS client whose credentials, region and endpoint sign the request (a regional or VPC endpoint inside an air gap). */
  sts: STSClient;
  /** The EKS cluster name: what the x-k8s-aws-id header carries. */
  clusterName: string;
  /** The signing time; now by default. */
  now?: Date | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * A bearer token for EKS made in-process, the way aws-iam-authenticator makes one: a presigned STS
 * GetCallerIdentity URL that signs the x-k8s-aws-id header, base64url-encoded after `k8s-aws-v1.`.
 * Nothing is sent to STS; the API server's authenticator makes the call.
 */
export async function createEksToken(options: EksTokenOptions): Promise<EksToken> {
  const { sts, clusterName } = options;
  const now = options.now ?? new Date();
  const endpoint = await resolveStsEndpoint(sts, options.signal);
  const signer = new SignatureV4({
    credentials: sts.config.credentials,
    region: endpoint.signingRegion,
    service: 'sts',
    sha256: sts.config.sha256,
    uriEscapePath: true,
  });
  const host = endpoint.port === undefined ? endpoint.hostname : `${endpoint.hostname}:${endpoint.port}`;
  const request: HttpRequest = definedFields({
    method: 'GET',
    protocol: endpoint.protocol,
    hostname: endpoint.hostname,
    port: endpoint.port,
    path: endpoint.path,
    query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
    headers: { host, [CLUSTER_ID_HEADER]: clusterName },
  });
  let presigned: HttpRequest;
  try {
    presigned = await signer.presign(request, { expiresIn: PRESIGN_EXPIRES_SECONDS, signingDate: now });
  } catch (error) {
    throw fromAwsError(error, 'STS', `sign a GetCallerIdentity request for EKS cluster ${clusterName}`);
  }
  const url = `${presigned.protocol}//${host}${presigned.path}?${formatQuery(presigned.query ?? {})}`;
  return { token: `${EKS_TOKEN_PREFIX}${Buffer.from(url, 'utf8').toString('base64url')}`, expiresAt: new Date(now.getTime() + EKS_TOKEN_LIFETIME_MS) };
}

/** The presigned URL inside a token, or undefined when the token is not of the EKS kind. */
export function decodeEksToken(token: string): URL | undefined {
  if (!token.startsWith(EKS_TOKEN_PREFIX)) return undefined;
  const encoded = token.slice(EKS_TOKEN_PREFIX.length);
  if (!/^[A-Za-z0-9_-]+$/.test(encoded)) return undefined;
  try {
    return new URL(Buffer.from(encoded, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}

export interface EksTokenProviderOptions extends Omit<EksTokenOptions, 'now' | 'signal'> {
  /** Make a new token when the current one has less than this left (default 5 minutes). */
  refreshBeforeMs?: number | undefined;
  clock?: (() => Date) | undefined;
}

/** Hands out an EKS token, making a new one before the current one expires; concurrent callers share one signing. */
export class EksTokenProvider {
  readonly #options: EksTokenProviderOptions;
  #current: EksToken | undefined;
  #pending: Promise<EksToken> | undefined;

  constructor(options: EksTokenProviderOptions) {
    this.#options = options;
  }

  async token(signal?: AbortSignal): Promise<EksToken> {
    const now = (this.#options.clock ?? (() => new Date()))();
    const refreshBefore = this.#options.refreshBeforeMs ?? 5 * 60_000;
    if (this.#current && this.#current.expiresAt.getTime() - now.getTime() > refreshBefore) return this.#current;
    this.#pending ??= createEksToken({ sts: this.#options.sts, clusterName: this.#options.clusterName, now, signal })
      .then((token) => (this.#current = token))
      .finally(() => (this.#pending = undefined));
    return this.#pending;
  }
}

interface StsEndpoint {
  protocol: string;
  hostname: string;
  port: number | undefined;
  path: string;
  signingRegion: string;
}

/**
 * Where the client would send GetCallerIdentity, as its own endpoint rules decide (regional, FIPS,
 * a configured endpoint): the request is built by the client and stopped before it leaves.
 */
async function resolveStsEndpoint(sts: STSClient, signal: AbortSignal | undefined): Promise<StsEndpoint> {
  const command = new GetCallerIdentityCommand({});
  let captured: StsEndpoint | undefined;
  const region = await sts.config.region();
  command.middlewareStack.add(
    () => async (args) => {
      const request = args.request as HttpRequest;
      captured = { protocol: request.protocol, hostname: request.hostname, port: request.port, path: request.path || '/', signingRegion: region };
      return { output: { $metadata: {} }, response: {} };
    },
    { step: 'build', name: 'falcoAirgapCaptureStsEndpoint' },
  );
  await awsCall('STS', 'resolve the STS endpoint', { signal }, (abortSignal) => sts.send(command, { abortSignal }));
  if (!captured) throw new TypeError('the STS client built no request');
  return captured;
}

// RFC 3986 escaping, the same the signature was computed over.
function formatQuery(query: Record<string, string | (string | null)[] | null>): string {
  const escape = (value: string) => encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return Object.keys(query)
    .sort()
    .flatMap((key) => {
      const value = query[key];
      const values = Array.isArray(value) ? value : [value];
      return values.filter((v): v is string => typeof v === 'string').map((v) => `${escape(key)}=${escape(v)}`);
    })
    .join('&');
}

import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { definedFields } from '@falco-airgap/core';
import { assertRegion } from './layout.ts';

export interface S3ConnectionOptions {
  /** The bucket's region (the caller resolves AWS_REGION); us-east-1 when not given, as S3-compatible servers expect. */
  region?: string | undefined;
  /** An S3-compatible server (MinIO, Ceph, ...); switches to path-style addressing unless told otherwise. */
  endpoint?: string | undefined;
  forcePathStyle?: boolean | undefined;
  /** Static credentials; without them the SDK's default chain applies (env, profiles/SSO, IRSA web identity, instance role). */
  credentials?: S3ClientConfig['credentials'];
  /** Attempts per request, first one included (default 3). */
  maxAttempts?: number | undefined;
  /** Limit on establishing a connection (default 5 s). */
  connectionTimeoutMs?: number | undefined;
  /** Limit on a request's silence: no byte sent or received for this long fails the attempt (default 30 s). */
  requestTimeoutMs?: number | undefined;
  /** Limit on one request attempt as a whole, however busy (default 15 min, for a large part on a slow link). */
  requestDurationLimitMs?: number | undefined;
  /** Open sockets per host; publish runs several uploads at once. */
  maxSockets?: number | undefined;
  /** Whether the SDK also checks response checksums; off when the caller verifies every byte itself. */
  validateResponseChecksums?: boolean | undefined;
}

export const DEFAULT_CONNECTION_TIMEOUT_MS = 5_000;
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
const DEFAULT_REQUEST_DURATION_LIMIT_MS = 15 * 60_000;

/**
 * The default S3 client of the CLI and the loader; libraries take any client the caller built.
 * Every attempt is bounded (connect, silence, total) and fails with an error rather than a warning,
 * and attempts are bounded: an endpoint that accepts connections and never answers cannot hang it.
 */
export function createS3Client(options: S3ConnectionOptions = {}): S3Client {
  const region = assertRegion(options.region ?? 'us-east-1');
  const responseChecksumValidation: S3ClientConfig['responseChecksumValidation'] =
    options.validateResponseChecksums === false ? 'WHEN_REQUIRED' : 'WHEN_SUPPORTED';
  return new S3Client(
    definedFields({
      region,
      endpoint: options.endpoint,
      forcePathStyle: options.forcePathStyle ?? Boolean(options.endpoint),
      credentials: options.credentials,
      maxAttempts: options.maxAttempts ?? 3,
      responseChecksumValidation,
      requestHandler: {
        connectionTimeout: options.connectionTimeoutMs ?? DEFAULT_CONNECTION_TIMEOUT_MS,
        socketTimeout: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
        requestTimeout: options.requestDurationLimitMs ?? DEFAULT_REQUEST_DURATION_LIMIT_MS,
        throwOnRequestTimeout: true,
        httpAgent: { keepAlive: true, maxSockets: options.maxSockets ?? 32 },
        httpsAgent: { keepAlive: true, maxSockets: options.maxSockets ?? 32 },
      },
    }),
  );
}

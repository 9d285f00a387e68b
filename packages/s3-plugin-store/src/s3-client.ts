import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';

export interface S3ConnectionOptions {
  /** The bucket's region (the caller resolves AWS_REGION); us-east-1 when not given, as S3-compatible servers expect. */
  region?: string | undefined;
  /** An S3-compatible server (MinIO, Ceph, ...); switches to path-style addressing unless told otherwise. */
  endpoint?: string | undefined;
  forcePathStyle?: boolean | undefined;
  /** Static credentials; without them the SDK's default chain applies (env, profiles/SSO, IRSA web identity, instance role). */
  credentials?: S3ClientConfig['credentials'];
  /** Attempts per request, first one included. */
  maxAttempts?: number | undefined;
  connectionTimeoutMs?: number | undefined;
  /** Socket inactivity limit per request. */
  requestTimeoutMs?: number | undefined;
  /** Open sockets per host; publish runs several uploads at once. */
  maxSockets?: number | undefined;
  /** Whether the SDK also checks response checksums; off when the caller verifies every byte itself. */
  validateResponseChecksums?: boolean | undefined;
}

/** The default S3 client of the CLI and the loader; libraries take any client the caller built. */
export function createS3Client(options: S3ConnectionOptions = {}): S3Client {
  return new S3Client({
    region: options.region ?? 'us-east-1',
    endpoint: options.endpoint,
    forcePathStyle: options.forcePathStyle ?? Boolean(options.endpoint),
    credentials: options.credentials,
    maxAttempts: options.maxAttempts ?? 3,
    responseChecksumValidation: options.validateResponseChecksums === false ? 'WHEN_REQUIRED' : 'WHEN_SUPPORTED',
    requestHandler: {
      connectionTimeout: options.connectionTimeoutMs ?? 5_000,
      requestTimeout: options.requestTimeoutMs ?? 60_000,
      httpAgent: { keepAlive: true, maxSockets: options.maxSockets ?? 32 },
      httpsAgent: { keepAlive: true, maxSockets: options.maxSockets ?? 32 },
    },
  });
}

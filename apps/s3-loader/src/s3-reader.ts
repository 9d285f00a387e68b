import {
  S3StoreError,
  S3StoreErrorCode,
  type ObjectInfo,
  type ObjectReader,
  type ObjectStream,
  type RequestOptions,
  type StoredObject,
} from '@falco-airgap/s3-plugin-store';
import http from 'node:http';
import https from 'node:https';
import { signS3Request } from './sigv4.ts';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string | undefined;
  expiration?: Date | undefined;
}

export type CredentialSource = () => Promise<AwsCredentials>;

export interface S3ReaderOptions {
  bucket: string;
  region: string;
  /** An S3-compatible server; without it, AWS S3 in `region`. */
  endpoint?: string | undefined;
  forcePathStyle?: boolean | undefined;
  credentials: CredentialSource;
  /** Connect and inactivity limit of each request. */
  timeoutMs: number;
  maxSockets: number;
}

/** Documents are small; anything larger under a document key is refused instead of buffered. */
const MAX_DOCUMENT_BYTES = 16 * 1024 * 1024;

/**
 * The loader's read-only S3 adapter: signed GET/HEAD over node:http, nothing else.
 * The full SDK client costs the loader about 10 MB of memory and start time it does not need.
 */
export class S3Reader implements ObjectReader {
  private readonly options: S3ReaderOptions;
  private readonly base: URL;
  private readonly pathStyle: boolean;
  private readonly agent: http.Agent;

  constructor(options: S3ReaderOptions) {
    this.options = options;
    // A bucket name with dots breaks the TLS wildcard of virtual-hosted names: use the path then.
    this.pathStyle = options.forcePathStyle ?? (options.endpoint !== undefined || options.bucket.includes('.'));
    this.base = new URL(options.endpoint ?? `https://s3.${options.region}.amazonaws.com`);
    const agentOptions = { keepAlive: true, maxSockets: options.maxSockets };
    this.agent = this.base.protocol === 'https:' ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
  }

  async head(key: string, options: RequestOptions = {}): Promise<ObjectInfo | undefined> {
    const response = await this.request('HEAD', key, options.signal);
    if (!response) return undefined;
    response.resume();
    const metadata: Record<string, string> = {};
    for (const [name, value] of Object.entries(response.headers)) {
      if (name.startsWith('x-amz-meta-') && typeof value === 'string') metadata[name.slice('x-amz-meta-'.length)] = value;
    }
    return {
      key,
      size: Number(response.headers['content-length'] ?? 0),
      lastModified: new Date(response.headers['last-modified'] ?? 0),
      etag: response.headers.etag ?? '',
      checksumSha256: header(response, 'x-amz-checksum-sha256'),
      metadata,
    };
  }

  async get(key: string, options: RequestOptions = {}): Promise<StoredObject | undefined> {
    const response = await this.request('GET', key, options.signal);
    if (!response) return undefined;
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of response as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > MAX_DOCUMENT_BYTES) {
          response.destroy();
          throw new S3StoreError(S3StoreErrorCode.BadDocument, `${key} is larger than ${MAX_DOCUMENT_BYTES} bytes: not a store document`, { key });
        }
        chunks.push(chunk);
      }
    } catch (error) {
      throw this.transportFailure(error, key);
    }
    return { body: Buffer.concat(chunks), etag: response.headers.etag ?? '' };
  }

  async getStream(key: string, options: RequestOptions = {}): Promise<ObjectStream | undefined> {
    const response = await this.request('GET', key, options.signal);
    if (!response) return undefined;
    return { body: response, size: Number(response.headers['content-length'] ?? -1), etag: response.headers.etag ?? '' };
  }

  close(): void {
    this.agent.destroy();
  }

  /** One signed request; the response when 2xx, undefined on 404 NoSuchKey, a store error otherwise. */
  private async request(method: 'GET' | 'HEAD', key: string, signal: AbortSignal | undefined): Promise<http.IncomingMessage | undefined> {
    const { hostname, port, protocol } = this.base;
    const host = this.pathStyle ? hostname : `${this.options.bucket}.${hostname}`;
    const basePath = this.base.pathname.replace(/\/+$/, '');
    const path = `${basePath}${this.pathStyle ? `/${this.options.bucket}` : ''}/${encodeKey(key)}`;
    const hostHeader = port ? `${host}:${port}` : host;
    let headers: Record<string, string>;
    try {
      const credentials = await this.options.credentials();
      headers = signS3Request(
        { method, host: hostHeader, path, headers: method === 'HEAD' ? { 'x-amz-checksum-mode': 'ENABLED' } : {} },
        credentials,
        this.options.region,
        new Date(),
      );
    } catch (error) {
      throw new S3StoreError(S3StoreErrorCode.NoCredentials, `no AWS credentials: ${(error as Error).message}`, {
        hint: 'set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or give the pod an IRSA service account',
        cause: error,
      });
    }
    const response = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const client = protocol === 'https:' ? https : http;
      const request = client.request({ method, host, port: port || undefined, path, headers, agent: this.agent, signal }, resolve);
      request.setTimeout(this.options.timeoutMs, () =>
        request.destroy(Object.assign(new Error(`no answer within ${this.options.timeoutMs} ms`), { code: 'ETIMEDOUT' })),
      );
      request.on('error', reject);
      request.end();
    }).catch((error: unknown) => {
      throw this.transportFailure(error, key);
    });
    const status = response.statusCode ?? 0;
    if (status >= 200 && status < 300) return response;
    const body = method === 'HEAD' ? '' : await readSome(response);
    const code = /<Code>([^<]+)<\/Code>/.exec(body)?.[1] ?? (status === 404 ? 'NotFound' : `HTTP${status}`);
    if (status === 404 && code !== 'NoSuchBucket') return undefined;
    throw this.httpFailure(status, code, /<Message>([^<]+)<\/Message>/.exec(body)?.[1], key);
  }

  private httpFailure(status: number, code: string, message: string | undefined, key: string): S3StoreError {
    const where = `s3://${this.options.bucket}/${key}`;
    const detail = `${code}${message ? `: ${message}` : ''}`;
    if (code === 'NoSuchBucket')
      return new S3StoreError(S3StoreErrorCode.BucketNotFound, `bucket ${this.options.bucket} does not exist`, {
        key,
        hint: 'check --bucket, --endpoint and --region',
      });
    if (status === 403) {
      // A reader without s3:ListBucket gets 403 for a missing key too, so both readings are given.
      return new S3StoreError(S3StoreErrorCode.AccessDenied, `${where} is missing or not readable (${detail})`, {
        key,
        hint: 'check the channel or release name, and that the role has the reader policy of falco-airgap releases policy',
      });
    }
    if (status >= 500)
      return new S3StoreError(S3StoreErrorCode.Unavailable, `S3 is unavailable: ${where} answered HTTP ${status} ${detail}`, { key, hint: 'retry later' });
    if (status === 301 || code === 'AuthorizationHeaderMalformed' || code === 'PermanentRedirect') {
      return new S3StoreError(S3StoreErrorCode.RequestFailed, `${where}: the bucket is in another region (${detail})`, {
        key,
        hint: 'set --region to the region of the bucket',
      });
    }
    return new S3StoreError(S3StoreErrorCode.RequestFailed, `${where} answered HTTP ${status} ${detail}`, {
      key,
      hint: 'see the S3 error; check --endpoint and --region',
    });
  }

  private transportFailure(error: unknown, key: string): S3StoreError {
    if (error instanceof S3StoreError) return error;
    if ((error as Error).name === 'AbortError') return new S3StoreError(S3StoreErrorCode.Aborted, `reading ${key} was interrupted`, { key, cause: error });
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    return new S3StoreError(S3StoreErrorCode.Unavailable, `S3 is unavailable: ${this.base.host} (${reason}) while reading ${key}`, {
      key,
      hint: 'check the endpoint, DNS and network policy to S3, then restart the pod',
      cause: error,
    });
  }
}

function header(response: http.IncomingMessage, name: string): string | undefined {
  const value = response.headers[name];
  return typeof value === 'string' ? value : undefined;
}

// Keys of the store only hold [A-Za-z0-9._-/]; each segment is still escaped as SigV4 expects.
function encodeKey(key: string): string {
  return key
    .split('/')
    .map((segment) => encodeURIComponent(segment).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`))
    .join('/');
}

async function readSome(response: http.IncomingMessage): Promise<string> {
  let text = '';
  try {
    for await (const chunk of response as AsyncIterable<Buffer>) {
      if (text.length < 64 * 1024) text += chunk.toString('utf8');
    }
  } catch (error) {
    // The status code already says what went wrong; a cut error body only loses detail.
    return `${text} (error body cut short: ${(error as Error).message})`;
  }
  return text;
}

/**
 * Static credentials from the environment when present (no provider code loaded at all);
 * otherwise the AWS default chain: profiles/SSO, IRSA web identity, container and instance roles.
 */
export function credentialSource(env: Record<string, string | undefined>): CredentialSource {
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    const credentials = { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, sessionToken: env.AWS_SESSION_TOKEN || undefined };
    return async () => credentials;
  }
  let pending: Promise<AwsCredentials> | undefined;
  return () => {
    pending ??= import('@aws-sdk/credential-provider-node').then(({ defaultProvider }) => defaultProvider()());
    return pending;
  };
}

import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3ServiceException,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { hexToBase64, sha256Hex } from './checksum.ts';
import { S3StoreError, S3StoreErrorCode } from './errors.ts';
import {
  DEFAULT_MULTIPART_THRESHOLD,
  DEFAULT_PART_SIZE,
  type ListedObject,
  type ObjectInfo,
  type ObjectStore,
  type ObjectStream,
  type PutOptions,
  type RequestOptions,
  type StoredObject,
  type UploadOptions,
  type UploadResult,
} from './object-store.ts';

export interface S3ObjectStoreOptions {
  /** An S3 client the caller configured (region, endpoint, credentials); see createS3Client. */
  client: S3Client;
  bucket: string;
}

const DELETE_BATCH = 1000;

/** The ObjectStore port over an AWS SDK v3 S3 client; works with AWS S3 and S3-compatible servers. */
export class S3ObjectStore implements ObjectStore {
  private readonly client: S3Client;
  readonly bucket: string;

  constructor(options: S3ObjectStoreOptions) {
    this.client = options.client;
    this.bucket = options.bucket;
  }

  async head(key: string, options: RequestOptions = {}): Promise<ObjectInfo | undefined> {
    try {
      const out = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key, ChecksumMode: 'ENABLED' }), { abortSignal: options.signal });
      return {
        key,
        size: out.ContentLength ?? 0,
        lastModified: out.LastModified ?? new Date(0),
        etag: out.ETag ?? '',
        checksumSha256: out.ChecksumSHA256,
        metadata: out.Metadata ?? {},
      };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw this.failure(error, 'read', key);
    }
  }

  async get(key: string, options: RequestOptions = {}): Promise<StoredObject | undefined> {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }), { abortSignal: options.signal });
      return { body: await out.Body!.transformToByteArray(), etag: out.ETag ?? '' };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw this.failure(error, 'read', key);
    }
  }

  async getStream(key: string, options: RequestOptions = {}): Promise<ObjectStream | undefined> {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }), { abortSignal: options.signal });
      // In Node the body is an http.IncomingMessage, which is an async iterable of Buffers.
      return { body: out.Body as unknown as AsyncIterable<Uint8Array>, size: out.ContentLength ?? 0, etag: out.ETag ?? '' };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw this.failure(error, 'read', key);
    }
  }

  async put(key: string, body: Uint8Array, options: PutOptions = {}): Promise<{ etag: string }> {
    try {
      const out = await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: body,
          ContentLength: body.length,
          ContentType: options.contentType,
          ChecksumSHA256: hexToBase64(sha256Hex(body)),
          IfNoneMatch: options.ifNoneMatch,
          IfMatch: options.ifMatch,
        }),
        { abortSignal: options.signal },
      );
      return { etag: out.ETag ?? '' };
    } catch (error) {
      throw this.failure(error, 'write', key);
    }
  }

  async upload(key: string, file: string, options: UploadOptions): Promise<UploadResult> {
    const threshold = options.multipartThreshold ?? DEFAULT_MULTIPART_THRESHOLD;
    const base = { Bucket: this.bucket, Key: key, ContentType: options.contentType ?? 'application/octet-stream', Metadata: options.metadata };
    try {
      if (options.size <= threshold) {
        // One request whose SHA-256 the server checks against the bytes it received; a buffer
        // (not a stream) so the SDK can retry it.
        const body = await readFile(file, { signal: options.signal });
        const out = await this.client.send(
          new PutObjectCommand({ ...base, Body: body, ContentLength: body.length, ChecksumSHA256: hexToBase64(options.sha256) }),
          { abortSignal: options.signal },
        );
        options.onProgress?.(options.size, options.size);
        return { etag: out.ETag ?? '', checksumSha256: out.ChecksumSHA256 ?? hexToBase64(options.sha256), multipart: false };
      }
      const upload = new Upload({
        client: this.client,
        params: { ...base, Body: createReadStream(file, { highWaterMark: 1 << 20 }), ContentLength: options.size, ChecksumAlgorithm: 'SHA256' },
        partSize: options.partSize ?? DEFAULT_PART_SIZE,
        queueSize: options.partConcurrency ?? 4,
      });
      if (options.onProgress) upload.on('httpUploadProgress', (p) => options.onProgress!(p.loaded ?? 0, p.total ?? options.size));
      const abort = () => void upload.abort();
      options.signal?.addEventListener('abort', abort, { once: true });
      try {
        const out = await upload.done();
        return { etag: out.ETag ?? '', checksumSha256: out.ChecksumSHA256, multipart: true };
      } finally {
        options.signal?.removeEventListener('abort', abort);
      }
    } catch (error) {
      throw this.failure(error, 'write', key);
    }
  }

  async *list(prefix: string, options: RequestOptions = {}): AsyncIterable<ListedObject> {
    let token: string | undefined;
    do {
      let out;
      try {
        out = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }), {
          abortSignal: options.signal,
        });
      } catch (error) {
        throw this.failure(error, 'list', prefix);
      }
      for (const object of out.Contents ?? []) {
        if (object.Key) yield { key: object.Key, size: object.Size ?? 0, lastModified: object.LastModified ?? new Date(0) };
      }
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
  }

  async delete(keys: readonly string[], options: RequestOptions = {}): Promise<void> {
    for (let i = 0; i < keys.length; i += DELETE_BATCH) {
      const batch = keys.slice(i, i + DELETE_BATCH);
      let out;
      try {
        out = await this.client.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }), {
          abortSignal: options.signal,
        });
      } catch (error) {
        throw this.failure(error, 'delete', batch[0]!);
      }
      const failed = out.Errors?.[0];
      if (failed) {
        throw new S3StoreError(S3StoreErrorCode.RequestFailed, `S3 did not delete ${failed.Key}: ${failed.Code} ${failed.Message ?? ''}`.trim(), {
          key: failed.Key,
          hint: failed.Code === 'AccessDenied' ? 'the publisher role needs s3:DeleteObject on the prefix (falco-airgap releases policy)' : 're-run gc',
        });
      }
    }
  }

  private failure(error: unknown, action: 'read' | 'write' | 'list' | 'delete', key: string): S3StoreError {
    return toStoreError(error, { action, key, bucket: this.bucket });
  }
}

function isNotFound(error: unknown): boolean {
  return error instanceof S3ServiceException && (error.name === 'NoSuchKey' || error.name === 'NotFound') && error.$metadata.httpStatusCode === 404;
}

/** Turns whatever the SDK threw into a store error with a stable code and a next step. */
export function toStoreError(error: unknown, at: { action: string; key: string; bucket: string }): S3StoreError {
  if (error instanceof S3StoreError) return error;
  const where = `s3://${at.bucket}/${at.key}`;
  const name = error instanceof Error ? error.name : '';
  const status = error instanceof S3ServiceException ? error.$metadata.httpStatusCode : undefined;
  const detail = error instanceof Error ? error.message : String(error);
  const fail = (code: S3StoreErrorCode, message: string, hint: string) => new S3StoreError(code, message, { key: at.key, hint, cause: error });

  if (name === 'AbortError') return fail(S3StoreErrorCode.Aborted, `${at.action} of ${where} was interrupted`, 're-run the command');
  if (name === 'PreconditionFailed' || status === 412 || name === 'ConditionalRequestConflict' || status === 409) {
    return fail(
      S3StoreErrorCode.PreconditionFailed,
      `the conditional write of ${where} did not apply: the object changed meanwhile`,
      'read it again and retry',
    );
  }
  if (name === 'BadDigest' || name === 'XAmzContentChecksumMismatch' || name === 'InvalidDigest' || name === 'XAmzContentSHA256Mismatch') {
    return fail(
      S3StoreErrorCode.Sha256Mismatch,
      `S3 refused ${where}: the bytes sent do not match their SHA-256 checksum`,
      'the local file changed while it was uploaded; re-run extract, then publish',
    );
  }
  if (name === 'NoSuchBucket')
    return fail(S3StoreErrorCode.BucketNotFound, `bucket ${at.bucket} does not exist`, 'create the bucket or check `bucket`, `endpoint` and `region`');
  if (name === 'AccessDenied' || name === 'Forbidden' || status === 403 || name === 'InvalidAccessKeyId' || name === 'SignatureDoesNotMatch') {
    return fail(
      S3StoreErrorCode.AccessDenied,
      `access denied to ${where} (${name || status})`,
      'check the credentials and attach the policy printed by falco-airgap releases policy',
    );
  }
  if (name === 'CredentialsProviderError' || /Could not load credentials/i.test(detail)) {
    return fail(
      S3StoreErrorCode.NoCredentials,
      `no AWS credentials found: ${detail}`,
      'set AWS_PROFILE, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run with an IRSA service account',
    );
  }
  const transient = status === undefined || status >= 500 || name === 'TimeoutError' || name === 'RequestTimeout' || name === 'SlowDown';
  if (transient) {
    const reason = status ? `HTTP ${status} ${name}` : ((error as NodeJS.ErrnoException).code ?? name ?? detail);
    return fail(
      S3StoreErrorCode.Unavailable,
      `S3 is unavailable: ${at.action} of ${where} failed (${reason}: ${detail})`,
      'check the endpoint and the network, then re-run',
    );
  }
  return fail(
    S3StoreErrorCode.RequestFailed,
    `${at.action} of ${where} failed: HTTP ${status} ${name}: ${detail}`,
    'see the S3 error above; re-run with `verbose` for the full response',
  );
}

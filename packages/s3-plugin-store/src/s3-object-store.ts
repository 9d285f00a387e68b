import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3ServiceException,
  UploadPartCommand,
  type CompletedPart,
  type S3Client,
} from '@aws-sdk/client-s3';
import { definedFields } from '@falco-airgap/core';
import { createHash } from 'node:crypto';
import { open, readFile, type FileHandle } from 'node:fs/promises';
import { compositeSha256, hexToBase64, sha256Hex } from './checksum.ts';
import { interruptionOf, S3StoreError, S3StoreErrorCode } from './errors.ts';
import { assertBucketName } from './layout.ts';
import {
  DEFAULT_MULTIPART_THRESHOLD,
  DEFAULT_PART_SIZE,
  type ListedObject,
  type ObjectInfo,
  type ObjectStore,
  type ObjectStream,
  type PendingUpload,
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
/** How long the clean-up of a failed multipart upload may take; it runs even after the caller's signal fired. */
const ABORT_UPLOAD_TIMEOUT_MS = 10_000;

type Action = 'read' | 'write' | 'list' | 'delete';

/** The ObjectStore port over an AWS SDK v3 S3 client; works with AWS S3 and S3-compatible servers. */
export class S3ObjectStore implements ObjectStore {
  private readonly client: S3Client;
  readonly bucket: string;

  constructor(options: S3ObjectStoreOptions) {
    this.client = options.client;
    this.bucket = assertBucketName(options.bucket);
  }

  async head(key: string, options: RequestOptions = {}): Promise<ObjectInfo | undefined> {
    try {
      const out = await this.client.send(
        new HeadObjectCommand({ Bucket: this.bucket, Key: key, ChecksumMode: 'ENABLED' }),
        definedFields({ abortSignal: options.signal }),
      );
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
      throw this.failure(error, 'read', key, options.signal);
    }
  }

  async get(key: string, options: RequestOptions = {}): Promise<StoredObject | undefined> {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }), definedFields({ abortSignal: options.signal }));
      return { body: await out.Body!.transformToByteArray(), etag: out.ETag ?? '' };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw this.failure(error, 'read', key, options.signal);
    }
  }

  async getStream(key: string, options: RequestOptions = {}): Promise<ObjectStream | undefined> {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }), definedFields({ abortSignal: options.signal }));
      // In Node the body is an http.IncomingMessage, which is an async iterable of Buffers.
      return { body: out.Body as unknown as AsyncIterable<Uint8Array>, size: out.ContentLength ?? 0, etag: out.ETag ?? '' };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw this.failure(error, 'read', key, options.signal);
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
        definedFields({ abortSignal: options.signal }),
      );
      return { etag: out.ETag ?? '' };
    } catch (error) {
      throw this.failure(error, 'write', key, options.signal, options.ifNoneMatch !== undefined || options.ifMatch !== undefined);
    }
  }

  async upload(key: string, file: string, options: UploadOptions): Promise<UploadResult> {
    const threshold = options.multipartThreshold ?? DEFAULT_MULTIPART_THRESHOLD;
    if (options.size > threshold) return this.uploadInParts(key, file, options);
    try {
      // One request whose SHA-256 the server checks against the bytes it received; a buffer
      // (not a stream) so the SDK can retry it.
      const body = await readFile(file, { signal: options.signal });
      const out = await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          ContentType: options.contentType ?? 'application/octet-stream',
          Metadata: options.metadata,
          Body: body,
          ContentLength: body.length,
          ChecksumSHA256: hexToBase64(options.sha256),
          IfNoneMatch: options.ifNoneMatch,
        }),
        definedFields({ abortSignal: options.signal }),
      );
      options.onProgress?.(options.size, options.size);
      return { etag: out.ETag ?? '', checksumSha256: out.ChecksumSHA256 ?? hexToBase64(options.sha256), multipart: false };
    } catch (error) {
      throw this.failure(error, 'write', key, options.signal, options.ifNoneMatch !== undefined);
    }
  }

  /**
   * A multipart upload read in order from the file: every part carries its own SHA-256 (checked by
   * the server), the whole file is hashed on the way, and the upload is only completed when that
   * hash is the one announced. Any failure aborts the upload, so no parts are left behind.
   */
  private async uploadInParts(key: string, file: string, options: UploadOptions): Promise<UploadResult> {
    const partSize = options.partSize ?? DEFAULT_PART_SIZE;
    const concurrency = Math.max(1, options.partConcurrency ?? 4);
    const { signal } = options;
    let uploadId: string | undefined;
    try {
      const created = await this.client.send(
        new CreateMultipartUploadCommand({
          Bucket: this.bucket,
          Key: key,
          ContentType: options.contentType ?? 'application/octet-stream',
          Metadata: options.metadata,
          ChecksumAlgorithm: 'SHA256',
        }),
        definedFields({ abortSignal: signal }),
      );
      uploadId = created.UploadId!;
      const { parts, sha256, partDigests } = await this.sendParts(key, uploadId, file, options, partSize, concurrency);
      if (sha256 !== options.sha256) {
        throw new S3StoreError(
          S3StoreErrorCode.Sha256Mismatch,
          `${file} has sha256 ${sha256}, expected ${options.sha256}; the upload to ${this.where(key)} was abandoned`,
          {
            key,
            hint: 'the local file changed; re-run extract, then publish',
          },
        );
      }
      const out = await this.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: { Parts: parts },
          IfNoneMatch: options.ifNoneMatch,
        }),
        definedFields({ abortSignal: signal }),
      );
      uploadId = undefined;
      return { etag: out.ETag ?? '', checksumSha256: out.ChecksumSHA256 ?? compositeSha256(partDigests), multipart: true };
    } catch (error) {
      const failure = this.failure(error, 'write', key, signal, options.ifNoneMatch !== undefined);
      if (uploadId === undefined) throw failure;
      const leftBehind = await this.abortUpload(key, uploadId, { signal: AbortSignal.timeout(ABORT_UPLOAD_TIMEOUT_MS) }).then(
        () => undefined,
        (abortError: unknown) => abortError as Error,
      );
      if (!leftBehind) throw failure;
      // The parts stay until gc aborts the upload; the original failure is what the caller needs.
      throw new S3StoreError(failure.code, failure.message, {
        key,
        hint: `${failure.hint ?? 're-run the command'}; the incomplete upload could not be aborted (${leftBehind.message}): releases gc aborts it`,
        cause: failure,
      });
    }
  }

  private async sendParts(
    key: string,
    uploadId: string,
    file: string,
    options: UploadOptions,
    partSize: number,
    concurrency: number,
  ): Promise<{ parts: CompletedPart[]; sha256: string; partDigests: Buffer[] }> {
    const count = Math.max(1, Math.ceil(options.size / partSize));
    const parts: CompletedPart[] = new Array<CompletedPart>(count);
    const partDigests: Buffer[] = new Array<Buffer>(count);
    const whole = createHash('sha256');
    const inFlight = new Set<Promise<void>>();
    let failure: { error: unknown } | undefined;
    let loaded = 0;
    const handle = await open(file, 'r');
    try {
      for (let index = 0; index < count && !failure; index++) {
        while (inFlight.size >= concurrency) await Promise.race(inFlight);
        if (failure) break;
        const body = await readPart(handle, index * partSize, Math.min(partSize, options.size - index * partSize), file);
        whole.update(body);
        const digest = createHash('sha256').update(body).digest();
        partDigests[index] = digest;
        const sending: Promise<void> = this.client
          .send(
            new UploadPartCommand({
              Bucket: this.bucket,
              Key: key,
              UploadId: uploadId,
              PartNumber: index + 1,
              Body: body,
              ContentLength: body.length,
              ChecksumAlgorithm: 'SHA256',
              ChecksumSHA256: digest.toString('base64'),
            }),
            definedFields({ abortSignal: options.signal }),
          )
          .then(
            (out) => {
              parts[index] = { PartNumber: index + 1, ETag: out.ETag, ChecksumSHA256: digest.toString('base64') };
              loaded += body.length;
              options.onProgress?.(loaded, options.size);
            },
            (error: unknown) => {
              failure ??= { error };
            },
          )
          .finally(() => inFlight.delete(sending));
        inFlight.add(sending);
      }
      await Promise.all(inFlight);
    } finally {
      await handle.close();
    }
    if (failure) throw failure.error;
    return { parts, sha256: whole.digest('hex'), partDigests };
  }

  async *list(prefix: string, options: RequestOptions = {}): AsyncIterable<ListedObject> {
    let token: string | undefined;
    do {
      let out;
      try {
        out = await this.client.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }),
          definedFields({ abortSignal: options.signal }),
        );
      } catch (error) {
        throw this.failure(error, 'list', prefix, options.signal);
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
        out = await this.client.send(
          new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }),
          definedFields({ abortSignal: options.signal }),
        );
      } catch (error) {
        throw this.failure(error, 'delete', batch[0]!, options.signal);
      }
      const failed = out.Errors?.[0];
      if (failed) {
        throw new S3StoreError(
          failed.Code === 'AccessDenied' ? S3StoreErrorCode.AccessDenied : S3StoreErrorCode.RequestFailed,
          `S3 did not delete ${failed.Key}: ${failed.Code} ${failed.Message ?? ''}`.trim(),
          {
            key: failed.Key,
            hint: failed.Code === 'AccessDenied' ? 'run gc with the gc role (falco-airgap releases policy prints it)' : 're-run gc',
          },
        );
      }
    }
  }

  async *listUploads(prefix: string, options: RequestOptions = {}): AsyncIterable<PendingUpload> {
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    for (;;) {
      let out;
      try {
        out = await this.client.send(
          new ListMultipartUploadsCommand({ Bucket: this.bucket, Prefix: prefix, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker }),
          definedFields({ abortSignal: options.signal }),
        );
      } catch (error) {
        throw this.failure(error, 'list', prefix, options.signal);
      }
      for (const upload of out.Uploads ?? []) {
        if (upload.Key && upload.UploadId) yield { key: upload.Key, uploadId: upload.UploadId, initiated: upload.Initiated ?? new Date(0) };
      }
      if (!out.IsTruncated) return;
      keyMarker = out.NextKeyMarker;
      uploadIdMarker = out.NextUploadIdMarker;
    }
  }

  async abortUpload(key: string, uploadId: string, options: RequestOptions = {}): Promise<void> {
    try {
      await this.client.send(
        new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId }),
        definedFields({ abortSignal: options.signal }),
      );
    } catch (error) {
      if (error instanceof S3ServiceException && (error.name === 'NoSuchUpload' || error.$metadata.httpStatusCode === 404)) return;
      throw this.failure(error, 'delete', key, options.signal);
    }
  }

  private where(key: string): string {
    return `s3://${this.bucket}/${key}`;
  }

  private failure(error: unknown, action: Action, key: string, signal: AbortSignal | undefined, conditional = false): S3StoreError {
    if (signal?.aborted && !(error instanceof S3StoreError)) return interruptionOf(signal, `${action} of ${this.where(key)}`, key, error);
    return toStoreError(error, { action, key, bucket: this.bucket, conditional });
  }
}

/** Reads exactly `length` bytes at `position`; a file shorter than announced changed since it was measured. */
async function readPart(handle: FileHandle, position: number, length: number, file: string): Promise<Buffer> {
  const body = Buffer.allocUnsafe(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(body, filled, length - filled, position + filled);
    if (bytesRead === 0) {
      throw new S3StoreError(S3StoreErrorCode.SizeMismatch, `${file} ended after ${position + filled} bytes while it was uploaded`, {
        hint: 'the local file changed; re-run extract, then publish',
      });
    }
    filled += bytesRead;
  }
  return body;
}

function isNotFound(error: unknown): boolean {
  return error instanceof S3ServiceException && (error.name === 'NoSuchKey' || error.name === 'NotFound') && error.$metadata.httpStatusCode === 404;
}

/** Turns whatever the SDK threw into a store error with a stable code and a next step. */
export function toStoreError(error: unknown, at: { action: string; key: string; bucket: string; conditional?: boolean }): S3StoreError {
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
  if (at.conditional && (status === 501 || name === 'NotImplemented')) {
    return fail(
      S3StoreErrorCode.ConditionalWritesUnsupported,
      `the S3 server refused the conditional write of ${where} (${name || status}): it does not support If-None-Match / If-Match`,
      'use a server with conditional writes (AWS S3, or a recent MinIO or Ceph); without them releases and channels cannot be protected',
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
      `access denied to ${at.action} ${where} (${name || status})`,
      'check the credentials and attach the policy of this role printed by falco-airgap releases policy',
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

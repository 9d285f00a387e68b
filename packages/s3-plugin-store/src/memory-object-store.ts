import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { compositeSha256, hexToBase64, partDigestsOf, sha256Hex } from './checksum.ts';
import { interruptionOf, S3StoreError, S3StoreErrorCode } from './errors.ts';
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

interface MemoryObject {
  body: Buffer;
  etag: string;
  lastModified: Date;
  checksumSha256: string;
  metadata: Record<string, string>;
}

export type MemoryOperation = 'head' | 'get' | 'getStream' | 'put' | 'upload' | 'list' | 'delete' | 'listUploads' | 'abortUpload';

export interface MemoryObjectStoreOptions {
  now?: () => Date;
  /**
   * Runs before every operation; tests use it to inject failures or to interleave
   * two writers at a precise point (e.g. between a read and its conditional write).
   */
  beforeOperation?: (operation: MemoryOperation, key: string) => void | Promise<void>;
}

/** An in-memory bucket with S3's semantics for what the store uses: checksums, ETags, conditional writes. */
export class MemoryObjectStore implements ObjectStore {
  private readonly objects = new Map<string, MemoryObject>();
  private readonly uploads = new Map<string, PendingUpload>();
  private uploadCount = 0;
  private readonly now: () => Date;
  private readonly beforeOperation: MemoryObjectStoreOptions['beforeOperation'];
  /** Every mutating call, in order, so tests can assert "no remote writes". */
  readonly writes: { operation: 'put' | 'upload' | 'delete' | 'abortUpload'; key: string }[] = [];

  constructor(options: MemoryObjectStoreOptions = {}) {
    this.now = options.now ?? (() => new Date());
    this.beforeOperation = options.beforeOperation;
  }

  /** Keys present, sorted; for assertions. */
  keys(): string[] {
    return [...this.objects.keys()].sort();
  }

  /** Replaces an object's bytes behind the store's back, as a tampering attacker or a broken disk would. */
  tamper(key: string, body: Uint8Array): void {
    const existing = this.objects.get(key);
    if (!existing) throw new Error(`no object ${key} to tamper with`);
    this.objects.set(key, { ...existing, body: Buffer.from(body), etag: etagOf(body) });
  }

  /** Sets an object's modification time, to test age-based decisions. */
  touch(key: string, lastModified: Date): void {
    const existing = this.objects.get(key);
    if (!existing) throw new Error(`no object ${key}`);
    existing.lastModified = lastModified;
  }

  /** Starts a multipart upload that is never completed, as a killed publish leaves one; returns its id. */
  startUpload(key: string, initiated: Date = this.now()): string {
    const uploadId = `upload-${++this.uploadCount}`;
    this.uploads.set(uploadId, { key, uploadId, initiated });
    return uploadId;
  }

  async head(key: string, options?: RequestOptions): Promise<ObjectInfo | undefined> {
    await this.enter('head', key, options);
    const object = this.objects.get(key);
    return object ? infoOf(key, object) : undefined;
  }

  async get(key: string, options?: RequestOptions): Promise<StoredObject | undefined> {
    await this.enter('get', key, options);
    const object = this.objects.get(key);
    return object ? { body: Buffer.from(object.body), etag: object.etag } : undefined;
  }

  async getStream(key: string, options?: RequestOptions): Promise<ObjectStream | undefined> {
    await this.enter('getStream', key, options);
    const object = this.objects.get(key);
    if (!object) return undefined;
    const body = Buffer.from(object.body);
    return { body: chunksOf(body, 64 * 1024), size: body.length, etag: object.etag };
  }

  async put(key: string, body: Uint8Array, options: PutOptions = {}): Promise<{ etag: string }> {
    await this.enter('put', key, options);
    const current = this.objects.get(key);
    if (options.ifNoneMatch === '*' && current) throw preconditionFailed(key);
    if (options.ifMatch !== undefined && current?.etag !== options.ifMatch) throw preconditionFailed(key);
    const stored = this.store(key, Buffer.from(body), hexToBase64(sha256Hex(body)), {});
    this.writes.push({ operation: 'put', key });
    return { etag: stored.etag };
  }

  async upload(key: string, file: string, options: UploadOptions): Promise<UploadResult> {
    await this.enter('upload', key, options);
    const body = await readFile(file);
    const threshold = options.multipartThreshold ?? DEFAULT_MULTIPART_THRESHOLD;
    const partSize = options.partSize ?? DEFAULT_PART_SIZE;
    const multipart = body.length > threshold;
    // Like the S3 adapter: a single request is checked by the server, a multipart upload by the client before completing.
    if (sha256Hex(body) !== options.sha256) {
      throw new S3StoreError(S3StoreErrorCode.Sha256Mismatch, `the upload of ${key} was refused: its bytes do not have sha256 ${options.sha256}`, { key });
    }
    if (options.ifNoneMatch === '*' && this.objects.has(key)) throw preconditionFailed(key);
    const checksum = multipart ? compositeSha256(partDigestsOf(body, partSize)) : hexToBase64(options.sha256);
    options.onProgress?.(body.length, body.length);
    const stored = this.store(key, body, checksum, { ...options.metadata });
    this.writes.push({ operation: 'upload', key });
    return { etag: stored.etag, checksumSha256: checksum, multipart };
  }

  async *list(prefix: string, options?: RequestOptions): AsyncIterable<ListedObject> {
    await this.enter('list', prefix, options);
    for (const key of this.keys()) {
      if (!key.startsWith(prefix)) continue;
      const object = this.objects.get(key)!;
      yield { key, size: object.body.length, lastModified: object.lastModified };
    }
  }

  async delete(keys: readonly string[], options?: RequestOptions): Promise<void> {
    for (const key of keys) {
      await this.enter('delete', key, options);
      this.objects.delete(key);
      this.writes.push({ operation: 'delete', key });
    }
  }

  async *listUploads(prefix: string, options?: RequestOptions): AsyncIterable<PendingUpload> {
    await this.enter('listUploads', prefix, options);
    const pending = [...this.uploads.values()].filter((u) => u.key.startsWith(prefix));
    for (const upload of pending.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))) yield { ...upload };
  }

  async abortUpload(key: string, uploadId: string, options?: RequestOptions): Promise<void> {
    await this.enter('abortUpload', key, options);
    if (this.uploads.get(uploadId)?.key === key) this.uploads.delete(uploadId);
    this.writes.push({ operation: 'abortUpload', key });
  }

  private async enter(operation: MemoryOperation, key: string, options: RequestOptions | undefined): Promise<void> {
    if (options?.signal?.aborted) throw interruptionOf(options.signal, `${operation} ${key}`, key);
    await this.beforeOperation?.(operation, key);
  }

  private store(key: string, body: Buffer, checksumSha256: string, metadata: Record<string, string>): MemoryObject {
    const object = { body, etag: etagOf(body), lastModified: this.now(), checksumSha256, metadata };
    this.objects.set(key, object);
    return object;
  }
}

function infoOf(key: string, object: MemoryObject): ObjectInfo {
  return {
    key,
    size: object.body.length,
    lastModified: object.lastModified,
    etag: object.etag,
    checksumSha256: object.checksumSha256,
    metadata: { ...object.metadata },
  };
}

// Like S3 for single-part objects: the quoted MD5 of the bytes.
function etagOf(body: Uint8Array): string {
  return `"${createHash('md5').update(body).digest('hex')}"`;
}

function preconditionFailed(key: string): S3StoreError {
  return new S3StoreError(S3StoreErrorCode.PreconditionFailed, `the conditional write of ${key} did not apply: the object changed`, { key });
}

async function* chunksOf(body: Buffer, size: number): AsyncIterable<Uint8Array> {
  for (let offset = 0; offset < body.length; offset += size) yield body.subarray(offset, offset + size);
}

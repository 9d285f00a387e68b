/**
 * The read half of the port: all a cluster-side reader (the loader) needs, so it can bring
 * its own small adapter instead of the whole SDK.
 */
export interface ObjectReader {
  /** Size, ETag and stored checksum of an object, or undefined when there is none. */
  head(key: string, options?: RequestOptions): Promise<ObjectInfo | undefined>;
  /** A small object read whole (documents), or undefined when there is none. */
  get(key: string, options?: RequestOptions): Promise<StoredObject | undefined>;
  /** A large object as a stream of chunks (blobs), or undefined when there is none. */
  getStream(key: string, options?: RequestOptions): Promise<ObjectStream | undefined>;
}

/**
 * The port between the store's logic and a bucket: the few object operations the store needs.
 * `S3ObjectStore` implements it over the AWS SDK, `MemoryObjectStore` in memory for tests;
 * both pass the same contract suite.
 */
export interface ObjectStore extends ObjectReader {
  /** Writes a small object; with a condition, throws S3STORE_PRECONDITION_FAILED when it does not hold. */
  put(key: string, body: Uint8Array, options?: PutOptions): Promise<{ etag: string }>;
  /**
   * Uploads a file with SHA-256 checksums the server verifies on arrival, in parts above the threshold;
   * bytes that do not hash to `sha256` never become an object, and a failed upload leaves no parts behind.
   */
  upload(key: string, file: string, options: UploadOptions): Promise<UploadResult>;
  list(prefix: string, options?: RequestOptions): AsyncIterable<ListedObject>;
  delete(keys: readonly string[], options?: RequestOptions): Promise<void>;
  /**
   * Multipart uploads whose key starts with `prefix`, neither completed nor aborted (their parts cost
   * storage). Some servers (MinIO) only answer for an exact key, so callers also ask key by key.
   */
  listUploads(prefix: string, options?: RequestOptions): AsyncIterable<PendingUpload>;
  /** Aborts one multipart upload and frees its parts; an upload already gone is not an error. */
  abortUpload(key: string, uploadId: string, options?: RequestOptions): Promise<void>;
}

export interface RequestOptions {
  signal?: AbortSignal | undefined;
}

export interface ListedObject {
  key: string;
  size: number;
  lastModified: Date;
}

export interface PendingUpload {
  key: string;
  uploadId: string;
  initiated: Date;
}

export interface ObjectInfo extends ListedObject {
  etag: string;
  /** As S3 reports it: base64 of the sha256, or `<base64>-<parts>` for a multipart object. */
  checksumSha256: string | undefined;
  metadata: Record<string, string>;
}

export interface StoredObject {
  body: Uint8Array;
  etag: string;
}

export interface ObjectStream {
  body: AsyncIterable<Uint8Array>;
  size: number;
  etag: string;
}

export interface PutOptions extends RequestOptions {
  contentType?: string;
  /** Create only: fail when the key exists. */
  ifNoneMatch?: '*';
  /** Compare and swap: fail unless the current ETag is this one. */
  ifMatch?: string;
}

export interface UploadOptions extends RequestOptions {
  /** Hex sha256 the bytes must have (sent as the object's checksum when it is uploaded in one piece). */
  sha256: string;
  size: number;
  /** Files larger than this go up in parts (default 16 MiB). */
  multipartThreshold?: number;
  /** Part size of multipart uploads (default 8 MiB). */
  partSize?: number;
  /** Parts of one file in flight at once. */
  partConcurrency?: number;
  contentType?: string;
  metadata?: Record<string, string>;
  /** Create only: fail with S3STORE_PRECONDITION_FAILED when the key exists, and leave no upload behind. */
  ifNoneMatch?: '*';
  onProgress?: (loaded: number, total: number) => void;
}

export interface UploadResult {
  etag: string;
  checksumSha256: string | undefined;
  /** Whether the file went up in several parts. */
  multipart: boolean;
}

export const DEFAULT_PART_SIZE = 8 * 1024 * 1024;
export const DEFAULT_MULTIPART_THRESHOLD = 16 * 1024 * 1024;

/** User metadata the store sets on every blob, so a later publish can check a multipart object. */
export const BLOB_METADATA = { sha256: 'sha256', partSize: 'part-size' } as const;

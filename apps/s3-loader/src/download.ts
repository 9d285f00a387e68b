import { retry } from '@falco-airgap/core';
import { isS3StoreError, S3StoreError, S3StoreErrorCode, type ObjectReader } from '@falco-airgap/s3-plugin-store';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';

export interface DownloadTarget {
  key: string;
  sha256: string;
  size: number;
  /** Where the verified bytes end up. */
  path: string;
}

/**
 * Streams a blob to disk while hashing it; the file is only good when size and sha256 match.
 * Throws S3STORE_SIZE_MISMATCH / S3STORE_SHA256_MISMATCH for wrong bytes, S3STORE_BLOB_MISSING when absent.
 */
export async function downloadVerified(objects: ObjectReader, target: DownloadTarget, options: { signal?: AbortSignal | undefined }): Promise<void> {
  const stream = await objects.getStream(target.key, { signal: options.signal });
  if (!stream) {
    throw new S3StoreError(S3StoreErrorCode.BlobMissing, `${target.key} is missing from the bucket`, {
      key: target.key,
      hint: 'publish the lock of this release again',
    });
  }
  // A body longer than announced is refused before it fills the disk.
  if (stream.size !== target.size) {
    throw new S3StoreError(S3StoreErrorCode.SizeMismatch, `${target.key} has ${stream.size} bytes in the bucket, the release says ${target.size}`, {
      key: target.key,
      hint: 'the blob was replaced in the bucket; publish the lock again and investigate who can write to the bucket',
    });
  }
  const hash = createHash('sha256');
  let received = 0;
  try {
    await pipeline(
      stream.body,
      async function* (source: AsyncIterable<Uint8Array>) {
        for await (const chunk of source) {
          received += chunk.length;
          if (received > target.size)
            throw new S3StoreError(S3StoreErrorCode.SizeMismatch, `${target.key} is longer than ${target.size} bytes`, { key: target.key });
          hash.update(chunk);
          collectGarbageEvery(chunk.length);
          yield chunk;
        }
      },
      createWriteStream(target.path, { mode: 0o644, flush: true }),
      { signal: options.signal },
    );
  } catch (error) {
    if (isS3StoreError(error)) throw error;
    if (options.signal?.aborted)
      throw new S3StoreError(S3StoreErrorCode.Aborted, `the download of ${target.key} was interrupted`, { key: target.key, cause: error });
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    // Disk errors are the node's problem, not S3's: only a broken body is worth a retry.
    if (/^E(NOSPC|ROFS|ACCES|PERM|DQUOT)$/.test(reason)) throw error;
    throw new S3StoreError(S3StoreErrorCode.Unavailable, `the download of ${target.key} broke off after ${received} bytes (${reason})`, {
      key: target.key,
      hint: 'the connection to S3 broke; run again',
      cause: error,
    });
  }
  if (received !== target.size) {
    throw new S3StoreError(S3StoreErrorCode.Unavailable, `the download of ${target.key} ended after ${received} of ${target.size} bytes`, {
      key: target.key,
      hint: 'the connection broke; run again',
    });
  }
  const sha256 = hash.digest('hex');
  if (sha256 !== target.sha256) {
    throw new S3StoreError(S3StoreErrorCode.Sha256Mismatch, `${target.key} has sha256 ${sha256}, the release says ${target.sha256}`, {
      key: target.key,
      hint: 'the blob in the bucket was altered; nothing was installed. Publish the lock again and investigate who can write to the bucket',
    });
  }
}

const GC_EVERY_BYTES = 4 * 1024 * 1024;
let bytesSinceCollection = 0;

/**
 * Every socket read is a fresh buffer, and V8 only collects them once tens of megabytes of them
 * are pending: a young-generation collection every few megabytes keeps the loader's peak memory
 * near its baseline. Needs --expose-gc (set in the single executable); without it, nothing.
 */
function collectGarbageEvery(bytes: number): void {
  bytesSinceCollection += bytes;
  if (bytesSinceCollection < GC_EVERY_BYTES) return;
  bytesSinceCollection = 0;
  (globalThis as { gc?: (options: { type: 'minor' | 'major'; execution: 'sync' }) => void }).gc?.({ type: 'minor', execution: 'sync' });
}

/** How long to keep retrying: at least `retries` times, and for as long as `retryForMs` lasts. */
export interface RetryBudget {
  retries: number;
  retryForMs: number;
}

/**
 * Retries only what a retry can fix, a broken connection or an unavailable server, never wrong
 * bytes: at least `retries` times, then as long as the budget's time lasts, with backoff.
 */
export function withRetries<T>(
  budget: RetryBudget,
  signal: AbortSignal | undefined,
  task: () => Promise<T>,
  onRetry?: (attempt: number, error: unknown) => void,
): Promise<T> {
  const deadline = performance.now() + budget.retryForMs;
  return retry(task, {
    policy: { attempts: Number.MAX_SAFE_INTEGER, baseDelayMs: 200, maxDelayMs: 5_000 },
    signal,
    shouldRetry: (error, attempt) => isS3StoreError(error, S3StoreErrorCode.Unavailable) && (attempt <= budget.retries || performance.now() < deadline),
    onRetry: (error, attempt) => onRetry?.(attempt, error),
  });
}

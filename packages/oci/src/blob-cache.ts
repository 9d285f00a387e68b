import { makeDirectory } from '@falco-airgap/core';
import { createReadStream } from 'node:fs';
import { open, readFile, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { DigestVerifier, parseDigest } from './digest.ts';
import { isOciError, OciError, OciErrorCode } from './errors.ts';

/** Cached blobs are checked in large reads: a few dozen for a 10 MB layer, not hundreds. */
const READ_CHUNK_BYTES = 1024 * 1024;
const WRITE_BATCH_BYTES = 1024 * 1024;

/** The usual cache: $XDG_CACHE_HOME/falco-airgap/oci, else ~/.cache/falco-airgap/oci. The caller hands in the environment. */
export function defaultCacheDirectory(env: Readonly<Record<string, string | undefined>>, home: string): string {
  return join(env.XDG_CACHE_HOME || join(home, '.cache'), 'falco-airgap', 'oci');
}

/** A blob being written to the cache: bytes go to a temp file and reach their digest path only once verified. */
export interface BlobWriter {
  readonly received: number;
  write(chunk: Uint8Array): Promise<void>;
  /** Forget what was written so far (the server restarted the body instead of resuming it). */
  restart(): Promise<void>;
  /** Verify digest and size, then move into place. */
  commit(): Promise<string>;
  abort(): Promise<void>;
}

/**
 * Content-addressed store of registry blobs and manifests, `blobs/<algorithm>/<hex>`. A blob is
 * trusted only after its digest was checked in this process, so a corrupted cache is detected.
 */
export class BlobCache {
  readonly root: string;
  readonly #verified = new Set<string>();
  /** Writes under way that nobody waits for, by digest: a reader of that digest waits for its write first. */
  readonly #writing = new Map<string, Promise<void>>();

  constructor(root: string) {
    this.root = root;
  }

  path(digest: string): string {
    const { algorithm, hex } = parseDigest(digest);
    return join(this.root, 'blobs', algorithm, hex);
  }

  /** True when the cache holds the blob with the right size and digest; a bad copy is deleted. */
  async has(digest: string, size: number): Promise<boolean> {
    if (this.#verified.has(digest)) return true;
    const writing = this.#writing.get(digest);
    if (writing) {
      await writing;
      if (this.#verified.has(digest)) return true;
    }
    const file = this.path(digest);
    const info = await stat(file).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw cacheError(`cannot read the cache entry ${file}`, error);
    });
    if (!info) return false;
    const verifier = new DigestVerifier(digest, size, `cached blob ${digest}`);
    try {
      if (info.size !== size) verifier.finish();
      for await (const chunk of createReadStream(file, { highWaterMark: READ_CHUNK_BYTES })) verifier.update(chunk as Buffer);
      verifier.finish();
    } catch (error) {
      if (!isOciError(error)) throw cacheError(`cannot read the cache entry ${file}`, error as Error);
      // A damaged cache entry is not the user's problem: drop it and download again.
      await rm(file, { force: true });
      return false;
    }
    this.#verified.add(digest);
    return true;
  }

  /** Reads a small verified blob (manifest, config) from the cache, or undefined. */
  async read(digest: string, size: number): Promise<Buffer | undefined> {
    return (await this.has(digest, size)) ? readFile(this.path(digest)) : undefined;
  }

  /** Stores bytes already verified by the caller (e.g. a manifest fetched by tag). */
  async put(digest: string, bytes: Uint8Array): Promise<void> {
    const writer = await this.writer(digest, bytes.length, `blob ${digest}`);
    try {
      await writer.write(bytes);
      await writer.commit();
    } catch (error) {
      await writer.abort();
      throw error;
    }
  }

  /**
   * Stores verified bytes without making the caller wait (a manifest on the way to its blobs): readers of
   * the digest wait for the write, `settle()` for all of them. A failed write leaves no entry and no temp file.
   */
  putInBackground(digest: string, bytes: Uint8Array): void {
    if (this.#verified.has(digest) || this.#writing.has(digest)) return;
    const writing = this.put(digest, bytes).then(
      () => undefined,
      // Nothing is lost: the entry is simply not there, and the bytes are fetched again when next needed.
      () => undefined,
    );
    this.#writing.set(digest, writing);
    void writing.then(() => this.#writing.delete(digest));
  }

  /** Waits for every write started by `putInBackground`. */
  async settle(): Promise<void> {
    while (this.#writing.size) await Promise.all(this.#writing.values());
  }

  async writer(digest: string, size: number, what: string): Promise<BlobWriter> {
    const target = this.path(digest);
    const ingest = join(this.root, 'ingest');
    await makeDirectory(ingest).catch((error: Error) => {
      throw cacheError(`cannot create the cache directory ${ingest}`, error);
    });
    const temp = join(ingest, `${parseDigest(digest).hex}.${process.pid}.${Math.random().toString(36).slice(2)}`);
    let handle: FileHandle = await makeDirectory(join(target, '..'))
      .then(() => open(temp, 'w'))
      .catch((error: Error) => {
        throw cacheError(`cannot write to the cache directory ${this.root}`, error);
      });
    let verifier = new DigestVerifier(digest, size, what);
    const verified = this.#verified;
    // Network chunks are small: they are written a megabyte at a time, one system call for many, and the
    // next megabyte arrives while the last is written (never more than one write in flight).
    let pending: Uint8Array[] = [];
    let pendingBytes = 0;
    let writing: Promise<void> = Promise.resolve();
    const flush = () => {
      const chunks = pending;
      pending = [];
      pendingBytes = 0;
      const file = handle;
      writing = writing.then(async () => {
        if (chunks.length) await file.writev(chunks);
      });
      return writing;
    };
    return {
      get received() {
        return verifier.received;
      },
      async write(chunk) {
        verifier.update(chunk);
        pending.push(chunk);
        pendingBytes += chunk.length;
        if (pendingBytes < WRITE_BATCH_BYTES) return;
        await writing;
        void flush().catch(() => undefined);
      },
      async restart() {
        await writing.catch(() => undefined);
        writing = Promise.resolve();
        pending = [];
        pendingBytes = 0;
        await handle.truncate(0);
        await handle.close();
        handle = await open(temp, 'w');
        verifier = new DigestVerifier(digest, size, what);
      },
      async commit() {
        await flush();
        await handle.close();
        try {
          verifier.finish();
        } catch (error) {
          await rm(temp, { force: true });
          throw error;
        }
        await rename(temp, target);
        verified.add(digest);
        return target;
      },
      async abort() {
        pending = [];
        await writing.catch(() => undefined);
        await handle.close().catch(() => undefined);
        await rm(temp, { force: true });
      },
    };
  }
}

function cacheError(message: string, cause: Error): OciError {
  return new OciError(OciErrorCode.CacheWrite, `${message}: ${cause.message}`, 'check the cache directory (`cacheDir`) exists and is writable', cause);
}

import { makeDirectory } from '@falco-airgap/core';
import { createHash } from 'node:crypto';
import { open, readdir, rm, stat } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { BundleError, ioError } from './errors.ts';

export interface HashedFile {
  size: number;
  sha256: string;
}

const CHUNK = 1024 * 1024;

/**
 * Reads a file chunk by chunk into one reused buffer (copy what you keep): a gigabyte read leaves no
 * garbage behind, which a stream of fresh chunks would until the next collection.
 */
export async function readChunks(file: string, onChunk: (chunk: Buffer) => void | Promise<void>, signal?: AbortSignal): Promise<number> {
  const handle = await open(file, 'r').catch((cause: unknown) => {
    throw ioError(`cannot read ${file}`, cause);
  });
  const buffer = Buffer.allocUnsafe(CHUNK);
  let total = 0;
  try {
    for (;;) {
      signal?.throwIfAborted();
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, total);
      if (bytesRead === 0) return total;
      total += bytesRead;
      await onChunk(buffer.subarray(0, bytesRead));
    }
  } catch (cause) {
    if (signal?.aborted || cause instanceof BundleError) throw cause;
    throw ioError(`cannot read ${file}`, cause);
  } finally {
    await handle.close();
  }
}

/** sha256 and size of a file. */
export async function hashFile(file: string, signal?: AbortSignal): Promise<HashedFile> {
  const hash = createHash('sha256');
  const size = await readChunks(file, (chunk) => void hash.update(chunk), signal);
  return { size, sha256: hash.digest('hex') };
}

/** Copies a file, hashing what is written on the way; the mode is set explicitly so umask plays no part. */
export async function copyHashed(source: string, dest: string, mode: number, signal?: AbortSignal): Promise<HashedFile> {
  const hash = createHash('sha256');
  await makeDirectory(dirname(dest));
  const out = await open(dest, 'w', mode).catch((cause: unknown) => {
    throw ioError(`cannot write ${dest}`, cause);
  });
  let size: number;
  try {
    size = await readChunks(
      source,
      async (chunk) => {
        hash.update(chunk);
        await out.write(chunk);
      },
      signal,
    );
    await out.chmod(mode);
  } finally {
    await out.close();
  }
  return { size, sha256: hash.digest('hex') };
}

/** Every regular file under `dir`, as `/`-separated paths relative to it. */
export async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw ioError(`cannot list ${dir}`, error);
  });
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name)).split(sep).join('/'));
}

/** Deletes every file under `dir` that `keep` does not name (left over from an earlier, different run). */
export async function pruneFiles(dir: string, keep: ReadonlySet<string>): Promise<void> {
  for (const path of await listFiles(dir)) if (!keep.has(path)) await rm(join(dir, path), { force: true });
}

export async function exists(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined)) !== undefined;
}

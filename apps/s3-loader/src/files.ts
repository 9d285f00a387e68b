import { makeDirectory } from '@falco-airgap/core';
import { createHash } from 'node:crypto';
import { open, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * sha256 and size of a file, or undefined when it does not exist. Reads through one reused
 * buffer: hashing a release's files allocates nothing per chunk, so the loader's memory stays flat.
 */
export async function fileDigest(path: string, signal?: AbortSignal): Promise<{ sha256: string; size: number } | undefined> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const hash = createHash('sha256');
  const buffer = Buffer.allocUnsafe(256 * 1024);
  let size = 0;
  try {
    for (;;) {
      signal?.throwIfAborted();
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
      size += bytesRead;
    }
  } finally {
    await handle.close();
  }
  return { sha256: hash.digest('hex'), size };
}

export async function hasContent(path: string, expected: { sha256: string; size: number }, signal?: AbortSignal): Promise<boolean> {
  const digest = await fileDigest(path, signal);
  return digest?.size === expected.size && digest.sha256 === expected.sha256;
}

/** Flushes a directory's entries (renames, creations) to disk, so they survive a node crash. */
export async function syncDirectory(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Replaces a file in one step: readers see the old or the new content, never a mix. */
export async function writeFileAtomically(path: string, content: string): Promise<void> {
  await makeDirectory(dirname(path));
  const temporary = `${path}.tmp-${process.pid}`;
  await writeFile(temporary, content, { flush: true, mode: 0o644 });
  await rename(temporary, path);
  await syncDirectory(dirname(path));
}

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** sha256 and size of a file, or undefined when it does not exist. */
export async function fileDigest(path: string, signal?: AbortSignal): Promise<{ sha256: string; size: number } | undefined> {
  const hash = createHash('sha256');
  let size = 0;
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20, signal }) as AsyncIterable<Buffer>) {
      hash.update(chunk);
      size += chunk.length;
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
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
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.tmp-${process.pid}`;
  await writeFile(temporary, content, { flush: true, mode: 0o644 });
  await rename(temporary, path);
  await syncDirectory(dirname(path));
}

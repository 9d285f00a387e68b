import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import type { PartsWriter } from './archive-parts.ts';
import { BundleError, BundleErrorCode, ioError } from './errors.ts';
import { encodeFileHeader, endOfArchive, paddingOf } from './tar-format.ts';

const CHUNK = 1024 * 1024;

/** One file of an archive: bytes in memory, or a file on disk streamed in chunks. */
export interface ArchiveInput {
  path: string;
  size: number;
  mode: number;
  content: Buffer | { file: string };
}

export interface ArchiveWriteOptions {
  /** Seconds since the epoch, written as every entry's mtime. */
  mtime: number;
  signal?: AbortSignal | undefined;
  onProgress?: ((written: number) => void) | undefined;
}

/**
 * Writes the entries in the order given (no directory entries, ids 0, one mtime) and the end marker;
 * returns the sha256 of the archive's bytes. Memory stays at one chunk whatever the sizes.
 */
export async function writeArchive(entries: readonly ArchiveInput[], out: PartsWriter, options: ArchiveWriteOptions): Promise<string> {
  const hash = createHash('sha256');
  const emit = async (chunk: Buffer) => {
    hash.update(chunk);
    await out.write(chunk);
    options.onProgress?.(out.total);
  };
  const buffer = Buffer.allocUnsafe(CHUNK);
  for (const entry of entries) {
    options.signal?.throwIfAborted();
    await emit(encodeFileHeader({ path: entry.path, size: entry.size, mode: entry.mode, mtime: options.mtime }));
    if (Buffer.isBuffer(entry.content)) {
      if (entry.content.length !== entry.size) throw new TypeError(`${entry.path}: ${entry.content.length} bytes given for a size of ${entry.size}`);
      await emit(entry.content);
    } else {
      await streamFile(entry.content.file, entry, buffer, emit, options.signal);
    }
    const padding = paddingOf(entry.size);
    if (padding) await emit(Buffer.alloc(padding));
  }
  await emit(endOfArchive());
  return `sha256:${hash.digest('hex')}`;
}

async function streamFile(file: string, entry: ArchiveInput, buffer: Buffer, emit: (chunk: Buffer) => Promise<void>, signal?: AbortSignal): Promise<void> {
  const handle = await open(file, 'r').catch((cause: unknown) => {
    throw ioError(`cannot read ${file}`, cause);
  });
  try {
    let at = 0;
    while (at < entry.size) {
      signal?.throwIfAborted();
      const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, entry.size - at), at);
      if (bytesRead === 0) break;
      // emit copies nothing, so the next read must wait until this chunk is written.
      await emit(buffer.subarray(0, bytesRead));
      at += bytesRead;
    }
    const { size } = await handle.stat();
    if (at !== entry.size || size !== entry.size) {
      throw new BundleError(
        BundleErrorCode.SourceChanged,
        `${file} changed while the bundle was written (${size} bytes, ${entry.size} expected)`,
        'leave the inputs alone while a bundle is created, then create it again',
        { file: entry.path },
      );
    }
  } finally {
    await handle.close();
  }
}

import { createReadStream } from 'node:fs';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Gunzip, ZlibOptions } from 'node:zlib';
import type { Extract } from 'tar-stream';
import { ExtractError, ExtractErrorCode, isExtractError } from './errors.ts';
import type { ArchiveGuard, EntryKind } from './tar-safety.ts';
import { tarEntries, TarFormatError } from './tar-buffer.ts';

const CHUNK_BYTES = 4 * 1024 * 1024;
// zlib is loaded with the first compressed layer: a re-run with nothing to download never needs it.
const createGunzip = (options: ZlibOptions): Gunzip => process.getBuiltinModule('node:zlib').createGunzip(options);
/** Network chunks are handed to zlib a megabyte at a time: a few calls to its thread per layer, not one per packet. */
const INFLATE_INPUT_BYTES = 1024 * 1024;
/** The smallest output buffer zlib gets for a layer in memory: a rules file's layer needs no megabytes. */
const MIN_INFLATE_CHUNK_BYTES = 64 * 1024;

/** One archive entry, admitted by the guard; `body` must be read to the end or left to `skip`. */
export interface ArchiveEntry {
  path: string;
  kind: EntryKind;
  size: number;
  mode: number;
  linkTarget: string | undefined;
  body: Readable;
  /** The whole content, when the archive is in memory: read it instead of `body`. */
  bytes?: Buffer | undefined;
}

/** A tar parser; tar-stream is loaded on first use, so runs that unpack nothing never load it. */
export async function createTarExtractor(): Promise<Extract> {
  // tar-stream is CommonJS: its default export is what every loader and bundler hands out alike.
  const { extract } = (await import('tar-stream')).default;
  return extract();
}

/** What a layer of this compressed size is taken to inflate to, at most `maxBytes` (plugins inflate to about twice their size). */
export function inflatedEstimate(compressedBytes: number, maxBytes: number): number {
  return Math.min(maxBytes, Math.max(MIN_INFLATE_CHUNK_BYTES, 4 * compressedBytes));
}

/**
 * A layer read to its end and, when gzip-compressed, inflated on the way (zlib works on another
 * thread while the rest downloads): the archive's tar bytes in memory, or undefined when they would
 * exceed `maxBytes` (the source is still read to its end). A blob stream fails on a digest mismatch,
 * so once this returns the bytes are the ones the digest names; that failure wins over a bad inflate.
 */
export async function inflateInMemory(source: Readable, maxBytes: number, what: string, compressedBytes = 0): Promise<Buffer[] | undefined> {
  const out: Buffer[] = [];
  let outBytes = 0;
  let overflow = false;
  let inflateFailure: unknown;
  let gunzip: Gunzip | undefined;
  let sniffed = false;
  const take = (chunk: Buffer) => {
    if (overflow) return;
    outBytes += chunk.length;
    if (outBytes <= maxBytes) return void out.push(chunk);
    overflow = true;
    out.length = 0;
    gunzip?.destroy();
  };
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const flush = () => {
    if (!pendingBytes) return;
    const chunk = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    if (!sniffed) {
      sniffed = true;
      if (chunk[0] === 0x1f && chunk[1] === 0x8b) {
        // Room for the whole output in one buffer as a rule: its pieces are then adjacent and are joined without a copy.
        gunzip = createGunzip({ chunkSize: inflatedEstimate(compressedBytes, maxBytes) });
        gunzip.on('data', take);
        gunzip.on('error', (error) => (inflateFailure ??= error));
      }
    }
    if (overflow || inflateFailure !== undefined) return;
    if (gunzip) gunzip.write(chunk);
    else take(chunk);
  };
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      pending.push(chunk);
      pendingBytes += chunk.length;
      if (pendingBytes >= INFLATE_INPUT_BYTES) flush();
    }
  } catch (error) {
    // The download failed or was interrupted: zlib's queued work is dropped with it.
    gunzip?.destroy();
    throw error;
  }
  flush();
  if (gunzip && !overflow && inflateFailure === undefined) {
    const inflater = gunzip;
    await new Promise<void>((resolve) => {
      inflater.once('end', resolve);
      inflater.once('error', () => resolve());
      inflater.once('close', resolve);
      inflater.end();
    });
  }
  if (overflow) return undefined;
  if (inflateFailure !== undefined) throw archiveError(inflateFailure, what);
  return out;
}

/**
 * Streams the entries of a tar or tar+gzip archive (sniffed by magic bytes), a file or a stream,
 * through a guard. Bytes are counted after decompression, so a small bomb is stopped while it inflates.
 */
export async function readArchive(
  archive: string | Readable | Buffer[],
  guard: ArchiveGuard,
  onEntry: (entry: ArchiveEntry) => Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  if (Array.isArray(archive)) return readArchiveInMemory(joined(archive), guard, onEntry, signal);
  // Large reads and inflate chunks: a 10 MB plugin goes through in a few dozen callbacks, not seven hundred.
  const { head: magic, stream: source } = await peekStart(typeof archive === 'string' ? createReadStream(archive, { highWaterMark: CHUNK_BYTES }) : archive, 4);
  if (isZstd(magic)) {
    source.destroy();
    throw zstdRefused(guard.what);
  }
  const gzip = magic[0] === 0x1f && magic[1] === 0x8b;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      try {
        guard.count(chunk.length);
        callback(null, chunk);
      } catch (error) {
        callback(error as Error);
      }
    },
  });
  const extractor = await createTarExtractor();
  // The pipeline's failure is recorded, not left as a rejected promise while entries are read.
  let pipelineFailure: unknown;
  const piping = (
    gzip ? pipeline(source, createGunzip({ chunkSize: CHUNK_BYTES }), counter, extractor, { signal }) : pipeline(source, counter, extractor, { signal })
  ).then(
    () => undefined,
    (error: unknown) => {
      pipelineFailure = archiveError(error, guard.what);
    },
  );
  try {
    for await (const item of extractor) {
      const header = item.header;
      const admitted = guard.admit({ name: header.name, type: header.type, linkname: header.linkname });
      await onEntry({ ...admitted, size: header.size ?? 0, mode: header.mode ?? 0o644, body: item as unknown as Readable });
      // Whatever the callback left unread is skipped so the next header can be parsed.
      item.resume();
    }
  } catch (error) {
    extractor.destroy(error as Error);
    await piping;
    // A guard refusal raised while reading entries wins; otherwise the pipeline knows the cause.
    throw isExtractError(error) ? error : (pipelineFailure ?? archiveError(error, guard.what));
  }
  await piping;
  if (pipelineFailure) throw pipelineFailure;
}

/** The pieces as one buffer: a view when they lie next to each other in one allocation, else a copy. */
function joined(pieces: Buffer[]): Buffer {
  const first = pieces[0];
  if (!first) return Buffer.alloc(0);
  let end = first.byteOffset + first.length;
  for (const piece of pieces.slice(1)) {
    if (piece.buffer !== first.buffer || piece.byteOffset !== end) return Buffer.concat(pieces);
    end += piece.length;
  }
  return Buffer.from(first.buffer, first.byteOffset, end - first.byteOffset);
}

/** A tar archive in memory (already inflated): its entries hand out views of their bytes, no stream or copy. */
async function readArchiveInMemory(tar: Buffer, guard: ArchiveGuard, onEntry: (entry: ArchiveEntry) => Promise<void>, signal?: AbortSignal): Promise<void> {
  if (isZstd(tar)) throw zstdRefused(guard.what);
  guard.count(tar.length);
  try {
    for (const entry of tarEntries(tar)) {
      signal?.throwIfAborted();
      const admitted = guard.admit({ name: entry.name, type: entry.type, linkname: entry.linkname });
      const body = Readable.from(entry.body.length ? [entry.body] : [], { objectMode: false });
      await onEntry({ ...admitted, size: entry.size, mode: entry.mode, body, bytes: entry.body });
    }
  } catch (error) {
    throw error instanceof TarFormatError ? archiveError(error, guard.what) : error;
  }
}

function isZstd(magic: Uint8Array): boolean {
  return magic[0] === 0x28 && magic[1] === 0xb5 && magic[2] === 0x2f && magic[3] === 0xfd;
}

function zstdRefused(what: string): ExtractError {
  return new ExtractError(
    ExtractErrorCode.WrongMediaType,
    `${what} is zstd-compressed, which extract does not read`,
    'use `via` docker for images with zstd layers',
  );
}

/** The first bytes of a stream (fewer only when it is shorter), and the stream that still yields all of it. */
async function peekStart(source: Readable, size: number): Promise<{ head: Buffer; stream: Readable }> {
  const iterator = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const seen: Buffer[] = [];
  let length = 0;
  let ended = false;
  try {
    while (length < size) {
      const next = await iterator.next();
      if (next.done) {
        ended = true;
        break;
      }
      seen.push(next.value);
      length += next.value.length;
    }
  } catch (error) {
    source.destroy();
    throw error;
  }
  async function* rest(): AsyncGenerator<Buffer> {
    try {
      yield* seen;
      if (ended) return;
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
    } finally {
      // Stopped early (a refused entry, a failed write): the source is not read any further.
      if (!source.readableEnded) source.destroy();
    }
  }
  return { head: Buffer.concat(seen).subarray(0, size), stream: Readable.from(rest(), { objectMode: false }) };
}

function archiveError(error: unknown, what: string): unknown {
  if (isExtractError(error) || (error instanceof Error && error.name === 'AbortError')) return error;
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) if (isExtractError(e)) return e;
  const message = error instanceof Error ? error.message : String(error);
  return new ExtractError(
    ExtractErrorCode.TarMalformed,
    `${what} is not a readable archive: ${message}`,
    'the layer is damaged or not a tar archive; do not use it',
    error,
  );
}

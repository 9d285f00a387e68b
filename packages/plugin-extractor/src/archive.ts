import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { extract as tarExtract } from 'tar-stream';
import { ExtractError, ExtractErrorCode, isExtractError } from './errors.ts';
import type { ArchiveGuard, EntryKind } from './tar-safety.ts';

const CHUNK_BYTES = 256 * 1024;

/** One archive entry, admitted by the guard; `body` must be read to the end or left to `skip`. */
export interface ArchiveEntry {
  path: string;
  kind: EntryKind;
  size: number;
  mode: number;
  linkTarget: string | undefined;
  body: Readable;
}

/**
 * Streams the entries of a tar or tar+gzip file (sniffed by magic bytes) through a guard.
 * Bytes are counted after decompression, so a small bomb is stopped while it inflates.
 */
export async function readArchive(file: string, guard: ArchiveGuard, onEntry: (entry: ArchiveEntry) => Promise<void>, signal?: AbortSignal): Promise<void> {
  const magic = Buffer.alloc(4);
  const handle = await open(file, 'r');
  try {
    await handle.read(magic, 0, 4, 0);
  } finally {
    await handle.close();
  }
  if (magic[0] === 0x28 && magic[1] === 0xb5 && magic[2] === 0x2f && magic[3] === 0xfd) {
    throw new ExtractError(
      ExtractErrorCode.WrongMediaType,
      `${guard.what} is zstd-compressed, which extract does not read`,
      'use `via` docker for images with zstd layers',
    );
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
  const extractor = tarExtract();
  // Large reads and inflate chunks: a 10 MB plugin goes through in a few dozen callbacks, not seven hundred.
  const source = createReadStream(file, { highWaterMark: CHUNK_BYTES });
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

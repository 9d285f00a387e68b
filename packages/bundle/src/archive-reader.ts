import { truncated, type PartsReader } from './archive-parts.ts';
import { unsafePathReason } from './bundle-paths.ts';
import { BundleError, BundleErrorCode } from './errors.ts';
import { BLOCK, decodeHeader, decodePaxRecords, isZeroBlock, paddingOf } from './tar-format.ts';

const CHUNK = 1024 * 1024;
/** A PAX header larger than this is not one we would write. */
const MAX_PAX_BYTES = 64 * 1024;

/** A regular file of the archive: where its bytes start, across parts. */
export interface ArchiveFile {
  path: string;
  size: number;
  offset: number;
}

/**
 * Walks an archive's entries in order, refusing what a bundle never holds: links, devices, global
 * headers, unsafe paths, the same path twice, bad checksums, and an end before the end marker.
 */
export class ArchiveScanner {
  readonly #reader: PartsReader;
  readonly #seen = new Set<string>();
  #position = 0;
  #current: ArchiveFile | undefined;
  #consumed = true;
  #ended = false;

  constructor(reader: PartsReader) {
    this.#reader = reader;
  }

  /** The next regular file, or undefined at the end marker. Directory entries are checked and passed over. */
  async next(): Promise<ArchiveFile | undefined> {
    if (!this.#consumed) await this.skip();
    for (;;) {
      const header = await this.#block('an entry header');
      if (isZeroBlock(header)) {
        await this.#end();
        return undefined;
      }
      const decoded = decodeHeader(header);
      if (!decoded) throw badArchive(`the entry header at byte ${this.#position - BLOCK} is damaged (checksum or number fields)`);
      let { path, size } = decoded;
      if (decoded.type === 'pax') {
        if (size > MAX_PAX_BYTES) throw badArchive(`an extended header of ${size} bytes at byte ${this.#position - BLOCK}`);
        const records = decodePaxRecords(await this.#bytes(size, 'an extended header'));
        if (!records) throw badArchive(`the extended header at byte ${this.#position - BLOCK} is malformed`);
        const next = await this.#block('an entry header');
        const real = decodeHeader(next);
        if (!real || real.type === 'pax' || real.type === 'global-pax') throw badArchive('an extended header is not followed by an entry');
        ({ path, size } = real);
        if (records.path !== undefined) path = records.path;
        if (records.size !== undefined) {
          size = Number(records.size);
          if (!Number.isSafeInteger(size) || size < 0) throw badArchive(`the extended header gives the size "${records.size}"`);
        }
        if (records.linkpath !== undefined) decoded.linkPath = records.linkpath;
        decoded.type = real.type;
        decoded.flag = real.flag;
      }
      const name = path.endsWith('/') && decoded.type === 'directory' ? path.slice(0, -1) : path;
      const unsafe = unsafePathReason(name);
      if (unsafe) {
        throw new BundleError(
          BundleErrorCode.UnsafePath,
          `the bundle holds the entry "${path}": ${unsafe}`,
          'do not load this bundle; it may write outside its directory',
          {
            file: path,
          },
        );
      }
      if (decoded.type === 'symlink' || decoded.type === 'hardlink') {
        throw new BundleError(
          BundleErrorCode.Link,
          `the bundle holds ${decoded.type === 'symlink' ? 'a symbolic' : 'a hard'} link ${name} -> ${decoded.linkPath}`,
          'a bundle holds only regular files; do not load this one',
          { file: name },
        );
      }
      if (decoded.type !== 'file' && decoded.type !== 'directory') {
        throw badArchive(`the entry ${name} has type "${decoded.flag}"; a bundle holds only regular files and directories`);
      }
      if (this.#seen.has(name)) {
        throw new BundleError(
          BundleErrorCode.DuplicateEntry,
          `the bundle holds ${name} twice`,
          'an archive with one path twice extracts to whichever came last; do not load this bundle',
          { file: name },
        );
      }
      this.#seen.add(name);
      if (decoded.type === 'directory') {
        if (size !== 0) await this.#skipBytes(size + paddingOf(size), `directory ${name}`);
        continue;
      }
      this.#current = { path: name, size, offset: this.#position };
      this.#consumed = false;
      return this.#current;
    }
  }

  /** Streams the current file's bytes to `onChunk` (a reused buffer: copy what you keep). */
  async content(onChunk: (chunk: Buffer) => void | Promise<void>): Promise<void> {
    const file = this.#current;
    if (!file || this.#consumed) throw new TypeError('no current entry');
    const buffer = Buffer.allocUnsafe(Math.min(CHUNK, Math.max(file.size, 1)));
    let left = file.size;
    while (left > 0) {
      const want = Math.min(left, buffer.length);
      const read = await this.#reader.readInto(buffer, this.#position, want);
      if (read < want) throw truncated(file.path);
      this.#position += read;
      left -= read;
      await onChunk(buffer.subarray(0, read));
    }
    await this.#skipBytes(paddingOf(file.size), file.path);
    this.#consumed = true;
  }

  /** Moves past the current file's bytes without reading them. */
  async skip(): Promise<void> {
    const file = this.#current;
    if (!file || this.#consumed) return;
    await this.#skipBytes(file.size + paddingOf(file.size), file.path);
    this.#consumed = true;
  }

  /** The current file's bytes whole, for small files (manifests, the lock); refused above `max`. */
  async readWhole(max: number): Promise<Buffer> {
    const file = this.#current;
    if (!file || this.#consumed) throw new TypeError('no current entry');
    if (file.size > max) throw badArchive(`${file.path} has ${file.size} bytes, more than the ${max} it may have`);
    const bytes = await this.#bytes(file.size, file.path);
    this.#consumed = true;
    return bytes;
  }

  get ended(): boolean {
    return this.#ended;
  }

  async #end(): Promise<void> {
    await this.#block('the end marker');
    // Anything after the end marker but zeros is content a reader would never see: refuse it.
    const buffer = Buffer.alloc(CHUNK);
    for (;;) {
      const read = await this.#reader.readInto(buffer, this.#position, buffer.length);
      if (read === 0) break;
      if (!isZeroBlock(buffer.subarray(0, read))) throw badArchive('the bundle has data after the end of its archive');
      this.#position += read;
    }
    this.#ended = true;
  }

  async #block(what: string): Promise<Buffer> {
    const block = await this.#reader.read(this.#position, BLOCK, what).catch((error: unknown) => {
      throw this.#position >= this.#reader.size ? truncated(what) : error;
    });
    this.#position += BLOCK;
    return block;
  }

  async #bytes(size: number, what: string): Promise<Buffer> {
    const bytes = await this.#reader.read(this.#position, size, what);
    this.#position += size;
    await this.#skipBytes(paddingOf(size), what);
    return bytes;
  }

  async #skipBytes(length: number, what: string): Promise<void> {
    if (this.#position + length > this.#reader.size) throw truncated(what);
    this.#position += length;
  }
}

function badArchive(detail: string): BundleError {
  return new BundleError(
    BundleErrorCode.BadArchive,
    `the bundle is not a valid archive: ${detail}`,
    'copy the bundle again from its source, or create it again',
  );
}

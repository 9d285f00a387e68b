import { open, readdir, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { BundleError, BundleErrorCode, ioError } from './errors.ts';

// An archive is one file, or numbered parts of it (`bundle.tar.000`, `bundle.tar.001`, ...) that
// `cat` joins back: every part but the last exactly the split size.

const PART_DIGITS = 3;

/** The name of part `index` of an archive written to `file`. */
export function partName(file: string, index: number): string {
  return `${file}.${String(index).padStart(PART_DIGITS, '0')}`;
}

/** A size such as `4GiB`, `700MB`, `1048576`: bytes. */
export function parseSize(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*(B|K|KB|KiB|M|MB|MiB|G|GB|GiB|T|TB|TiB)?$/i.exec(text.trim());
  if (!match) return undefined;
  const units: Record<string, number> = {
    b: 1,
    k: 1024,
    kib: 1024,
    kb: 1000,
    m: 1024 ** 2,
    mib: 1024 ** 2,
    mb: 1000 ** 2,
    g: 1024 ** 3,
    gib: 1024 ** 3,
    gb: 1000 ** 3,
    t: 1024 ** 4,
    tib: 1024 ** 4,
    tb: 1000 ** 4,
  };
  const bytes = Math.floor(Number(match[1]) * units[(match[2] ?? 'b').toLowerCase()]!);
  return Number.isSafeInteger(bytes) && bytes > 0 ? bytes : undefined;
}

export interface ArchiveParts {
  /** The archive as named (without a part number). */
  file: string;
  parts: { path: string; size: number }[];
  size: number;
}

/**
 * The parts of an archive named `path`: the file itself, or `path.000`, `path.001`, ... when it was
 * split (naming any part finds them all). A gap in the numbering, or a part shorter than the first
 * that is not the last, is refused.
 */
export async function findArchiveParts(path: string): Promise<ArchiveParts> {
  const numbered = /^(.*)\.(\d{3,})$/.exec(path);
  const file = numbered ? numbered[1]! : path;
  const whole = await stat(file).catch(() => undefined);
  if (whole?.isFile()) return { file, parts: [{ path: file, size: whole.size }], size: whole.size };
  const dir = dirname(file);
  const stem = `${basename(file)}.`;
  const names = await readdir(dir).catch((cause: unknown) => {
    throw ioError(`cannot read ${dir}`, cause);
  });
  const indexes = names
    .filter((name) => name.startsWith(stem) && /^\d{3,}$/.test(name.slice(stem.length)))
    .map((name) => Number(name.slice(stem.length)))
    .sort((a, b) => a - b);
  if (indexes.length === 0) {
    throw new BundleError(BundleErrorCode.NotFound, `${path} does not exist`, 'give the bundle directory, the .tar file, or its first part (.000)');
  }
  for (let i = 0; i < indexes.length; i++) {
    if (indexes[i] !== i) {
      throw new BundleError(
        BundleErrorCode.MissingPart,
        `part ${partName(basename(file), i)} of the bundle is missing (found ${indexes.length} parts up to ${partName(basename(file), indexes.at(-1)!)})`,
        'copy every part of the bundle into the same directory',
        { file: partName(file, i) },
      );
    }
  }
  const parts = await Promise.all(
    indexes.map(async (i) => {
      const part = partName(file, i);
      const info = await stat(part).catch((cause: unknown) => {
        throw ioError(`cannot read ${part}`, cause);
      });
      return { path: part, size: info.size };
    }),
  );
  const splitSize = parts[0]!.size;
  const short = parts.slice(0, -1).find((p) => p.size !== splitSize);
  if (short) {
    throw new BundleError(
      BundleErrorCode.Truncated,
      `part ${basename(short.path)} has ${short.size} bytes, but every part before the last has ${splitSize}`,
      'the part was cut short in transfer; copy it again',
      { file: short.path },
    );
  }
  return { file, parts, size: parts.reduce((sum, p) => sum + p.size, 0) };
}

/** Random reads across the parts of an archive, as if they were one file. */
export class PartsReader {
  readonly parts: ArchiveParts['parts'];
  readonly size: number;
  readonly #handles = new Map<number, Promise<FileHandle>>();

  constructor(parts: ArchiveParts) {
    this.parts = parts.parts;
    this.size = parts.size;
  }

  /** Reads up to `length` bytes at `offset` into `buffer`; fewer only at the end of the archive. */
  async readInto(buffer: Buffer, offset: number, length: number): Promise<number> {
    let done = 0;
    let partStart = 0;
    for (let i = 0; i < this.parts.length && done < length; i++) {
      const part = this.parts[i]!;
      const partEnd = partStart + part.size;
      const at = offset + done;
      if (at < partEnd) {
        const want = Math.min(length - done, partEnd - at);
        const handle = await this.#handle(i);
        const { bytesRead } = await handle.read(buffer, done, want, at - partStart).catch((cause: unknown) => {
          throw ioError(`cannot read ${part.path}`, cause);
        });
        done += bytesRead;
        // A part that shrank since it was listed: stop, the caller sees the short read.
        if (bytesRead < want) break;
      }
      partStart = partEnd;
    }
    return done;
  }

  /** Exactly `length` bytes at `offset`, or a truncation error. */
  async read(offset: number, length: number, what: string): Promise<Buffer> {
    const buffer = Buffer.alloc(length);
    const read = await this.readInto(buffer, offset, length);
    if (read < length) throw truncated(what);
    return buffer;
  }

  async close(): Promise<void> {
    const handles = [...this.#handles.values()];
    this.#handles.clear();
    await Promise.all(handles.map(async (h) => (await h).close()));
  }

  #handle(index: number): Promise<FileHandle> {
    let handle = this.#handles.get(index);
    if (!handle) {
      const path = this.parts[index]!.path;
      handle = open(path, 'r').catch((cause: unknown) => {
        throw ioError(`cannot open ${path}`, cause);
      });
      this.#handles.set(index, handle);
    }
    return handle;
  }
}

export function truncated(what: string): BundleError {
  return new BundleError(BundleErrorCode.Truncated, `the bundle ends inside ${what}`, 'the bundle (or its last part) was cut short in transfer; copy it again');
}

/**
 * Writes one byte stream as an archive file or as parts of `splitSize` bytes, each written under a
 * temporary name and renamed into place by `commit()`, so an interrupted write leaves no part that looks whole.
 */
export class PartsWriter {
  readonly file: string;
  readonly splitSize: number | undefined;
  readonly written: string[] = [];
  #handle: FileHandle | undefined;
  #partBytes = 0;
  #total = 0;

  constructor(file: string, splitSize: number | undefined) {
    this.file = file;
    this.splitSize = splitSize;
  }

  get total(): number {
    return this.#total;
  }

  async write(chunk: Uint8Array): Promise<void> {
    let at = 0;
    while (at < chunk.length) {
      if (!this.#handle || (this.splitSize !== undefined && this.#partBytes === this.splitSize)) await this.#next();
      const room = this.splitSize === undefined ? chunk.length - at : Math.min(chunk.length - at, this.splitSize - this.#partBytes);
      const piece = chunk.subarray(at, at + room);
      await this.#handle!.write(piece).catch((cause: unknown) => {
        throw ioError(`cannot write ${this.#current()}`, cause);
      });
      at += room;
      this.#partBytes += room;
      this.#total += room;
    }
  }

  /** Closes the last part and renames every part into place; returns their paths. */
  async commit(): Promise<string[]> {
    if (!this.#handle) await this.#next();
    await this.#handle!.close();
    this.#handle = undefined;
    const final = this.written.map((_, i) => (this.splitSize === undefined ? this.file : partName(this.file, i)));
    for (let i = 0; i < final.length; i++) await rename(`${final[i]!}.writing`, final[i]!);
    return final;
  }

  /** Removes what was written. */
  async abort(): Promise<void> {
    await this.#handle?.close();
    this.#handle = undefined;
    await Promise.all(this.written.map((p) => rm(p, { force: true })));
  }

  async #next(): Promise<void> {
    await this.#handle?.close();
    const index = this.written.length;
    const path = `${this.splitSize === undefined ? this.file : partName(this.file, index)}.writing`;
    this.#handle = await open(path, 'w').catch((cause: unknown) => {
      throw ioError(`cannot create ${path}`, cause);
    });
    this.written.push(path);
    this.#partBytes = 0;
  }

  #current(): string {
    return this.written.at(-1) ?? this.file;
  }
}

/** Whether `path` is a directory bundle. */
export async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() === true;
}

import dockerignoreModule from '@balena/dockerignore';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pack as tarPack, type Pack } from 'tar-stream';
import { ImageBuilderError, ImageBuilderErrorCode } from './errors.ts';

/**
 * Every entry of a context carries this mtime, so a context's bytes depend only on its files. Not the
 * epoch: engines whose layer diff compares size and mtime (vfs) miss a same-size file copied over one
 * from another reproducible build, and those mostly use the epoch.
 */
export const CONTEXT_MTIME = new Date('2001-01-01T00:00:00Z');

/** A file added to a context on top of its directory: extracted plugins, the lock, a loader binary. */
export interface ContextFile {
  /** Path inside the context, relative and `/`-separated. */
  path: string;
  /** A file on disk (read while the context streams) or bytes in memory. */
  source: { file: string } | { bytes: Buffer };
  executable?: boolean | undefined;
}

export interface BuildContextSpec {
  /** The directory whose files form the context, less what `<dockerfile>.dockerignore` (else `.dockerignore`) excludes. */
  directory: string;
  files?: readonly ContextFile[] | undefined;
  /** The Dockerfile's path in the context: sent even when `.dockerignore` excludes it, as `docker build` does. */
  dockerfile?: string | undefined;
}

/** One entry of a context tar, as it will be written. */
export interface ContextEntry {
  path: string;
  type: 'file' | 'directory' | 'symlink';
  /** 0o644 or 0o755 for files, 0o755 for directories. */
  mode: number;
  size: number;
  source?: ContextFile['source'] | undefined;
  linkTarget?: string | undefined;
}

/**
 * A build context as a deterministic tar: entries sorted by path, one fixed mtime, uid/gid 0, no
 * owner names, modes normalised. The same files always give the same bytes, hence one digest.
 */
export class BuildContext {
  readonly entries: readonly ContextEntry[];
  #digest: Promise<string> | undefined;

  constructor(entries: readonly ContextEntry[]) {
    this.entries = [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  /** `sha256:<hex>` of the tar `pack()` streams; the files are read once for it. */
  digest(): Promise<string> {
    this.#digest ??= (async () => {
      const hash = createHash('sha256');
      await pipeline(this.pack(), hash);
      return `sha256:${hash.digest('hex')}`;
    })();
    return this.#digest;
  }

  /** The context as a tar stream, files read as it is consumed. */
  pack(): Readable {
    const pack = tarPack();
    const out = new PassThrough();
    pack.on('error', (error: Error) => out.destroy(contextReadError(error)));
    pack.pipe(out);
    void (async () => {
      for (const entry of this.entries) await writeEntry(pack, entry);
      pack.finalize();
    })().catch((error: unknown) => out.destroy(contextReadError(error)));
    return out;
  }
}

/** The context of `directory` plus `files`: walks the directory, applies `.dockerignore`, stats every file. */
export async function collectBuildContext(spec: BuildContextSpec): Promise<BuildContext> {
  const rootStat = await lstat(spec.directory).catch(() => undefined);
  if (!rootStat?.isDirectory()) {
    throw new ImageBuilderError(
      ImageBuilderErrorCode.ContextMissing,
      `the build context directory ${spec.directory} does not exist`,
      'point `dockerDir` at the docker/ directory of the falco-airgap sources',
    );
  }
  const ignore = await readDockerignore(spec.directory, spec.dockerfile);
  const keep = new Set(spec.dockerfile ? [spec.dockerfile] : []);
  const entries = new Map<string, ContextEntry>();
  const addParents = (path: string) => {
    for (let slash = path.lastIndexOf('/'); slash > 0; slash = path.lastIndexOf('/', slash - 1)) {
      const parent = path.slice(0, slash);
      if (!entries.has(parent)) entries.set(parent, { path: parent, type: 'directory', mode: 0o755, size: 0 });
    }
  };

  const walk = async (relative: string): Promise<void> => {
    const absolute = relative ? join(spec.directory, relative) : spec.directory;
    const names = (await readdir(absolute)).sort();
    for (const name of names) {
      const path = relative ? `${relative}/${name}` : name;
      const ignored = ignore.ignores(path) && !keep.has(path);
      const stat = await lstat(join(spec.directory, path));
      if (stat.isDirectory()) {
        // An excluded directory is still walked when a `!` rule may bring back something inside it.
        if (ignored && !ignore.hasExceptions) continue;
        if (!ignored) entries.set(path, { path, type: 'directory', mode: 0o755, size: 0 });
        await walk(path);
        continue;
      }
      if (ignored) continue;
      addParents(path);
      if (stat.isSymbolicLink()) {
        entries.set(path, { path, type: 'symlink', mode: 0o777, size: 0, linkTarget: await readlink(join(spec.directory, path)) });
      } else if (stat.isFile()) {
        entries.set(path, { path, type: 'file', mode: stat.mode & 0o111 ? 0o755 : 0o644, size: stat.size, source: { file: join(spec.directory, path) } });
      } else {
        throw new ImageBuilderError(
          ImageBuilderErrorCode.ContextRead,
          `${join(spec.directory, path)} is neither a file, a directory nor a symlink`,
          'remove it from the context directory, or exclude it in .dockerignore',
        );
      }
    }
  };
  await walk('');

  for (const file of spec.files ?? []) {
    assertContextPath(file.path);
    if (entries.has(file.path)) {
      throw new ImageBuilderError(
        ImageBuilderErrorCode.ContextConflict,
        `${file.path} is both in ${spec.directory} and among the files added to the context`,
        'remove the file from the context directory: the builder adds it',
      );
    }
    const size = 'bytes' in file.source ? file.source.bytes.length : (await statInput(file.source.file)).size;
    addParents(file.path);
    entries.set(file.path, { path: file.path, type: 'file', mode: file.executable ? 0o755 : 0o644, size, source: file.source });
  }
  return new BuildContext([...entries.values()]);
}

/** A context path: relative, `/`-separated, no `.` or `..` segments. */
export function assertContextPath(path: string): void {
  const segments = path.split('/');
  if (!path || path.startsWith('/') || segments.some((s) => s === '' || s === '.' || s === '..')) {
    throw new ImageBuilderError(
      ImageBuilderErrorCode.UnsafePath,
      `"${path}" is not a relative path inside a build context`,
      'use paths such as plugins/libjson.so',
    );
  }
}

interface Dockerignore {
  ignores(path: string): boolean;
  hasExceptions: boolean;
}

/** The Dockerfile's own ignore file when it has one (as BuildKit reads them), else the directory's `.dockerignore`. */
async function readDockerignore(directory: string, dockerfile: string | undefined): Promise<Dockerignore> {
  const read = (name: string) =>
    readFile(join(directory, name), 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw contextReadError(error);
    });
  const text = (dockerfile ? await read(`${dockerfile}.dockerignore`) : undefined) ?? (await read('.dockerignore')) ?? '';
  const patterns = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  // A CommonJS module whose factory is also its own `default`: the one spelling both TypeScript and Node agree on.
  const matcher = dockerignoreModule.default().add(patterns);
  return { ignores: (path) => matcher.ignores(path), hasExceptions: patterns.some((p) => p.startsWith('!')) };
}

async function statInput(file: string) {
  const stat = await lstat(file).catch(() => undefined);
  if (!stat?.isFile()) {
    throw new ImageBuilderError(
      ImageBuilderErrorCode.InputMissing,
      `${file} is not a file`,
      'build or extract it first, or point the option naming it elsewhere',
    );
  }
  return stat;
}

function writeEntry(pack: Pack, entry: ContextEntry): Promise<void> {
  const header = {
    name: entry.path,
    type: entry.type,
    mode: entry.mode,
    mtime: CONTEXT_MTIME,
    uid: 0,
    gid: 0,
    uname: '',
    gname: '',
    size: entry.type === 'file' ? entry.size : 0,
    ...(entry.linkTarget === undefined ? {} : { linkname: entry.linkTarget }),
  };
  return new Promise<void>((resolve, reject) => {
    const done = (error?: Error | null) => (error ? reject(error) : resolve());
    if (entry.type !== 'file') {
      pack.entry(header, done);
      return;
    }
    const source = entry.source!;
    if ('bytes' in source) {
      pack.entry(header, source.bytes, done);
      return;
    }
    const sink = pack.entry(header, done);
    sink.on('error', reject);
    // A file that changed size since it was listed ends the tar with an error instead of corrupting it.
    const file = createReadStream(source.file);
    file.on('error', (error) => {
      sink.destroy(error);
      reject(error);
    });
    file.pipe(sink as unknown as NodeJS.WritableStream);
  });
}

function contextReadError(error: unknown): ImageBuilderError {
  if (error instanceof ImageBuilderError) return error;
  return new ImageBuilderError(
    ImageBuilderErrorCode.ContextRead,
    `reading the build context failed: ${(error as Error).message}`,
    'check that no other process changes the context files while the image builds',
    error,
  );
}

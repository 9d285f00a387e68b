import { makeDirectory } from '@falco-airgap/core';
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { copyFile, link, lstat, mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { ExtractError, ExtractErrorCode } from './errors.ts';

const STAGING_DIR = '.falco-airgap-tmp';
const HASH_READ_BYTES = 1024 * 1024;

export type InstallOutcome = 'written' | 'unchanged';

/**
 * The only place extract writes files. Every path is checked to stay inside the root, no
 * symlink on the way is followed, and files arrive by rename from a staging area inside the root,
 * so an interrupted run never leaves a half-written file at its final path.
 */
export class OutputDirectory {
  readonly root: string;
  #staging: string | undefined;
  /** Directories this run created or found to be plain directories, so installing many files checks each once. */
  readonly #checkedDirectories = new Set<string>();

  constructor(root: string) {
    this.root = resolve(root);
  }

  /** Creates the root and a fresh staging area; leftovers of an interrupted run are removed. */
  async open(): Promise<void> {
    await makeDirectory(this.root).catch((error: Error) => {
      throw writeFailed(`cannot create the output directory ${this.root}`, error);
    });
    // The root is the user's choice and may be a symlink; inside it, no symlink is ever followed.
    const info = await stat(this.root);
    if (!info.isDirectory()) throw new ExtractError(ExtractErrorCode.OutputDir, `${this.root} is not a directory`, 'point `outDir` at a directory');
    await rm(join(this.root, STAGING_DIR), { recursive: true, force: true });
    this.#staging = join(this.root, STAGING_DIR, randomBytes(6).toString('hex'));
    await makeDirectory(this.#staging);
  }

  /** A new empty directory in the staging area, for one item's files. */
  async stagingDirectory(name: string): Promise<string> {
    if (!this.#staging) throw new Error('OutputDirectory.open() was not called');
    const dir = join(this.#staging, `${name}-${randomBytes(4).toString('hex')}`);
    await makeDirectory(dir);
    return dir;
  }

  async close(): Promise<void> {
    await rm(join(this.root, STAGING_DIR), { recursive: true, force: true });
  }

  /** Absolute path of a relative one, refused if it escapes the root. */
  resolveInside(relativePath: string): string {
    const target = resolve(this.root, relativePath);
    const rel = relative(this.root, target);
    if (rel === '' || rel.startsWith('..') || isAbsolute(rel) || relativePath.split(/[\\/]/).includes('..')) {
      throw new ExtractError(
        ExtractErrorCode.TarSlip,
        `refusing to write ${JSON.stringify(relativePath)}: it is outside ${this.root}`,
        'this is a bug or a hostile input; nothing was written there',
      );
    }
    return target;
  }

  /** Creates the directories of a relative path one by one, refusing any that is a symlink or a file. */
  async ensureDirectory(relativeDir: string): Promise<string> {
    let current = this.root;
    for (const part of relativeDir.split('/').filter(Boolean)) {
      current = join(current, part);
      if (this.#checkedDirectories.has(current)) continue;
      this.resolveInside(relative(this.root, current).split(sep).join('/'));
      const info = await lstat(current).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return undefined;
        throw writeFailed(`cannot inspect ${current}`, error);
      });
      if (!info) {
        await mkdir(current).catch((error: NodeJS.ErrnoException) => {
          if (error.code !== 'EEXIST') throw writeFailed(`cannot create ${current}`, error);
        });
      } else if (!info.isDirectory()) {
        throw new ExtractError(
          ExtractErrorCode.OutputDir,
          `${current} is ${info.isSymbolicLink() ? 'a symlink' : 'not a directory'}; extract does not write through it`,
          'remove it and run extract again',
        );
      }
      this.#checkedDirectories.add(current);
    }
    return current;
  }

  /**
   * sha256 of a file inside the root, reached without following any symlink, or undefined when it is
   * missing, not a regular file, or behind a symlink or a file on the way (extract would not write there).
   */
  async regularFileSha256(relativePath: string): Promise<string | undefined> {
    const target = this.resolveInside(relativePath);
    let current = this.root;
    for (const part of relativePath.split('/').filter(Boolean).slice(0, -1)) {
      current = join(current, part);
      const info = await lstat(current).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return undefined;
        throw writeFailed(`cannot inspect ${current}`, error);
      });
      if (!info?.isDirectory()) return undefined;
    }
    return sha256OfRegularFile(target);
  }

  /** Moves a verified staged file to its final place, unless an identical file is already there. */
  async installFile(stagedFile: string, relativePath: string, sha256: string): Promise<InstallOutcome> {
    const target = this.resolveInside(relativePath);
    await this.ensureDirectory(relativePath.split('/').slice(0, -1).join('/'));
    if ((await sha256OfRegularFile(target)) === sha256) {
      await rm(stagedFile, { force: true });
      return 'unchanged';
    }
    await rename(stagedFile, target).catch((error: Error) => {
      throw writeFailed(`cannot move ${relativePath} into place`, error);
    });
    return 'written';
  }

  /**
   * A second staged tree holding the same files, so they can be installed and kept as an unpacked
   * layer too: hard links (no byte written twice), a copy where the filesystem has none.
   */
  async stageLinks(files: readonly { path: string; stagedPath: string }[], name: string): Promise<string> {
    const dir = await this.stagingDirectory(name);
    for (const file of files) {
      const target = join(dir, file.path);
      await makeDirectory(dirname(target));
      await link(file.stagedPath, target).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'EXDEV' && error.code !== 'EPERM' && error.code !== 'ENOTSUP') throw writeFailed(`cannot stage ${file.path}`, error);
        return copyFile(file.stagedPath, target);
      });
    }
    return dir;
  }

  /**
   * Replaces a whole directory (e.g. an unpacked layer) by a staged one, in two renames; left
   * alone when it already holds exactly the given files with the same sha256.
   */
  async installDirectory(stagedDir: string, relativeDir: string, files?: readonly { path: string; sha256: string }[]): Promise<InstallOutcome> {
    const target = this.resolveInside(relativeDir);
    await this.ensureDirectory(relativeDir.split('/').slice(0, -1).join('/'));
    const existing = await lstat(target).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw writeFailed(`cannot inspect ${target}`, error);
    });
    if (existing?.isDirectory() && files && (await holdsExactly(target, files))) {
      await rm(stagedDir, { recursive: true, force: true });
      return 'unchanged';
    }
    const old = `${stagedDir}.old`;
    if (existing) await rename(target, old);
    await rename(stagedDir, target);
    if (existing) await rm(old, { recursive: true, force: true });
    return 'written';
  }

  /** Writes small content (the lock) through a temp file and a rename; skipped when identical. */
  async writeFile(relativePath: string, content: string): Promise<InstallOutcome> {
    const target = this.resolveInside(relativePath);
    await this.ensureDirectory(relativePath.split('/').slice(0, -1).join('/'));
    const current = await readFile(target, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw writeFailed(`cannot read ${target}`, error);
    });
    if (current === content) return 'unchanged';
    const temp = `${target}.${randomBytes(4).toString('hex')}.tmp`;
    // Not fsynced, like the extracted files it describes: on a busy disk one sync costs tens of milliseconds.
    await writeFile(temp, content, { flag: 'wx' });
    await rename(temp, target);
    return 'written';
  }
}

/** sha256 of a regular file (never through a symlink), or undefined when there is none. */
export async function sha256OfRegularFile(file: string): Promise<string | undefined> {
  const info = await lstat(file).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (!info?.isFile()) return undefined;
  // No following a symlink swapped in since the lstat, and never blocking on anything but a regular file.
  const handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT' || error.code === 'ELOOP') return undefined;
    throw error;
  });
  if (!handle) return undefined;
  try {
    if (!(await handle.stat()).isFile()) return undefined;
    const hash = createHash('sha256');
    // Large reads into one buffer: hashing a 10 MB plugin takes a dozen reads, not 160 stream chunks.
    const buffer = Buffer.allocUnsafe(HASH_READ_BYTES);
    for (let read = await handle.read(buffer, 0, buffer.length); read.bytesRead > 0; read = await handle.read(buffer, 0, buffer.length)) {
      hash.update(buffer.subarray(0, read.bytesRead));
    }
    return hash.digest('hex');
  } finally {
    await handle.close();
  }
}

/** True when `dir` holds these regular files and nothing else (directories aside). */
async function holdsExactly(dir: string, files: readonly { path: string; sha256: string }[]): Promise<boolean> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const found = entries.filter((e) => !e.isDirectory());
  if (found.length !== files.length || found.some((e) => !e.isFile())) return false;
  for (const file of files) {
    if ((await sha256OfRegularFile(join(dir, file.path))) !== file.sha256) return false;
  }
  return true;
}

function writeFailed(message: string, cause: Error): ExtractError {
  return new ExtractError(ExtractErrorCode.WriteFailed, `${message}: ${cause.message}`, 'check the output directory is writable and has space', cause);
}

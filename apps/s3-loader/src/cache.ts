import { parseReleaseDocument, serializeRelease, type ReleaseDocument } from '@falco-airgap/s3-plugin-store';
import { copyFile, mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { hasContent, writeFileAtomically } from './files.ts';

/** Which release a cache entry answers: the same channel, or the same pinned release. */
export interface CacheSelector {
  channel: string | undefined;
  release: string | undefined;
}

interface CachedReleaseFile extends CacheSelector {
  savedAt: string;
  document: string;
}

/**
 * Verified files kept on a volume that outlives the container, by sha256, plus the last release
 * installed: restarts need not download again, and `--on-unavailable use-cached` has a fallback.
 */
export class PluginCache {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  private blobPath(sha256: string): string {
    return join(this.dir, 'blobs', 'sha256', sha256);
  }

  private get releaseFile(): string {
    return join(this.dir, 'last-release.json');
  }

  /** Copies a cached blob to `target` if the cache holds it with the right bytes. */
  async copyVerified(expected: { sha256: string; size: number }, target: string, signal?: AbortSignal): Promise<boolean> {
    const source = this.blobPath(expected.sha256);
    if (!(await hasContent(source, expected, signal))) {
      // A damaged entry is dropped so the next verified download replaces it.
      await rm(source, { force: true });
      return false;
    }
    await copyFile(source, target);
    // Checked again after the copy: the cache volume is outside the loader's control.
    return hasContent(target, expected, signal);
  }

  /** Stores a verified file, unless an entry of that size is there (entries are checked when used). */
  async put(sha256: string, size: number, verifiedFile: string): Promise<void> {
    const target = this.blobPath(sha256);
    const present = await stat(target).catch(() => undefined);
    if (present?.size === size) return;
    await mkdir(join(this.dir, 'blobs', 'sha256'), { recursive: true });
    const temporary = `${target}.tmp-${process.pid}`;
    await copyFile(verifiedFile, temporary);
    await rename(temporary, target);
  }

  async saveRelease(release: ReleaseDocument, selector: CacheSelector, savedAt: Date): Promise<void> {
    const entry: CachedReleaseFile = {
      channel: selector.channel,
      release: selector.release,
      savedAt: savedAt.toISOString(),
      document: serializeRelease(release),
    };
    await writeFileAtomically(this.releaseFile, JSON.stringify(entry));
  }

  /** The last release installed for this selector, checked again like one read from S3; undefined when there is none. */
  async loadRelease(selector: CacheSelector): Promise<{ release: ReleaseDocument; savedAt: string } | undefined> {
    let entry: CachedReleaseFile;
    try {
      entry = JSON.parse(await readFile(this.releaseFile, 'utf8')) as CachedReleaseFile;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' || error instanceof SyntaxError) return undefined;
      throw error;
    }
    if (entry.channel !== selector.channel || entry.release !== selector.release) return undefined;
    return { release: parseReleaseDocument(entry.document, this.releaseFile), savedAt: entry.savedAt };
  }

  /** Drops blobs the last release does not use, so the cache holds one release, not every one ever seen. */
  async prune(keep: ReadonlySet<string>): Promise<void> {
    const dir = join(this.dir, 'blobs', 'sha256');
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    for (const name of names) if (!keep.has(name)) await rm(join(dir, name), { force: true });
  }
}

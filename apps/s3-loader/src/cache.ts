import { makeDirectory } from '@falco-airgap/core';
import { isS3StoreError, parseReleaseDocument, serializeRelease, type ReleaseDocument } from '@falco-airgap/s3-plugin-store';
import { createHash } from 'node:crypto';
import { copyFile, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { hasContent, writeFileAtomically } from './files.ts';

/**
 * Which release a cache entry answers: the same store (endpoint, bucket, prefix) and the same
 * channel, or the same pinned release. A cache filled from another store never answers.
 */
export interface CacheSelector {
  /** The S3 endpoint, or the AWS S3 service when none is set. */
  endpoint: string;
  bucket: string;
  prefix: string;
  channel: string | undefined;
  release: string | undefined;
}

interface CachedRelease {
  selector: CacheSelector;
  savedAt: string;
  document: string;
}

const AWS_S3 = 'aws-s3';

/** The selector of a loader configuration. */
export function cacheSelectorOf(config: {
  endpoint: string | undefined;
  bucket: string;
  prefix: string;
  channel: string | undefined;
  release: string | undefined;
}): CacheSelector {
  return { endpoint: config.endpoint ?? AWS_S3, bucket: config.bucket, prefix: config.prefix, channel: config.channel, release: config.release };
}

const sameSelector = (a: CacheSelector, b: CacheSelector) =>
  a.endpoint === b.endpoint && a.bucket === b.bucket && a.prefix === b.prefix && a.channel === b.channel && a.release === b.release;

/**
 * Verified files kept on a volume that outlives the container, by sha256, plus the last release
 * installed for each store and channel: restarts need not download again, and
 * `--on-unavailable use-cached` has a fallback.
 */
export class PluginCache {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  private blobPath(sha256: string): string {
    return join(this.dir, 'blobs', 'sha256', sha256);
  }

  private get releasesDir(): string {
    return join(this.dir, 'releases');
  }

  private releaseFile(selector: CacheSelector): string {
    const key = createHash('sha256')
      .update(JSON.stringify([selector.endpoint, selector.bucket, selector.prefix, selector.channel ?? '', selector.release ?? '']))
      .digest('hex');
    return join(this.releasesDir, `${key.slice(0, 32)}.json`);
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
    await makeDirectory(join(this.dir, 'blobs', 'sha256'));
    const temporary = `${target}.tmp-${process.pid}`;
    await copyFile(verifiedFile, temporary);
    await rename(temporary, target);
  }

  async saveRelease(release: ReleaseDocument, selector: CacheSelector, savedAt: Date): Promise<void> {
    const entry: CachedRelease = { selector, savedAt: savedAt.toISOString(), document: serializeRelease(release) };
    await writeFileAtomically(this.releaseFile(selector), JSON.stringify(entry));
  }

  /**
   * The last release installed for exactly this store and channel (or pinned release), checked
   * again like one read from S3; undefined when there is none.
   */
  async loadRelease(selector: CacheSelector): Promise<{ release: ReleaseDocument; savedAt: string } | undefined> {
    const file = this.releaseFile(selector);
    const entry = await readEntry(file);
    if (!entry || !sameSelector(entry.selector, selector)) return undefined;
    const release = parseReleaseDocument(entry.document, file);
    if (selector.release !== undefined && release.id !== selector.release) return undefined;
    return { release, savedAt: entry.savedAt };
  }

  /** Drops blobs no cached release uses, so the cache holds the releases it answers for, not every one ever seen. */
  async prune(): Promise<void> {
    const keep = new Set<string>();
    for (const name of await listDir(this.releasesDir)) {
      const file = join(this.releasesDir, name);
      const entry = await readEntry(file);
      if (!entry) continue;
      let release: ReleaseDocument;
      try {
        release = parseReleaseDocument(entry.document, file);
      } catch (error) {
        // An entry that fails its checks would be refused when used: it keeps nothing and goes.
        if (!isS3StoreError(error)) throw error;
        await rm(file, { force: true });
        continue;
      }
      for (const item of [...release.plugins, ...release.rulesfiles]) keep.add(item.sha256);
    }
    const dir = join(this.dir, 'blobs', 'sha256');
    for (const name of await listDir(dir)) if (!keep.has(name)) await rm(join(dir, name), { force: true });
  }
}

async function readEntry(file: string): Promise<CachedRelease | undefined> {
  let entry: CachedRelease;
  try {
    entry = JSON.parse(await readFile(file, 'utf8')) as CachedRelease;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || error instanceof SyntaxError) return undefined;
    throw error;
  }
  return typeof entry?.document === 'string' && typeof entry.selector === 'object' && entry.selector !== null ? entry : undefined;
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

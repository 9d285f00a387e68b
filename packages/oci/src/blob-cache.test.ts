import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BlobCache } from './blob-cache.ts';
import { digestOf } from './digest.ts';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'oci-cache-'));
});
afterEach(() => rm(root, { recursive: true, force: true }));

describe('BlobCache shared by two runs', () => {
  it('lets two writers of one blob both commit, and never shows a reader a partial file', async () => {
    const bytes = randomBytes(256 * 1024);
    const digest = digestOf(bytes);
    // Two caches over one directory: two extracts (two processes) sharing --cache-dir.
    const [one, two] = [new BlobCache(root), new BlobCache(root)];
    const [a, b] = await Promise.all([one.writer(digest, bytes.length, 'blob'), two.writer(digest, bytes.length, 'blob')]);
    await a.write(bytes.subarray(0, 1000));
    await b.write(bytes.subarray(0, 5000));
    expect(await new BlobCache(root).has(digest, bytes.length)).toBe(false);
    await a.write(bytes.subarray(1000));
    expect(await a.commit()).toBe(one.path(digest));
    expect(await new BlobCache(root).has(digest, bytes.length)).toBe(true);
    await b.write(bytes.subarray(5000));
    await b.commit();
    expect(await readFile(one.path(digest))).toEqual(bytes);
    expect(await readdir(join(root, 'ingest'))).toEqual([]);
  });

  it('leaves the committed blob in place when another writer of it aborts or fails verification', async () => {
    const bytes = randomBytes(64 * 1024);
    const digest = digestOf(bytes);
    await new BlobCache(root).put(digest, bytes);
    const damaged = await new BlobCache(root).writer(digest, bytes.length, 'blob');
    await damaged.write(randomBytes(bytes.length));
    await expect(damaged.commit()).rejects.toMatchObject({ code: 'OCI_DIGEST_MISMATCH' });
    const aborted = await new BlobCache(root).writer(digest, bytes.length, 'blob');
    await aborted.write(bytes.subarray(0, 10));
    await aborted.abort();
    expect(await new BlobCache(root).read(digest, bytes.length)).toEqual(bytes);
  });
});

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

describe('BlobCache writes nobody waits for', () => {
  it('shows the blob to a reader as soon as it is asked for, and settles every write', async () => {
    const cache = new BlobCache(root);
    const blobs = [randomBytes(1000), randomBytes(2000), randomBytes(3000)];
    for (const bytes of blobs) cache.putInBackground(digestOf(bytes), bytes);
    // A reader of the digest waits for its write instead of missing it.
    expect(await cache.read(digestOf(blobs[1]!), 2000)).toEqual(blobs[1]);
    await cache.settle();
    for (const bytes of blobs) expect(await readFile(cache.path(digestOf(bytes)))).toEqual(bytes);
    expect(await readdir(join(root, 'ingest'))).toEqual([]);
  });

  it('leaves neither an entry nor a temp file when the bytes are not what the digest names', async () => {
    const cache = new BlobCache(root);
    const bytes = randomBytes(1000);
    cache.putInBackground(digestOf(randomBytes(1000)), bytes);
    await cache.settle();
    expect(await readdir(join(root, 'ingest'))).toEqual([]);
    expect(await readdir(join(root, 'blobs', 'sha256'))).toEqual([]);
  });
});

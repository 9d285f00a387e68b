import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  compositeSha256,
  hexToBase64,
  isS3StoreError,
  partDigestsOf,
  S3StoreErrorCode,
  sha256Hex,
  type ObjectReader,
  type ObjectStore,
} from '@falco-airgap/s3-plugin-store';
import { fixtureBytes } from './fixture-lock.ts';
import { failure } from './failure.ts';

/** S3 refuses parts under 5 MiB (but the last), so the suite uses the smallest legal part. */
const PART = 5 * 1024 * 1024;

async function collect(iterable: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of iterable) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/**
 * What every ObjectStore must do, run against the in-memory fake and the S3 adapter alike,
 * so the fake the unit tests rely on cannot drift from the real server.
 */
export interface OpenedObjectStore {
  store: ObjectStore;
  prefix: string;
  /** Starts a multipart upload and leaves it unfinished, as a killed process would; returns its id. */
  leaveUnfinishedUpload: (key: string) => Promise<string>;
  close?: () => Promise<void>;
}

async function uploadsUnder(store: ObjectStore, prefix: string): Promise<string[]> {
  const found: string[] = [];
  for await (const upload of store.listUploads(prefix)) found.push(upload.key);
  return found;
}

export function describeObjectStoreContract(name: string, open: () => Promise<OpenedObjectStore>): void {
  describe(`ObjectStore contract: ${name}`, () => {
    let store: ObjectStore;
    let prefix: string;
    let leaveUnfinishedUpload: OpenedObjectStore['leaveUnfinishedUpload'];
    let close: (() => Promise<void>) | undefined;
    let dir: string;

    beforeAll(async () => {
      ({ store, prefix, close, leaveUnfinishedUpload } = await open());
      dir = await mkdtemp(join(tmpdir(), 'object-store-contract-'));
    });
    afterAll(async () => {
      await close?.();
      await rm(dir, { recursive: true, force: true });
    });

    it('answers undefined for a key it does not hold', async () => {
      expect(await store.head(`${prefix}missing`)).toBeUndefined();
      expect(await store.get(`${prefix}missing`)).toBeUndefined();
      expect(await store.getStream(`${prefix}missing`)).toBeUndefined();
    });

    it('stores a small object with its SHA-256 checksum and an ETag', async () => {
      const body = Buffer.from('{"hello":"world"}\n');
      const { etag } = await store.put(`${prefix}docs/a.json`, body, { contentType: 'application/json' });
      expect(etag).toMatch(/^".+"$/);
      const info = await store.head(`${prefix}docs/a.json`);
      expect(info).toMatchObject({ size: body.length, etag, checksumSha256: hexToBase64(sha256Hex(body)) });
      const got = await store.get(`${prefix}docs/a.json`);
      expect(Buffer.from(got!.body).equals(body)).toBe(true);
      expect(got!.etag).toBe(etag);
    });

    it('refuses a create-only write over an existing object and keeps the object', async () => {
      const key = `${prefix}docs/create-only.json`;
      await store.put(key, Buffer.from('first'), { ifNoneMatch: '*' });
      const error = await failure(store.put(key, Buffer.from('second'), { ifNoneMatch: '*' }));
      expect(isS3StoreError(error, S3StoreErrorCode.PreconditionFailed)).toBe(true);
      expect(Buffer.from((await store.get(key))!.body).toString()).toBe('first');
    });

    it('applies a compare-and-swap write only against the current ETag', async () => {
      const key = `${prefix}docs/pointer.json`;
      const first = await store.put(key, Buffer.from('{"release":"r1"}'), { ifNoneMatch: '*' });
      const second = await store.put(key, Buffer.from('{"release":"r2"}'), { ifMatch: first.etag });
      expect(second.etag).not.toBe(first.etag);
      const stale = await failure(store.put(key, Buffer.from('{"release":"r3"}'), { ifMatch: first.etag }));
      expect(isS3StoreError(stale, S3StoreErrorCode.PreconditionFailed)).toBe(true);
      expect(Buffer.from((await store.get(key))!.body).toString()).toBe('{"release":"r2"}');
    });

    it('uploads a file in one piece with its SHA-256 checksum and metadata', async () => {
      const bytes = fixtureBytes('single', 300 * 1024);
      const file = join(dir, 'single.bin');
      await writeFile(file, bytes);
      const sha256 = sha256Hex(bytes);
      const progress: number[] = [];
      const result = await store.upload(`${prefix}blobs/${sha256}`, file, {
        sha256,
        size: bytes.length,
        metadata: { sha256 },
        onProgress: (loaded) => progress.push(loaded),
      });
      expect(result).toMatchObject({ multipart: false, checksumSha256: hexToBase64(sha256) });
      expect(progress.at(-1)).toBe(bytes.length);
      const info = await store.head(`${prefix}blobs/${sha256}`);
      expect(info).toMatchObject({ size: bytes.length, checksumSha256: hexToBase64(sha256), metadata: { sha256 } });
      expect((await collect((await store.getStream(`${prefix}blobs/${sha256}`))!.body)).equals(bytes)).toBe(true);
    });

    it('refuses a one-piece upload whose bytes do not have the announced SHA-256, and stores nothing', async () => {
      const file = join(dir, 'liar.bin');
      await writeFile(file, fixtureBytes('liar', 1024));
      const claimed = sha256Hex(Buffer.from('other bytes'));
      const error = await failure(store.upload(`${prefix}blobs/liar`, file, { sha256: claimed, size: 1024 }));
      expect(isS3StoreError(error, S3StoreErrorCode.Sha256Mismatch)).toBe(true);
      expect(await store.head(`${prefix}blobs/liar`)).toBeUndefined();
    });

    it('refuses a create-only upload over an existing object, in one piece or in parts, and leaves no upload behind', async () => {
      const bytes = fixtureBytes('create-only', PART + 100);
      const file = join(dir, 'create-only.bin');
      await writeFile(file, bytes);
      const sha256 = sha256Hex(bytes);
      const key = `${prefix}create-only/${sha256}`;
      await store.put(key, Buffer.from('already here'));
      for (const multipartThreshold of [2 * PART, PART]) {
        const error = await failure(store.upload(key, file, { sha256, size: bytes.length, multipartThreshold, partSize: PART, ifNoneMatch: '*' }));
        expect(isS3StoreError(error, S3StoreErrorCode.PreconditionFailed)).toBe(true);
      }
      expect(Buffer.from((await store.get(key))!.body).toString()).toBe('already here');
      expect(await uploadsUnder(store, key)).toEqual([]);
    }, 60_000);

    it('refuses an upload in parts whose bytes do not have the announced SHA-256: no object, no upload left', async () => {
      const bytes = fixtureBytes('liar parts', PART + 4096);
      const file = join(dir, 'liar-parts.bin');
      await writeFile(file, bytes);
      const key = `${prefix}liar-parts/blob`;
      const error = await failure(
        store.upload(key, file, { sha256: sha256Hex(Buffer.from('other')), size: bytes.length, multipartThreshold: PART, partSize: PART }),
      );
      expect(isS3StoreError(error, S3StoreErrorCode.Sha256Mismatch)).toBe(true);
      expect(await store.head(key)).toBeUndefined();
      expect(await uploadsUnder(store, key)).toEqual([]);
    }, 60_000);

    // Asked by the exact key: MinIO answers nothing for a shorter prefix, AWS S3 and the fake do.
    it('lists the unfinished uploads of a key and aborts them; aborting one already gone is not an error', async () => {
      const key = `${prefix}unfinished/blob`;
      const uploadId = await leaveUnfinishedUpload(key);
      await leaveUnfinishedUpload(`${key}-other`);
      const listed = [];
      for await (const upload of store.listUploads(key)) if (upload.key === key) listed.push(upload);
      expect(listed).toEqual([{ key, uploadId, initiated: expect.any(Date) }]);
      await store.abortUpload(key, uploadId);
      await store.abortUpload(key, uploadId);
      expect((await uploadsUnder(store, key)).filter((k) => k === key)).toEqual([]);
      expect(await store.head(key)).toBeUndefined();
    });

    it('uploads a large file in parts and reports the composite SHA-256 of its parts', async () => {
      const bytes = fixtureBytes('multipart', 2 * PART + 12345);
      const file = join(dir, 'large.bin');
      await writeFile(file, bytes);
      const sha256 = sha256Hex(bytes);
      const key = `${prefix}blobs/${sha256}`;
      const result = await store.upload(key, file, {
        sha256,
        size: bytes.length,
        multipartThreshold: PART,
        partSize: PART,
        metadata: { 'part-size': String(PART) },
      });
      const composite = compositeSha256(partDigestsOf(bytes, PART));
      expect(result).toMatchObject({ multipart: true, checksumSha256: composite });
      expect(await store.head(key)).toMatchObject({ size: bytes.length, checksumSha256: composite, metadata: { 'part-size': String(PART) } });
      const stream = await store.getStream(key);
      expect(stream!.size).toBe(bytes.length);
      expect((await collect(stream!.body)).equals(bytes)).toBe(true);
    }, 60_000);

    it('lists the keys under a prefix with their sizes', async () => {
      await store.put(`${prefix}list/b`, Buffer.from('bb'));
      await store.put(`${prefix}list/a`, Buffer.from('a'));
      await store.put(`${prefix}listing-not-under`, Buffer.from('x'));
      const listed = [];
      for await (const object of store.list(`${prefix}list/`)) listed.push([object.key, object.size, object.lastModified instanceof Date]);
      expect(listed).toEqual([
        [`${prefix}list/a`, 1, true],
        [`${prefix}list/b`, 2, true],
      ]);
    });

    it('deletes keys, and deleting a missing key is not an error', async () => {
      await store.delete([`${prefix}list/a`, `${prefix}list/never-was`]);
      const left = [];
      for await (const object of store.list(`${prefix}list/`)) left.push(object.key);
      expect(left).toEqual([`${prefix}list/b`]);
    });
  });
}

/**
 * What every read-only adapter must do (the loader's own S3 reader), with a full store seeding
 * the objects it reads.
 */
export function describeObjectReaderContract(
  name: string,
  open: () => Promise<{ reader: ObjectReader; writer: ObjectStore; prefix: string; close?: () => Promise<void> }>,
): void {
  describe(`ObjectReader contract: ${name}`, () => {
    let reader: ObjectReader;
    let writer: ObjectStore;
    let prefix: string;
    let close: (() => Promise<void>) | undefined;
    let dir: string;

    beforeAll(async () => {
      ({ reader, writer, prefix, close } = await open());
      dir = await mkdtemp(join(tmpdir(), 'object-reader-contract-'));
    });
    afterAll(async () => {
      await close?.();
      await rm(dir, { recursive: true, force: true });
    });

    it('answers undefined for a key it does not hold', async () => {
      expect(await reader.head(`${prefix}missing`)).toBeUndefined();
      expect(await reader.get(`${prefix}missing`)).toBeUndefined();
      expect(await reader.getStream(`${prefix}missing`)).toBeUndefined();
    });

    it('reads a document with the ETag the writer got', async () => {
      const body = Buffer.from('{"release":"r1","previous":[],"updatedAt":"t"}\n');
      const { etag } = await writer.put(`${prefix}channels/prod.json`, body);
      const got = await reader.get(`${prefix}channels/prod.json`);
      expect(Buffer.from(got!.body).equals(body)).toBe(true);
      expect(got!.etag).toBe(etag);
      expect(await reader.head(`${prefix}channels/prod.json`)).toMatchObject({ size: body.length, etag, checksumSha256: hexToBase64(sha256Hex(body)) });
    });

    it('streams a multipart object with its size', async () => {
      const bytes = fixtureBytes('reader multipart', PART + 4321);
      const file = join(dir, 'large.bin');
      await writeFile(file, bytes);
      const sha256 = sha256Hex(bytes);
      await writer.upload(`${prefix}blobs/${sha256}`, file, { sha256, size: bytes.length, multipartThreshold: PART, partSize: PART, metadata: { sha256 } });
      const stream = await reader.getStream(`${prefix}blobs/${sha256}`);
      expect(stream!.size).toBe(bytes.length);
      expect((await collect(stream!.body)).equals(bytes)).toBe(true);
      expect(await reader.head(`${prefix}blobs/${sha256}`)).toMatchObject({ size: bytes.length, metadata: { sha256 } });
    }, 60_000);
  });
}

import { GetObjectCommand, HeadObjectCommand, ListMultipartUploadsCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseChannelPointer } from './channel-pointer.ts';
import { isS3StoreError } from './errors.ts';
import type { ObjectStore, PutOptions, UploadOptions } from './object-store.ts';
import { PluginStore, type ChannelChange } from './plugin-store.ts';
import { S3ObjectStore } from './s3-object-store.ts';
import { writeFixtureLock, type FixtureLock, type FixturePlugin } from '@falco-airgap/test-support';
import { openTestbedBucket, type TestbedBucket } from '@falco-airgap/test-support';

const PREFIX = 'falco/plugins';
const MiB = 1024 * 1024;
let testbed: TestbedBucket;
let dir: string;

beforeAll(async () => {
  testbed = await openTestbedBucket('store-integ');
  dir = await mkdtemp(join(tmpdir(), 'store-integ-'));
});
afterAll(async () => {
  await testbed?.destroy();
  await rm(dir, { recursive: true, force: true });
});

/** Counts the writes that reach S3, so "publishes nothing" is measured, not assumed. */
class CountingObjectStore implements ObjectStore {
  writes: string[] = [];
  private readonly inner: ObjectStore;
  private readonly beforePut: ((key: string) => Promise<void>) | undefined;
  constructor(inner: ObjectStore, beforePut?: (key: string) => Promise<void>) {
    this.inner = inner;
    this.beforePut = beforePut;
  }
  head: ObjectStore['head'] = (key, options) => this.inner.head(key, options);
  get: ObjectStore['get'] = (key, options) => this.inner.get(key, options);
  getStream: ObjectStore['getStream'] = (key, options) => this.inner.getStream(key, options);
  list: ObjectStore['list'] = (prefix, options) => this.inner.list(prefix, options);
  listUploads: ObjectStore['listUploads'] = (prefix, options) => this.inner.listUploads(prefix, options);
  async abortUpload(key: string, uploadId: string) {
    this.writes.push(`abort ${key}`);
    return this.inner.abortUpload(key, uploadId);
  }
  async put(key: string, body: Uint8Array, options?: PutOptions) {
    await this.beforePut?.(key);
    this.writes.push(`put ${key}`);
    return this.inner.put(key, body, options);
  }
  async upload(key: string, file: string, options: UploadOptions) {
    this.writes.push(`upload ${key}`);
    return this.inner.upload(key, file, options);
  }
  async delete(keys: readonly string[]) {
    this.writes.push(...keys.map((k) => `delete ${k}`));
    return this.inner.delete(keys);
  }
}

function store(objects: ObjectStore = new S3ObjectStore({ client: testbed.client, bucket: testbed.bucket })) {
  return new PluginStore({ objects, prefix: PREFIX, multipartThreshold: 8 * MiB, partSize: 5 * MiB });
}

let fixtures = 0;
async function fixture(plugins: FixturePlugin[]): Promise<FixtureLock> {
  return writeFixtureLock(join(dir, `f${fixtures++}`), {
    plugins,
    rulesfiles: [{ name: 'falco-rules', version: '5.1.0', files: [{ file: 'falco_rules.yaml', text: '- rule: integ\n' }] }],
  });
}

async function channelPointer(channel: string) {
  const got = await testbed.client.send(new GetObjectCommand({ Bucket: testbed.bucket, Key: `${PREFIX}/channels/${channel}.json` }));
  return parseChannelPointer(await got.Body!.transformToString(), channel);
}

describe('publish against S3', () => {
  let first: FixtureLock;

  it('uploads every file, a large one in parts, and writes the release', async () => {
    first = await fixture([
      { name: 'k8saudit', version: '0.18.0', size: 64 * 1024 },
      { name: 'container', version: '0.7.1', size: 12 * MiB, platforms: ['linux/amd64'] },
    ]);
    const counting = new CountingObjectStore(new S3ObjectStore({ client: testbed.client, bucket: testbed.bucket }));
    const result = await store(counting).publish(first.lock, first.extractedDir);
    expect(result.releaseStatus).toBe('created');
    expect(result.blobs.map((b) => b.action)).toEqual(['uploaded', 'uploaded', 'uploaded', 'uploaded']);
    expect(counting.writes.filter((w) => w.startsWith('upload'))).toHaveLength(4);

    const big = first.lock.plugins.find((p) => p.name === 'container')!.platforms[0]!;
    const head = await testbed.client.send(
      new HeadObjectCommand({ Bucket: testbed.bucket, Key: `${PREFIX}/blobs/sha256/${big.sha256}`, ChecksumMode: 'ENABLED' }),
    );
    expect(head.ContentLength).toBe(12 * MiB);
    expect(head.ChecksumSHA256).toMatch(/-3$/);
    expect(head.Metadata).toMatchObject({ sha256: big.sha256, 'part-size': String(5 * MiB) });
  });

  it('uploads and writes nothing the second time', async () => {
    const counting = new CountingObjectStore(new S3ObjectStore({ client: testbed.client, bucket: testbed.bucket }));
    const again = await store(counting).publish(first.lock, first.extractedDir);
    expect(counting.writes).toEqual([]);
    expect(again.releaseStatus).toBe('present');
    expect(again.uploadedBytes).toBe(0);
  });

  it('never overwrites a blob that was altered in the bucket: it reports the conflict and leaves the object', async () => {
    const victim = first.lock.plugins.find((p) => p.name === 'k8saudit')!.platforms[0]!;
    const key = `${PREFIX}/blobs/sha256/${victim.sha256}`;
    await testbed.client.send(new PutObjectCommand({ Bucket: testbed.bucket, Key: key, Body: Buffer.alloc(victim.size, 7) }));
    const error = await store()
      .publish(first.lock, first.extractedDir)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(isS3StoreError(error, 'S3STORE_BLOB_CONFLICT')).toBe(true);
    const got = await testbed.client.send(new GetObjectCommand({ Bucket: testbed.bucket, Key: key }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(Buffer.alloc(victim.size, 7))).toBe(true);
    // Put back by an administrator, the blob is accepted again.
    await testbed.client.send(new PutObjectCommand({ Bucket: testbed.bucket, Key: key, Body: first.bytes.get(`${victim.platform} k8saudit`)! }));
    expect((await store().publish(first.lock, first.extractedDir)).blobs.every((b) => b.action === 'present')).toBe(true);
  });

  it('aborts its multipart upload when interrupted: nothing is left in the bucket', async () => {
    const big = await fixture([{ name: 'cloudtrail', version: '0.1.0', size: 24 * MiB, platforms: ['linux/amd64'] }]);
    const file = big.lock.plugins[0]!.platforms[0]!;
    const key = `${PREFIX}/blobs/sha256/${file.sha256}`;
    const controller = new AbortController();
    const outcome = await new PluginStore({
      objects: new S3ObjectStore({ client: testbed.client, bucket: testbed.bucket }),
      prefix: PREFIX,
      multipartThreshold: 5 * MiB,
      partSize: 5 * MiB,
      partConcurrency: 1,
      onEvent: (event) => {
        if (event.type === 'blob-progress' && event.loaded >= 5 * MiB) controller.abort(new Error('interrupted'));
      },
    })
      .publish(big.lock, big.extractedDir, { signal: controller.signal })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(isS3StoreError(outcome, 'S3STORE_ABORTED')).toBe(true);
    const uploads = await testbed.client.send(new ListMultipartUploadsCommand({ Bucket: testbed.bucket, Prefix: key }));
    expect(uploads.Uploads ?? []).toEqual([]);
    await expect(testbed.client.send(new HeadObjectCommand({ Bucket: testbed.bucket, Key: key }))).rejects.toMatchObject({ name: 'NotFound' });
  });
});

describe('channels against S3', () => {
  let releases: string[];

  beforeAll(async () => {
    releases = [];
    for (const version of ['0.7.0', '0.7.1', '0.7.2', '0.7.3']) {
      const f = await fixture([{ name: 'json', version, platforms: ['linux/amd64'] }]);
      releases.push((await store().publish(f.lock, f.extractedDir)).release.id);
    }
  });

  it('promotes and rolls back with the history kept in the pointer', async () => {
    const [r0, r1] = releases as [string, string];
    await store().promote(r0, 'prod');
    await store().promote(r1, 'prod');
    expect(await channelPointer('prod')).toMatchObject({ release: r1, previous: [r0] });
    expect(await store().rollback('prod')).toMatchObject({ from: r1, to: r0, changed: true });
    expect(await channelPointer('prod')).toMatchObject({ release: r0, previous: [] });
  });

  it('keeps different channels on different releases', async () => {
    const [r0, r1, r2] = releases as [string, string, string];
    await store().promote(r1, 'staging');
    await store().promote(r2, 'cluster-eu-1');
    expect((await store().resolveChannel('prod')).release.id).toBe(r0);
    expect((await store().resolveChannel('staging')).release.id).toBe(r1);
    expect((await store().resolveChannel('cluster-eu-1')).release.id).toBe(r2);
    const listed = await store().listReleases();
    expect(listed.find((r) => r.id === r1)?.channels).toEqual(['staging']);
  });

  it('lets exactly one of two racing promotions win on the real conditional write; nothing is lost', async () => {
    const [r0, , r2, r3] = releases as [string, string, string, string];
    await store().promote(r0, 'race');
    // Both promotions read the pointer before either writes: the server's If-Match decides.
    let arrived = 0;
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const barrier = async (key: string) => {
      if (!key.endsWith('channels/race.json')) return;
      if (++arrived === 2) open();
      await gate;
    };
    const racer = () => store(new CountingObjectStore(new S3ObjectStore({ client: testbed.client, bucket: testbed.bucket }), barrier));
    const outcomes = await Promise.allSettled([racer().promote(r2, 'race'), racer().promote(r3, 'race')]);
    const winners = outcomes.filter((o): o is PromiseFulfilledResult<ChannelChange> => o.status === 'fulfilled');
    const losers = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(winners).toHaveLength(1);
    expect(losers).toHaveLength(1);
    expect(isS3StoreError(losers[0]!.reason, 'S3STORE_CHANNEL_CONFLICT')).toBe(true);
    expect(await channelPointer('race')).toMatchObject({ release: winners[0]!.value.to, previous: [r0] });
  });

  it('serialises many concurrent promotions that retry: every one lands in the history', async () => {
    await store().promote(releases[0]!, 'busy');
    const targets = releases.slice(1);
    const results = await Promise.all(targets.map((id) => store().promote(id, 'busy', { conflictRetries: 10 })));
    expect(results.every((r) => r.changed)).toBe(true);
    const pointer = await channelPointer('busy');
    expect([pointer.release, ...pointer.previous].sort()).toEqual([...releases].sort());
  });
});

describe('gc against S3', () => {
  it('reports unreferenced blobs on a dry run and deletes them only with apply', async () => {
    const orphan = `${PREFIX}/blobs/sha256/${'0'.repeat(64)}`;
    await testbed.client.send(new PutObjectCommand({ Bucket: testbed.bucket, Key: orphan, Body: Buffer.from('left behind by an aborted publish') }));
    const dry = await store().gc({ minAgeMs: 0 });
    expect(dry.delete.map((b) => b.key)).toEqual([orphan]);
    expect(dry.missing).toEqual([]);
    expect(dry.referenced).toBeGreaterThan(0);
    expect((await testbed.client.send(new HeadObjectCommand({ Bucket: testbed.bucket, Key: orphan }))).ContentLength).toBeGreaterThan(0);

    // Against the default minimum age the fresh orphan is too young to go.
    expect((await store().gc({ apply: true })).deleted).toBe(0);
    const applied = await store().gc({ apply: true, minAgeMs: 0 });
    expect(applied).toMatchObject({ applied: true, deleted: 1 });
    await expect(testbed.client.send(new HeadObjectCommand({ Bucket: testbed.bucket, Key: orphan }))).rejects.toMatchObject({ name: 'NotFound' });
    expect((await store().gc({ minAgeMs: 0 })).delete).toEqual([]);
  });
});

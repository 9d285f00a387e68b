import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseChannelPointer } from './channel-pointer.ts';
import type { S3StoreErrorCode } from './errors.ts';
import { isS3StoreError } from './errors.ts';
import type { StoreEvent } from './events.ts';
import { MemoryObjectStore, type MemoryOperation } from './memory-object-store.ts';
import { PluginStore } from './plugin-store.ts';
import { parseReleaseDocument } from './release.ts';
import { writeFixtureLock, type FixturePlugin } from '@falco-airgap/test-support';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'plugin-store-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const basePlugins: FixturePlugin[] = [
  { name: 'k8saudit', version: '0.18.0' },
  { name: 'container', version: '0.7.1' },
];

let clock = 0;
const now = () => new Date(Date.UTC(2026, 0, 1) + clock++ * 1000);

function storeOn(objects: MemoryObjectStore, events: StoreEvent[] = []) {
  return new PluginStore({ objects, prefix: 'falco/plugins', now, onEvent: (e) => events.push(e) });
}

async function fixture(plugins = basePlugins, sub = 'a') {
  return writeFixtureLock(join(dir, sub), {
    plugins,
    rulesfiles: [{ name: 'falco-rules', version: '5.1.0', files: [{ file: 'falco_rules.yaml', text: '- rule: example\n' }] }],
  });
}

async function rejection(call: Promise<unknown>, code: S3StoreErrorCode): Promise<Error> {
  try {
    await call;
  } catch (error) {
    if (isS3StoreError(error, code)) return error;
    throw error;
  }
  throw new Error(`expected ${code}, but the call succeeded`);
}

describe('publish', () => {
  it('puts every distinct file under blobs/sha256 and writes one release document', async () => {
    const objects = new MemoryObjectStore();
    const { lock, extractedDir } = await fixture();
    const result = await storeOn(objects).publish(lock, extractedDir);

    const files = [...lock.plugins.flatMap((p) => p.platforms), ...lock.rulesfiles.flatMap((r) => r.files)];
    expect(objects.keys()).toEqual([...files.map((f) => `falco/plugins/blobs/sha256/${f.sha256}`), `falco/plugins/releases/${result.release.id}.json`].sort());
    expect(result.releaseStatus).toBe('created');
    expect(result.blobs.map((b) => b.action)).toEqual(['uploaded', 'uploaded', 'uploaded', 'uploaded', 'uploaded']);
    expect(result.uploadedBytes).toBe(files.reduce((sum, f) => sum + f.size, 0));

    const stored = (await objects.get(`falco/plugins/releases/${result.release.id}.json`))!;
    const release = parseReleaseDocument(Buffer.from(stored.body).toString(), 'release');
    expect(release.id).toMatch(/^falco-0\.44\.1-[a-f0-9]{16}$/);
    expect(release.plugins.map((p) => [p.name, p.platform, p.file])).toEqual([
      ['container', 'linux/amd64', 'libcontainer.so'],
      ['container', 'linux/arm64', 'libcontainer.so'],
      ['k8saudit', 'linux/amd64', 'libk8saudit.so'],
      ['k8saudit', 'linux/arm64', 'libk8saudit.so'],
    ]);
    expect(release.rulesfiles).toEqual([
      expect.objectContaining({ name: 'falco-rules', file: 'falco_rules.yaml', blob: `blobs/sha256/${release.rulesfiles[0]!.sha256}` }),
    ]);
  });

  it('writes nothing at all when published again unchanged', async () => {
    const objects = new MemoryObjectStore();
    const { lock, extractedDir } = await fixture();
    const first = await storeOn(objects).publish(lock, extractedDir);
    const writes = objects.writes.length;

    const second = await storeOn(objects).publish({ ...lock, generatedAt: '2027-01-01T00:00:00.000Z' }, extractedDir);
    expect(objects.writes.length).toBe(writes);
    expect(second.release.id).toBe(first.release.id);
    expect(second.releaseStatus).toBe('present');
    expect(second.blobs.every((b) => b.action === 'present')).toBe(true);
    expect(second.uploadedBytes).toBe(0);
  });

  it('uploads only the changed plugin and makes a new release', async () => {
    const objects = new MemoryObjectStore();
    const first = await fixture();
    const r1 = await storeOn(objects).publish(first.lock, first.extractedDir);
    const next = await fixture([basePlugins[0]!, { name: 'container', version: '0.7.2' }], 'b');
    const r2 = await storeOn(objects).publish(next.lock, next.extractedDir);
    expect(r2.release.id).not.toBe(r1.release.id);
    expect(r2.blobs.filter((b) => b.action === 'uploaded').map((b) => b.path)).toEqual(['linux-amd64/libcontainer.so', 'linux-arm64/libcontainer.so']);
  });

  it('never overwrites a blob whose bytes in the bucket no longer match: it reports the conflict', async () => {
    const objects = new MemoryObjectStore();
    const { lock, extractedDir } = await fixture();
    await storeOn(objects).publish(lock, extractedDir);
    const broken = lock.plugins[0]!.platforms[0]!;
    const key = `falco/plugins/blobs/sha256/${broken.sha256}`;
    await objects.put(key, Buffer.from('truncated'));
    const error = await rejection(storeOn(objects).publish(lock, extractedDir, { channel: 'prod' }), 'S3STORE_BLOB_CONFLICT');
    expect(error.message).toContain('blobs are never overwritten');
    expect(Buffer.from((await objects.get(key))!.body).toString()).toBe('truncated');
    expect(await objects.head('falco/plugins/channels/prod.json')).toBeUndefined();
  });

  it('accepts a blob uploaded in parts of another size as present, from the part size it was uploaded with', async () => {
    const objects = new MemoryObjectStore();
    const big = await fixture([{ name: 'container', version: '0.7.1', size: 3 * 1024 * 1024, platforms: ['linux/amd64'] }], 'big');
    const small = { multipartThreshold: 1024 * 1024, partSize: 1024 * 1024 };
    await new PluginStore({ objects, prefix: 'falco/plugins', ...small }).publish(big.lock, big.extractedDir);
    const other = new PluginStore({ objects, prefix: 'falco/plugins', multipartThreshold: 2 * 1024 * 1024, partSize: 2 * 1024 * 1024 });
    const again = await other.publish(big.lock, big.extractedDir, { channel: 'prod' });
    expect(again.blobs.find((b) => b.path.includes('libcontainer'))!.action).toBe('present');
    expect(again.channel).toMatchObject({ changed: true });
  });

  it('refuses an extracted file that differs from the lock, and writes nothing', async () => {
    const objects = new MemoryObjectStore();
    const { lock, extractedDir } = await fixture();
    await writeFile(join(extractedDir, 'linux-amd64/libk8saudit.so'), Buffer.alloc(4096, 1));
    const error = await rejection(storeOn(objects).publish(lock, extractedDir), 'S3STORE_SHA256_MISMATCH');
    expect(error.message).toContain('linux-amd64/libk8saudit.so has sha256');
    expect(objects.keys().filter((k) => k.includes('/releases/'))).toEqual([]);
  });

  it('refuses a lock whose file is missing from the extracted directory', async () => {
    const { lock } = await fixture();
    await rejection(storeOn(new MemoryObjectStore()).publish(lock, join(dir, 'empty')), 'S3STORE_LOCAL_FILE_MISSING');
  });

  it('reports what it would upload on a dry run, and writes nothing', async () => {
    const objects = new MemoryObjectStore();
    const { lock, extractedDir } = await fixture();
    const plan = await storeOn(objects).publish(lock, extractedDir, { dryRun: true, channel: 'prod' });
    expect(objects.writes).toEqual([]);
    expect(plan.releaseStatus).toBe('would-create');
    expect(plan.blobs.every((b) => b.action === 'would-upload')).toBe(true);
    expect(plan.channel).toEqual({ channel: 'prod', from: undefined, to: plan.release.id, changed: true });
  });

  it('publishes only the platforms asked for', async () => {
    const objects = new MemoryObjectStore();
    const { lock, extractedDir } = await fixture();
    const result = await storeOn(objects).publish(lock, extractedDir, { platforms: ['linux/arm64'] });
    expect(new Set(result.release.plugins.map((p) => p.platform))).toEqual(new Set(['linux/arm64']));
    await rejection(
      storeOn(objects).publish(
        { ...lock, plugins: lock.plugins.map((p) => ({ ...p, platforms: p.platforms.filter((x) => x.platform === 'linux/amd64') })) },
        extractedDir,
        { platforms: ['linux/arm64'] },
      ),
      'S3STORE_PLATFORM_MISSING',
    );
  });

  it('reports each blob and the release as events', async () => {
    const events: StoreEvent[] = [];
    const { lock, extractedDir } = await fixture();
    await storeOn(new MemoryObjectStore(), events).publish(lock, extractedDir, { channel: 'prod' });
    expect(events.filter((e) => e.type === 'blob' && e.status === 'uploaded')).toHaveLength(5);
    expect(events.filter((e) => e.type === 'blob-progress').length).toBeGreaterThanOrEqual(5);
    expect(events.filter((e) => e.type === 'release' || e.type === 'channel').map((e) => `${e.type} ${e.status}`)).toEqual([
      'release created',
      'channel moved',
    ]);
  });
});

describe('channels', () => {
  async function twoReleases(objects: MemoryObjectStore) {
    const a = await fixture(basePlugins, 'a');
    const b = await fixture([basePlugins[0]!, { name: 'container', version: '0.7.2' }], 'b');
    const r1 = (await storeOn(objects).publish(a.lock, a.extractedDir)).release.id;
    const r2 = (await storeOn(objects).publish(b.lock, b.extractedDir)).release.id;
    return { r1, r2 };
  }

  async function pointer(objects: MemoryObjectStore, channel: string) {
    const object = await objects.get(`falco/plugins/channels/${channel}.json`);
    return parseChannelPointer(Buffer.from(object!.body).toString(), channel);
  }

  it('promotes, remembers the previous release, and rolls back to it', async () => {
    const objects = new MemoryObjectStore();
    const { r1, r2 } = await twoReleases(objects);
    const store = storeOn(objects);
    expect(await store.promote(r1, 'prod')).toEqual({ channel: 'prod', from: undefined, to: r1, changed: true });
    expect(await store.promote(r2, 'prod')).toEqual({ channel: 'prod', from: r1, to: r2, changed: true });
    expect(await pointer(objects, 'prod')).toMatchObject({ release: r2, previous: [r1] });

    expect(await store.rollback('prod')).toEqual({ channel: 'prod', from: r2, to: r1, changed: true });
    expect(await pointer(objects, 'prod')).toMatchObject({ release: r1, previous: [] });
    await rejection(store.rollback('prod'), 'S3STORE_NO_PREVIOUS_RELEASE');
  });

  it('writes nothing when promoting the release a channel already follows', async () => {
    const objects = new MemoryObjectStore();
    const { r1 } = await twoReleases(objects);
    await storeOn(objects).promote(r1, 'prod');
    const writes = objects.writes.length;
    expect((await storeOn(objects).promote(r1, 'prod')).changed).toBe(false);
    expect(objects.writes.length).toBe(writes);
  });

  it('keeps different channels on different releases', async () => {
    const objects = new MemoryObjectStore();
    const { r1, r2 } = await twoReleases(objects);
    const store = storeOn(objects);
    await store.promote(r1, 'prod');
    await store.promote(r2, 'staging');
    await store.promote(r2, 'cluster-eu-1');
    expect((await store.resolveChannel('prod')).release.id).toBe(r1);
    expect((await store.resolveChannel('staging')).release.id).toBe(r2);
    const listed = await store.listReleases();
    expect(Object.fromEntries(listed.map((r) => [r.id, r.channels]))).toEqual({ [r1]: ['prod'], [r2]: ['cluster-eu-1', 'staging'] });
  });

  it('refuses to promote a release that does not exist or misses a blob', async () => {
    const objects = new MemoryObjectStore();
    const { r1 } = await twoReleases(objects);
    await rejection(storeOn(objects).promote('falco-0.44.1-0000000000000000', 'prod'), 'S3STORE_RELEASE_NOT_FOUND');
    const release = await storeOn(objects).getRelease(r1);
    await objects.delete([`falco/plugins/${release.plugins[0]!.blob}`]);
    await rejection(storeOn(objects).promote(r1, 'prod'), 'S3STORE_BLOB_MISSING');
    expect(await objects.head('falco/plugins/channels/prod.json')).toBeUndefined();
  });

  it('refuses bad channel names before touching the bucket', async () => {
    const objects = new MemoryObjectStore();
    await rejection(storeOn(objects).promote('falco-0.44.1-0000000000000000', '../prod'), 'S3STORE_BAD_NAME');
    expect(objects.writes).toEqual([]);
  });

  /** Holds every reader of the channel until both promotions have read it: the worst interleaving. */
  function racingObjects() {
    let arrivals = 0;
    let release!: () => void;
    const bothRead = new Promise<void>((resolve) => (release = resolve));
    let armed = false;
    const objects = new MemoryObjectStore({
      beforeOperation: async (operation: MemoryOperation, key: string) => {
        if (!armed || operation !== 'put' || !key.endsWith('channels/prod.json')) return;
        if (++arrivals === 2) release();
        await bothRead;
      },
    });
    return { objects, arm: () => (armed = true) };
  }

  it('lets exactly one of two racing promotions win; the loser gets a conflict and nothing is lost', async () => {
    const { objects, arm } = racingObjects();
    const { r1, r2 } = await twoReleases(objects);
    const r0 = (await fixture([{ name: 'json', version: '0.7.0' }], 'c')).lock;
    const base = (await storeOn(objects).publish(r0, join(dir, 'c/plugins/extracted'))).release.id;
    await storeOn(objects).promote(base, 'prod');
    arm();

    const outcomes = await Promise.allSettled([storeOn(objects).promote(r1, 'prod'), storeOn(objects).promote(r2, 'prod')]);
    const won = outcomes.filter((o) => o.status === 'fulfilled');
    const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(isS3StoreError(lost[0]!.reason, 'S3STORE_CHANNEL_CONFLICT')).toBe(true);
    const winner = (won[0] as PromiseFulfilledResult<{ to: string }>).value.to;
    expect((lost[0]!.reason as Error).message).toContain(`it now follows ${winner}`);
    expect(await pointer(objects, 'prod')).toMatchObject({ release: winner, previous: [base] });
  });

  it('re-applies a lost promotion on top of the winner when asked to retry', async () => {
    const { objects, arm } = racingObjects();
    const { r1, r2 } = await twoReleases(objects);
    arm();
    const [a, b] = await Promise.all([
      storeOn(objects).promote(r1, 'prod', { conflictRetries: 2 }),
      storeOn(objects).promote(r2, 'prod', { conflictRetries: 2 }),
    ]);
    const final = await pointer(objects, 'prod');
    // Both moves are in the history: the later one is current, the earlier one is its previous.
    expect([final.release, ...final.previous].sort()).toEqual([r1, r2].sort());
    expect([a.changed, b.changed]).toEqual([true, true]);
  });
});

describe('releases', () => {
  it('refuses a release document edited in the bucket', async () => {
    const objects = new MemoryObjectStore();
    const { lock, extractedDir } = await fixture();
    const { release } = await storeOn(objects).publish(lock, extractedDir);
    const key = `falco/plugins/releases/${release.id}.json`;
    const edited = JSON.parse(Buffer.from((await objects.get(key))!.body).toString());
    edited.plugins[0].version = '9.9.9';
    objects.tamper(key, Buffer.from(JSON.stringify(edited)));
    await rejection(storeOn(objects).getRelease(release.id), 'S3STORE_RELEASE_TAMPERED');
    await rejection(storeOn(objects).promote(release.id, 'prod'), 'S3STORE_RELEASE_TAMPERED');
    const [listed] = await storeOn(objects).listReleases();
    expect(listed).toMatchObject({ id: release.id, problem: { code: 'S3STORE_RELEASE_TAMPERED' } });
  });

  it('lists releases newest first with their plugins and platforms', async () => {
    const objects = new MemoryObjectStore();
    const a = await fixture(basePlugins, 'a');
    const b = await fixture([{ name: 'json', version: '0.7.0', platforms: ['linux/amd64'] }], 'b');
    const r1 = await storeOn(objects).publish(a.lock, a.extractedDir);
    const r2 = await storeOn(objects).publish(b.lock, b.extractedDir);
    const listed = await storeOn(objects).listReleases();
    expect(listed.map((r) => r.id)).toEqual([r2.release.id, r1.release.id]);
    expect(listed[0]).toMatchObject({ falcoVersion: '0.44.1', plugins: [{ name: 'json', version: '0.7.0' }], platforms: ['linux/amd64'], channels: [] });
  });
});

describe('gc', () => {
  it('finds unreferenced blobs, deletes them only with apply, and keeps young ones', async () => {
    const objects = new MemoryObjectStore();
    const { lock, extractedDir } = await fixture();
    const store = storeOn(objects);
    const { release } = await store.publish(lock, extractedDir);
    const orphan = `falco/plugins/blobs/sha256/${'e'.repeat(64)}`;
    const young = `falco/plugins/blobs/sha256/${'f'.repeat(64)}`;
    await objects.put(orphan, Buffer.from('old upload'));
    await objects.put(young, Buffer.from('a publish still running'));
    objects.touch(orphan, new Date(Date.UTC(2020, 0, 1)));
    objects.touch(young, new Date(Date.UTC(2030, 0, 1)));

    const plan = await store.gc();
    expect(plan).toMatchObject({ applied: false, deleted: 0, referenced: 5, missing: [] });
    expect(plan.delete.map((b) => b.key)).toEqual([orphan]);
    expect(plan.tooYoung.map((b) => b.key)).toEqual([young]);
    expect(await objects.head(orphan)).toBeDefined();

    const applied = await store.gc({ apply: true });
    expect(applied).toMatchObject({ applied: true, deleted: 1, reclaimableBytes: 10 });
    expect(await objects.head(orphan)).toBeUndefined();
    expect(await objects.head(young)).toBeDefined();
    expect((await store.promote(release.id, 'prod')).changed).toBe(true);
  });

  it('reports releases whose blobs are gone', async () => {
    const objects = new MemoryObjectStore();
    const { lock, extractedDir } = await fixture();
    const { release } = await storeOn(objects).publish(lock, extractedDir);
    await objects.delete([`falco/plugins/${release.rulesfiles[0]!.blob}`]);
    expect((await storeOn(objects).gc()).missing).toEqual([{ release: release.id, sha256: release.rulesfiles[0]!.sha256 }]);
  });

  it('refuses to collect when a release cannot be read, since its blobs might be taken for garbage', async () => {
    const objects = new MemoryObjectStore();
    await objects.put('falco/plugins/releases/broken.json', Buffer.from('{not json'));
    await rejection(storeOn(objects).gc({ apply: true }), 'S3STORE_BAD_DOCUMENT');
  });
});

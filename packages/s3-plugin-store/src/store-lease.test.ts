import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseChannelPointer } from './channel-pointer.ts';
import { isS3StoreError, S3StoreError } from './errors.ts';
import type { StoreEvent } from './events.ts';
import { parseLease } from './leases.ts';
import { MemoryObjectStore } from './memory-object-store.ts';
import { PluginStore, type PluginStoreOptions } from './plugin-store.ts';
import { writeFixtureLock, type FixtureLock } from '@falco-airgap/test-support';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'store-lease-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const PREFIX = 'falco/plugins';

function storeOn(objects: MemoryObjectStore, options: Partial<PluginStoreOptions> = {}) {
  return new PluginStore({ objects, prefix: PREFIX, pollIntervalMs: 5, ...options });
}

let fixtures = 0;
async function fixture(): Promise<FixtureLock> {
  return writeFixtureLock(join(dir, `f${fixtures++}`), {
    plugins: [
      { name: 'k8saudit', version: '0.18.0' },
      { name: 'container', version: '0.7.1' },
    ],
  });
}

/** A gate a hook waits on until the test opens it. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

async function blobsMissing(objects: MemoryObjectStore, store: PluginStore, channel: string): Promise<string[]> {
  const { release } = await store.resolveChannel(channel);
  const missing: string[] = [];
  for (const entry of [...release.plugins, ...release.rulesfiles]) if (!(await objects.head(`${PREFIX}/${entry.blob}`))) missing.push(entry.blob);
  return missing;
}

const keysUnder = (objects: MemoryObjectStore, folder: string) => objects.keys().filter((k) => k.startsWith(`${PREFIX}/${folder}/`));

describe('leases of publish and promote', () => {
  it('publish holds a lease naming its release and blobs while it works, and removes it at the end', async () => {
    const { lock, extractedDir } = await fixture();
    let seen: string | undefined;
    const objects = new MemoryObjectStore({
      beforeOperation: async (operation, key) => {
        if (operation === 'put' && key.includes('/releases/')) seen = keysUnder(objects, 'leases')[0];
      },
    });
    const { release } = await storeOn(objects).publish(lock, extractedDir, { channel: 'prod' });
    expect(seen).toMatch(/^falco\/plugins\/leases\/\d{8}T\d{6}Z-[a-f0-9]{16}\.json$/);
    expect(objects.writes.filter((w) => w.key === seen).map((w) => w.operation)).toEqual(['put', 'delete']);
    expect(keysUnder(objects, 'leases')).toEqual([]);
    expect(release.plugins.length).toBeGreaterThan(0);
  });

  it('gc keeps what a running publish holds, even with no minimum age', async () => {
    const { lock, extractedDir } = await fixture();
    const paused = gate();
    const reached = gate();
    const objects = new MemoryObjectStore({
      beforeOperation: async (operation, key) => {
        if (operation === 'put' && key.includes('/releases/')) {
          reached.open();
          await paused.opened;
        }
      },
    });
    const publishing = storeOn(objects).publish(lock, extractedDir, { channel: 'prod' });
    await reached.opened;
    const lease = parseLease(Buffer.from((await objects.get(keysUnder(objects, 'leases')[0]!))!.body).toString(), 'lease');
    const collected = await storeOn(objects).gc({ apply: true, minAgeMs: 0 });
    expect(collected).toMatchObject({ deleted: 0, liveLeases: 1, leased: lease.blobs.length, complete: true });
    paused.open();
    await publishing;
    expect(await blobsMissing(objects, storeOn(objects), 'prod')).toEqual([]);
    expect(keysUnder(objects, 'gc-runs')).toEqual([]);
  });

  it('a publish racing a gc that started before its lease waits for it, puts back what it deleted, then moves the channel', async () => {
    const { lock, extractedDir } = await fixture();
    const deleteHeld = gate();
    const gcPlanned = gate();
    let armed = false;
    const objects = new MemoryObjectStore({
      beforeOperation: async (operation, key) => {
        if (armed && operation === 'delete' && key.includes('/blobs/')) {
          gcPlanned.open();
          await deleteHeld.opened;
        }
      },
    });
    // Orphans of an earlier, interrupted publish: the same files, no release.
    const { release } = await storeOn(objects).publish(lock, extractedDir);
    await objects.delete([`${PREFIX}/releases/${release.id}.json`]);
    armed = true;

    const gcRun = storeOn(objects).gc({ apply: true, minAgeMs: 0 });
    await gcPlanned.opened;
    const events: StoreEvent[] = [];
    const publishing = storeOn(objects, { onEvent: (e) => events.push(e) }).publish(lock, extractedDir, { channel: 'prod' });
    while (!events.some((e) => e.type === 'gc-wait' && e.status === 'waiting')) await new Promise((r) => setTimeout(r, 5));
    deleteHeld.open();
    const [collected, published] = await Promise.all([gcRun, publishing]);

    expect(collected.deleted).toBeGreaterThan(0);
    expect(published.channel).toMatchObject({ channel: 'prod', to: release.id, changed: true });
    expect(events.filter((e) => e.type === 'blob' && e.status === 'restoring')).toHaveLength(collected.deleted);
    expect(await blobsMissing(objects, storeOn(objects), 'prod')).toEqual([]);
  });

  it('a publish whose lease lapsed does not move the channel', async () => {
    const { lock, extractedDir } = await fixture();
    let leaseWrites = 0;
    const objects = new MemoryObjectStore({
      beforeOperation: async (operation, key) => {
        if (operation === 'put' && key.includes('/leases/') && ++leaseWrites > 1) throw new S3StoreError('S3STORE_UNAVAILABLE', 'S3 is unavailable');
        if (operation === 'put' && key.includes('/releases/')) await new Promise((r) => setTimeout(r, 400));
      },
    });
    const error = await storeOn(objects, { leaseTtlMs: 300 })
      .publish(lock, extractedDir, { channel: 'prod' })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(isS3StoreError(error, 'S3STORE_LEASE_LOST')).toBe(true);
    expect(await objects.head(`${PREFIX}/channels/prod.json`)).toBeUndefined();
  });

  it('promote repairs a channel document that was cut short, which its own hint recommends', async () => {
    const { lock, extractedDir } = await fixture();
    const objects = new MemoryObjectStore();
    const store = storeOn(objects);
    const { release } = await store.publish(lock, extractedDir, { channel: 'prod' });
    const key = `${PREFIX}/channels/prod.json`;
    const text = Buffer.from((await objects.get(key))!.body).toString();
    objects.tamper(key, Buffer.from(text.slice(0, 20)));
    const broken = await store.getChannel('prod').then(
      () => undefined,
      (e: unknown) => e as S3StoreError,
    );
    expect(broken?.code).toBe('S3STORE_BAD_DOCUMENT');
    expect(broken?.hint).toContain('promote a release to repair it');
    expect(await store.promote(release.id, 'prod')).toMatchObject({ changed: true, repaired: true, to: release.id });
    expect(parseChannelPointer(Buffer.from((await objects.get(key))!.body).toString(), key)).toMatchObject({ release: release.id, previous: [] });
  });
});

describe('gc housekeeping', () => {
  it('removes leases and gc runs left by killed processes, and ignores them', async () => {
    const { lock, extractedDir } = await fixture();
    const objects = new MemoryObjectStore();
    await storeOn(objects).publish(lock, extractedDir);
    const lease = `${PREFIX}/leases/20200101T000000Z-0123456789abcdef.json`;
    const run = `${PREFIX}/gc-runs/20200101T000000Z-0123456789abcdef.json`;
    await objects.put(
      lease,
      Buffer.from(
        JSON.stringify({
          kind: 'PluginStoreLease',
          operation: 'publish',
          release: 'falco-0.44.1-0000000000000000',
          blobs: ['a'.repeat(64)],
          ttlSeconds: 600,
          renewedAt: 't',
        }),
      ),
    );
    await objects.put(run, Buffer.from(JSON.stringify({ kind: 'PluginStoreGcRun', windowSeconds: 60, startedAt: 't' })));
    objects.touch(lease, new Date(Date.UTC(2020, 0, 1)));
    objects.touch(run, new Date(Date.UTC(2020, 0, 1)));
    const result = await storeOn(objects).gc({ apply: true });
    expect(result).toMatchObject({ liveLeases: 0, staleMarkers: [lease, run], complete: true });
    expect([...keysUnder(objects, 'leases'), ...keysUnder(objects, 'gc-runs')]).toEqual([]);
  });

  it('aborts unfinished uploads older than the minimum age and keeps younger ones', async () => {
    const objects = new MemoryObjectStore();
    const old = objects.startUpload(`${PREFIX}/blobs/sha256/${'a'.repeat(64)}`, new Date(Date.UTC(2020, 0, 1)));
    objects.startUpload(`${PREFIX}/blobs/sha256/${'b'.repeat(64)}`, new Date(Date.now() + 60_000));
    const dry = await storeOn(objects).gc();
    expect(dry.abortUploads.map((u) => u.uploadId)).toEqual([old]);
    expect(keysUnder(objects, 'gc-runs')).toEqual([]);
    const applied = await storeOn(objects).gc({ apply: true });
    expect(applied.abortedUploads).toBe(1);
    const left = [];
    for await (const upload of objects.listUploads(PREFIX)) left.push(upload.key);
    expect(left).toEqual([`${PREFIX}/blobs/sha256/${'b'.repeat(64)}`]);
  });

  it('retires releases beyond --keep-releases, never one a channel or its history points at, and then their blobs', async () => {
    const objects = new MemoryObjectStore();
    let clock = 0;
    const store = storeOn(objects, { now: () => new Date(Date.UTC(2026, 0, 1) + clock++ * 60_000) });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const f = await writeFixtureLock(join(dir, `k${i}`), { plugins: [{ name: 'json', version: `0.7.${i}` }] });
      ids.push((await store.publish(f.lock, f.extractedDir)).release.id);
    }
    await store.promote(ids[0]!, 'prod');
    await store.promote(ids[1]!, 'prod');
    const result = await store.gc({ apply: true, keepReleases: 2, minAgeMs: 0 });
    expect(result.retire.map((r) => r.id)).toEqual([ids[2]]);
    expect(result.retired).toBe(1);
    expect(keysUnder(objects, 'releases').sort()).toEqual([ids[0], ids[1], ids[3], ids[4]].map((id) => `${PREFIX}/releases/${id}.json`).sort());
    expect(result.deleted).toBe(2);
    expect(await blobsMissing(objects, store, 'prod')).toEqual([]);
  });

  it('stops deleting when its window runs out, reports it, and stays announced until it lapses', async () => {
    const objects = new MemoryObjectStore({
      beforeOperation: async (operation, key) => {
        if (operation === 'delete' && key.includes('/blobs/')) await new Promise((r) => setTimeout(r, 100));
      },
    });
    for (const c of 'abc') {
      const key = `${PREFIX}/blobs/sha256/${c.repeat(64)}`;
      await objects.put(key, Buffer.from(c));
      objects.touch(key, new Date(Date.UTC(2020, 0, 1)));
    }
    const result = await storeOn(objects).gc({ apply: true, windowMs: 150 });
    expect(result.complete).toBe(false);
    expect(keysUnder(objects, 'blobs').length).toBeGreaterThan(0);
    expect(keysUnder(objects, 'gc-runs')).toHaveLength(1);
  });
});

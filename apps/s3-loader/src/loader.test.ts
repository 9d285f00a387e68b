import { MemoryObjectStore, PluginStore, S3StoreError, type MemoryOperation } from '@falco-airgap/s3-plugin-store';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFixtureLock, type FixturePlugin } from '@falco-airgap/test-support';
import type { LoaderConfig } from './config.ts';
import { LoaderExit, loaderExitCodeFor } from './errors.ts';
import { runLoader } from './loader.ts';
import type { LogRecord } from './log.ts';

let dir: string;
let dest: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'loader-'));
  dest = join(dir, 'usr/share/falco/plugins');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A bucket in memory whose availability and reads the test controls. */
function bucket() {
  const state = { down: false, reads: [] as string[] };
  const objects = new MemoryObjectStore({
    beforeOperation: (operation: MemoryOperation, key: string) => {
      if (state.down && (operation === 'get' || operation === 'getStream' || operation === 'head')) {
        throw new S3StoreError('S3STORE_UNAVAILABLE', `S3 is unavailable: connect ECONNREFUSED while reading ${key}`);
      }
      if (operation === 'getStream') state.reads.push(key);
    },
  });
  return { objects, state };
}

let releases = 0;
async function publish(objects: MemoryObjectStore, plugins: FixturePlugin[], channel = 'prod'): Promise<string> {
  const fixture = await writeFixtureLock(join(dir, `src${releases++}`), {
    plugins,
    rulesfiles: [{ name: 'falco-rules', version: '5.1.0', files: [{ file: 'falco_rules.yaml', text: '- rule: loader\n' }] }],
  });
  const store = new PluginStore({ objects, prefix: 'falco' });
  const { release } = await store.publish(fixture.lock, fixture.extractedDir);
  await store.promote(release.id, channel);
  return release.id;
}

function configFor(overrides: Partial<LoaderConfig> = {}): LoaderConfig {
  return {
    bucket: 'corp-falco',
    prefix: 'falco',
    channel: 'prod',
    release: undefined,
    region: undefined,
    endpoint: undefined,
    forcePathStyle: undefined,
    platform: 'linux/amd64',
    destination: dest,
    rulesDestination: undefined,
    cacheDir: undefined,
    stateFile: join(dest, '.falco-s3-loader.json'),
    onUnavailable: 'fail',
    timeoutMs: 1000,
    retries: 0,
    retryForMs: 0,
    concurrency: 4,
    ...overrides,
  };
}

async function run(objects: MemoryObjectStore, config: LoaderConfig) {
  const logs: LogRecord[] = [];
  const outcome = await runLoader(config, { objects, log: (r) => logs.push(r) });
  return { outcome, logs };
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('the loader succeeded, the test expected a failure');
}

const v1: FixturePlugin[] = [
  { name: 'k8saudit', version: '0.18.0' },
  { name: 'container', version: '0.7.1' },
];

async function installed(): Promise<string[]> {
  return (await readdir(dest)).sort();
}

describe('runLoader', () => {
  it('installs the plugins of the channel for its platform and records the state', async () => {
    const { objects } = bucket();
    const id = await publish(objects, v1);
    const { outcome, logs } = await run(objects, configFor());
    expect(outcome).toMatchObject({ release: id, status: 'installed', source: 's3' });
    expect(await installed()).toEqual(['.falco-s3-loader.json', 'libcontainer.so', 'libk8saudit.so']);
    const state = JSON.parse(await readFile(join(dest, '.falco-s3-loader.json'), 'utf8'));
    expect(state).toMatchObject({ kind: 'FalcoS3LoaderState', release: id, channel: 'prod', source: 's3', platform: 'linux/amd64' });
    expect(state.files.map((f: { file: string }) => f.file).sort()).toEqual(['libcontainer.so', 'libk8saudit.so']);
    expect(logs.map((l) => l.event)).toEqual(['release', 'downloaded', 'downloaded', 'installed']);
  });

  it('downloads nothing when the release is already installed', async () => {
    const { objects, state } = bucket();
    await publish(objects, v1);
    await run(objects, configFor());
    state.reads.length = 0;
    const { outcome } = await run(objects, configFor());
    expect(outcome.status).toBe('up-to-date');
    expect(state.reads).toEqual([]);
  });

  it('moves to the new release, removes the plugins it dropped, and leaves files it did not install', async () => {
    const { objects } = bucket();
    await mkdir(dest, { recursive: true });
    await writeFile(join(dest, 'libshipped-with-image.so'), 'image');
    await publish(objects, v1);
    await run(objects, configFor());
    const next = await publish(objects, [{ name: 'k8saudit', version: '0.19.0' }]);
    const { outcome } = await run(objects, configFor());
    expect(outcome).toMatchObject({ release: next, status: 'installed' });
    expect(await installed()).toEqual(['.falco-s3-loader.json', 'libk8saudit.so', 'libshipped-with-image.so']);
  });

  it('refuses a tampered blob, installs nothing, and keeps the previous plugins', async () => {
    const { objects } = bucket();
    const first = await publish(objects, v1);
    await run(objects, configFor());
    const before = await readFile(join(dest, 'libk8saudit.so'));
    const second = await publish(objects, [{ name: 'k8saudit', version: '0.19.0' }, v1[1]!]);
    const release = await new PluginStore({ objects, prefix: 'falco' }).getRelease(second);
    const changed = release.plugins.find((p) => p.name === 'k8saudit' && p.platform === 'linux/amd64')!;
    objects.tamper(`falco/${changed.blob}`, Buffer.alloc(changed.size, 0x90));

    const error = await failure(run(objects, configFor()));
    expect(error).toMatchObject({ code: 'S3STORE_SHA256_MISMATCH' });
    expect(loaderExitCodeFor(error)).toBe(LoaderExit.VerificationFailed);
    expect((await readFile(join(dest, 'libk8saudit.so'))).equals(before)).toBe(true);
    expect(await installed()).toEqual(['.falco-s3-loader.json', 'libcontainer.so', 'libk8saudit.so']);
    expect(JSON.parse(await readFile(join(dest, '.falco-s3-loader.json'), 'utf8')).release).toBe(first);
  });

  it('refuses a blob of the wrong size before reading it', async () => {
    const { objects } = bucket();
    const id = await publish(objects, v1);
    const release = await new PluginStore({ objects, prefix: 'falco' }).getRelease(id);
    objects.tamper(`falco/${release.plugins[0]!.blob}`, Buffer.alloc(10));
    expect(await failure(run(objects, configFor()))).toMatchObject({ code: 'S3STORE_SIZE_MISMATCH' });
  });

  it('reports a channel that points to a missing release as not found', async () => {
    const { objects } = bucket();
    await objects.put('falco/channels/prod.json', Buffer.from(JSON.stringify({ release: 'falco-0.44.1-ffffffffffffffff', previous: [], updatedAt: 't' })));
    const error = await failure(run(objects, configFor()));
    expect(error).toMatchObject({ code: 'S3STORE_RELEASE_NOT_FOUND' });
    expect(loaderExitCodeFor(error)).toBe(LoaderExit.NotFound);
  });

  it('reports a release without plugins for its platform', async () => {
    const { objects } = bucket();
    await publish(objects, [{ name: 'k8saudit', version: '0.18.0', platforms: ['linux/arm64'] }]);
    const error = await failure(run(objects, configFor()));
    expect(error).toMatchObject({ code: 'LOADER_NO_PLUGINS_FOR_PLATFORM' });
    expect(loaderExitCodeFor(error)).toBe(LoaderExit.NotFound);
  });

  describe('when S3 is unavailable', () => {
    it('fails with nothing to fall back on', async () => {
      const { objects, state } = bucket();
      await publish(objects, v1);
      state.down = true;
      const error = await failure(run(objects, configFor({ cacheDir: join(dir, 'cache'), onUnavailable: 'use-cached' })));
      expect(error).toMatchObject({ code: 'LOADER_NO_USABLE_CACHE' });
      expect(loaderExitCodeFor(error)).toBe(LoaderExit.Unavailable);
    });

    it('fails under the fail policy even with a cache', async () => {
      const { objects, state } = bucket();
      await publish(objects, v1);
      await run(objects, configFor({ cacheDir: join(dir, 'cache') }));
      state.down = true;
      const error = await failure(run(objects, configFor({ cacheDir: join(dir, 'cache'), stateFile: join(dir, 'fresh-state.json') })));
      expect(loaderExitCodeFor(error)).toBe(LoaderExit.Unavailable);
    });

    it('installs the cached release under the use-cached policy, in a fresh container', async () => {
      const { objects, state } = bucket();
      const id = await publish(objects, v1);
      await run(objects, configFor({ cacheDir: join(dir, 'cache') }));
      await rm(dest, { recursive: true });
      state.down = true;
      const { outcome, logs } = await run(objects, configFor({ cacheDir: join(dir, 'cache'), onUnavailable: 'use-cached' }));
      expect(outcome).toMatchObject({ release: id, source: 'cache', status: 'installed' });
      expect(await installed()).toEqual(['.falco-s3-loader.json', 'libcontainer.so', 'libk8saudit.so']);
      expect(logs.map((l) => l.event)).toContain('s3-unavailable');
    });

    it('does not use a cached release of another channel', async () => {
      const { objects, state } = bucket();
      await publish(objects, v1, 'staging');
      await run(objects, configFor({ channel: 'staging', cacheDir: join(dir, 'cache') }));
      state.down = true;
      const error = await failure(run(objects, configFor({ channel: 'prod', cacheDir: join(dir, 'cache'), onUnavailable: 'use-cached' })));
      expect(error).toMatchObject({ code: 'LOADER_NO_USABLE_CACHE' });
    });

    it.each([
      ['bucket', { bucket: 'other-falco' }],
      ['prefix', { prefix: 'other/prefix' }],
      ['endpoint', { endpoint: 'http://other-minio:9000' }],
    ])('does not use a cached release filled from another %s', async (_what, other: Partial<LoaderConfig>) => {
      const { objects, state } = bucket();
      await publish(objects, v1);
      const elsewhere = new PluginStore({ objects, prefix: 'other/prefix' });
      const copy = await writeFixtureLock(join(dir, 'elsewhere'), { plugins: v1 });
      await elsewhere.promote((await elsewhere.publish(copy.lock, copy.extractedDir)).release.id, 'prod');
      // The cache is filled by a loader of another store; this node's loader must not take it.
      await run(objects, configFor({ ...other, cacheDir: join(dir, 'cache') }));
      state.down = true;
      await rm(dest, { recursive: true, force: true });
      const error = await failure(run(objects, configFor({ cacheDir: join(dir, 'cache'), onUnavailable: 'use-cached' })));
      expect(error).toMatchObject({ code: 'LOADER_NO_USABLE_CACHE' });
      expect(await readdir(dest).catch(() => [])).toEqual([]);
    });

    it('keeps retrying for --retry-for and installs once S3 is back', async () => {
      const { objects, state } = bucket();
      const id = await publish(objects, v1);
      state.down = true;
      setTimeout(() => (state.down = false), 700);
      const { outcome, logs } = await run(objects, configFor({ retries: 0, retryForMs: 10_000 }));
      expect(outcome).toMatchObject({ release: id, status: 'installed' });
      expect(logs.filter((l) => l.event === 'retry').length).toBeGreaterThan(1);
    });

    it('gives up when --retry-for is spent', async () => {
      const { objects, state } = bucket();
      await publish(objects, v1);
      state.down = true;
      const started = Date.now();
      const error = await failure(run(objects, configFor({ retries: 0, retryForMs: 500 })));
      expect(loaderExitCodeFor(error)).toBe(LoaderExit.Unavailable);
      expect(Date.now() - started).toBeLessThan(5_000);
    });

    it('refuses a damaged cache entry', async () => {
      const { objects, state } = bucket();
      await publish(objects, v1);
      await run(objects, configFor({ cacheDir: join(dir, 'cache') }));
      const blobs = join(dir, 'cache/blobs/sha256');
      const [first] = await readdir(blobs);
      await writeFile(join(blobs, first!), 'rotten');
      await rm(dest, { recursive: true });
      state.down = true;
      expect(await failure(run(objects, configFor({ cacheDir: join(dir, 'cache'), onUnavailable: 'use-cached' })))).toMatchObject({
        code: 'LOADER_NO_USABLE_CACHE',
      });
      await expect(readdir(dest)).resolves.toEqual([]);
    });
  });

  it('takes verified files from the cache instead of downloading them', async () => {
    const { objects, state } = bucket();
    await publish(objects, v1);
    await run(objects, configFor({ cacheDir: join(dir, 'cache') }));
    await rm(dest, { recursive: true });
    state.reads.length = 0;
    const { logs } = await run(objects, configFor({ cacheDir: join(dir, 'cache') }));
    expect(state.reads).toEqual([]);
    expect(logs.filter((l) => l.event === 'cached')).toHaveLength(2);
  });

  it('refuses a rules file that would replace a plugin when the rules go to the plugin directory', async () => {
    const { objects } = bucket();
    const fixture = await writeFixtureLock(join(dir, 'clash'), {
      plugins: v1,
      rulesfiles: [{ name: 'evil-rules', version: '1.0.0', files: [{ file: 'libk8saudit.so', text: '- rule: not a plugin\n' }] }],
    });
    const store = new PluginStore({ objects, prefix: 'falco' });
    await store.promote((await store.publish(fixture.lock, fixture.extractedDir)).release.id, 'prod');
    const error = await failure(run(objects, configFor({ rulesDestination: dest })));
    expect(error).toMatchObject({ code: 'LOADER_CONFIG' });
    expect((error as Error).message).toContain(`would both be installed as ${join(dest, 'libk8saudit.so')}`);
    expect(loaderExitCodeFor(error)).toBe(LoaderExit.BadConfig);
    expect(await readdir(dest).catch(() => [])).toEqual([]);
  });

  it('installs the rules files too when a rules directory is set', async () => {
    const { objects } = bucket();
    await publish(objects, v1);
    await run(objects, configFor({ rulesDestination: join(dir, 'etc/falco/rules.d') }));
    expect(await readFile(join(dir, 'etc/falco/rules.d/falco_rules.yaml'), 'utf8')).toBe('- rule: loader\n');
  });

  it('finishes an install that a kill interrupted after its journal was written', async () => {
    const { objects } = bucket();
    const id = await publish(objects, v1);
    await run(objects, configFor());
    const bytes = await readFile(join(dest, 'libk8saudit.so'));
    const state = JSON.parse(await readFile(join(dest, '.falco-s3-loader.json'), 'utf8'));
    // As a kill between two renames leaves it: one file moved, one still staged, the journal in place.
    await rm(join(dest, '.falco-s3-loader.json'));
    await mkdir(join(dest, '.falco-s3-loader.staging'));
    await writeFile(join(dest, '.falco-s3-loader.staging/libk8saudit.so'), bytes);
    await rm(join(dest, 'libk8saudit.so'));
    const moves = state.files.map((f: { file: string }) => ({ from: join(dest, '.falco-s3-loader.staging', f.file), to: join(dest, f.file) }));
    await writeFile(join(dest, '.falco-s3-loader.json.journal'), JSON.stringify({ moves, remove: [], state }));

    const { outcome, logs } = await run(objects, configFor());
    expect(logs[0]).toMatchObject({ event: 'recovered', outcome: 'finished' });
    expect(outcome).toMatchObject({ release: id, status: 'up-to-date' });
    expect(await installed()).toEqual(['.falco-s3-loader.json', 'libcontainer.so', 'libk8saudit.so']);
  });

  it('cleans up what a kill during the download left behind', async () => {
    const { objects } = bucket();
    await publish(objects, v1);
    await mkdir(join(dest, '.falco-s3-loader.staging'), { recursive: true });
    await writeFile(join(dest, '.falco-s3-loader.staging/libk8saudit.so'), 'half a download');
    const { outcome } = await run(objects, configFor());
    expect(outcome.status).toBe('installed');
    expect(await installed()).toEqual(['.falco-s3-loader.json', 'libcontainer.so', 'libk8saudit.so']);
  });
});

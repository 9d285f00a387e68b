import { PluginStore, S3ObjectStore, sha256Hex, storePolicies } from '@falco-airgap/s3-plugin-store';
import {
  openTestbedBucket,
  scopedCredentials,
  startOwnMinio,
  tcpProxy,
  writeFixtureLock,
  type FixturePlugin,
  type TestbedBucket,
} from '@falco-airgap/test-support';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtLoader, runProcess } from './built-binary.ts';

const PREFIX = 'falco/plugins';
let testbed: TestbedBucket;
let loader: string;
let dir: string;
let store: PluginStore;
let release: string;

const plugins: FixturePlugin[] = ['k8saudit', 'container'].map((name) => ({ name, version: '1.0.0', size: 64 * 1024, platforms: ['linux/amd64'] }));

beforeAll(async () => {
  loader = builtLoader();
  testbed = await openTestbedBucket('loader-faults');
  dir = await mkdtemp(join(tmpdir(), 'loader-faults-'));
  store = new PluginStore({ objects: new S3ObjectStore({ client: testbed.client, bucket: testbed.bucket }), prefix: PREFIX });
  const fixture = await writeFixtureLock(join(dir, 'lock'), {
    plugins,
    rulesfiles: [{ name: 'sneaky-rules', version: '1.0.0', files: [{ file: 'libk8saudit.so', text: '- rule: named like a plugin\n' }] }],
  });
  release = (await store.publish(fixture.lock, fixture.extractedDir)).release.id;
  await store.promote(release, 'prod');
}, 600_000);
afterAll(async () => {
  await testbed?.destroy();
  await rm(dir, { recursive: true, force: true });
});

function loaderEnv(name: string, overrides: Record<string, string> = {}): { env: Record<string, string>; dest: string } {
  const dest = join(dir, name, 'plugins');
  return {
    dest,
    env: {
      ...testbed.env,
      FALCO_S3_LOADER_BUCKET: testbed.bucket,
      FALCO_S3_LOADER_PREFIX: PREFIX,
      FALCO_S3_LOADER_ENDPOINT: testbed.endpoint,
      FALCO_S3_LOADER_CHANNEL: 'prod',
      FALCO_S3_LOADER_DEST: dest,
      FALCO_S3_LOADER_RETRIES: '0',
      FALCO_S3_LOADER_RETRY_FOR: '0s',
      FALCO_S3_LOADER_TIMEOUT: '5s',
      ...overrides,
    },
  };
}

const run = (env: Record<string, string>) => runProcess(loader, [], env);
const installed = async (dest: string) => (existsSync(dest) ? (await readdir(dest)).filter((f) => !f.startsWith('.')).sort() : []);

describe('falco-s3-loader configuration', () => {
  it.each([
    ['a timeout that rounds to nothing', { FALCO_S3_LOADER_TIMEOUT: '0.0001s' }, 'must be from 100ms to 1h'],
    ['a timeout beyond any timer', { FALCO_S3_LOADER_TIMEOUT: '9999999s' }, 'must be from 100ms to 1h'],
    ['a region with a line break', { FALCO_S3_LOADER_REGION: 'eu-west-1\r\nX-Injected: 1' }, 'is not a valid region'],
  ])('exits 2 on %s, with a clean stderr', async (_what, overrides, message) => {
    const { env, dest } = loaderEnv('config', overrides);
    const result = await run(env);
    expect(result.code).toBe(2);
    expect(result.logs.at(-1)).toMatchObject({ code: 'LOADER_CONFIG', exitCode: 2 });
    expect(String(result.logs.at(-1)!.msg)).toContain(message);
    expect(result.stderr).not.toMatch(/TimeoutOverflowWarning|Warning:/);
    expect(await installed(dest)).toEqual([]);
  });

  it('exits 2 rather than let a rules file replace a plugin when rules and plugins share a directory', async () => {
    const { env, dest } = loaderEnv('clash');
    expect((await run(env)).code).toBe(0);
    const before = sha256Hex(await readFile(join(dest, 'libk8saudit.so')));
    const result = await run({ ...env, FALCO_S3_LOADER_RULES_DEST: dest });
    expect(result.code).toBe(2);
    expect(result.logs.at(-1)).toMatchObject({ code: 'LOADER_CONFIG', hint: 'set --rules-dest to a directory other than --dest' });
    expect(sha256Hex(await readFile(join(dest, 'libk8saudit.so')))).toBe(before);
  });
});

describe('falco-s3-loader --on-unavailable use-cached', () => {
  it('does not install a cache filled from another bucket and prefix: exit 5, nothing installed', async () => {
    const target = new URL(testbed.endpoint);
    const s3 = await tcpProxy({ host: target.hostname, port: Number(target.port) });
    try {
      const cache = join(dir, 'shared-cache');
      const through = { FALCO_S3_LOADER_CACHE_DIR: cache, FALCO_S3_LOADER_ENDPOINT: s3.endpoint };
      expect((await run(loaderEnv('cache-filler', through).env)).code).toBe(0);
      s3.setMode({ kind: 'cut' });
      for (const other of [{ FALCO_S3_LOADER_BUCKET: 'another-bucket' }, { FALCO_S3_LOADER_PREFIX: 'another/prefix' }] as Record<string, string>[]) {
        const { env, dest } = loaderEnv('other-store', { ...through, FALCO_S3_LOADER_ON_UNAVAILABLE: 'use-cached', ...other });
        const result = await run(env);
        expect(result.code).toBe(5);
        expect(result.logs.at(-1)).toMatchObject({ code: 'LOADER_NO_USABLE_CACHE' });
        expect(await installed(dest)).toEqual([]);
      }
      // The same store, endpoint included, still finds its cache.
      const same = loaderEnv('same-store', { ...through, FALCO_S3_LOADER_ON_UNAVAILABLE: 'use-cached' });
      expect((await run(same.env)).code).toBe(0);
      expect(await installed(same.dest)).toEqual(['libcontainer.so', 'libk8saudit.so']);
    } finally {
      await s3.close();
    }
  });
});

describe('falco-s3-loader under faults', () => {
  it('waits out a short outage of S3 (its own MinIO, stopped and started) and installs', async () => {
    const own = await startOwnMinio('outage');
    try {
      const ownStore = new PluginStore({ objects: new S3ObjectStore({ client: own.client, bucket: own.bucket }), prefix: PREFIX });
      const fixture = await writeFixtureLock(join(dir, 'outage-lock'), { plugins });
      await ownStore.promote((await ownStore.publish(fixture.lock, fixture.extractedDir)).release.id, 'prod');
      const settings = { ...own.env, FALCO_S3_LOADER_BUCKET: own.bucket, FALCO_S3_LOADER_ENDPOINT: own.endpoint };
      await own.stop();

      // The old behaviour: three quick retries, and the pod fails while S3 is still restarting.
      const impatient = loaderEnv('outage-impatient', { ...settings, FALCO_S3_LOADER_RETRIES: '3', FALCO_S3_LOADER_RETRY_FOR: '0s' });
      const gaveUp = await run(impatient.env);
      expect(gaveUp.code).toBe(5);

      const { env, dest } = loaderEnv('outage', { ...settings, FALCO_S3_LOADER_RETRIES: '3' });
      delete (env as Record<string, string | undefined>).FALCO_S3_LOADER_RETRY_FOR;
      const running = run(env);
      await sleep(4_000);
      await own.start();
      const result = await running;
      expect(result.code, result.stderr).toBe(0);
      expect(result.logs.filter((l) => l.event === 'retry').length).toBeGreaterThan(3);
      expect(await installed(dest)).toEqual(['libcontainer.so', 'libk8saudit.so']);
    } finally {
      await own.destroy();
    }
  }, 120_000);

  it('gives up on an endpoint that accepts connections and never answers within its timeout: exit 5', async () => {
    const hung = await tcpProxy(undefined, { kind: 'stall' });
    try {
      const { env, dest } = loaderEnv('stalled', { FALCO_S3_LOADER_ENDPOINT: hung.endpoint, FALCO_S3_LOADER_TIMEOUT: '1s' });
      const result = await run(env);
      expect(result.code).toBe(5);
      expect(result.logs.at(-1)).toMatchObject({ code: 'S3STORE_UNAVAILABLE' });
      expect(result.ms).toBeLessThan(6_000);
      expect(await installed(dest)).toEqual([]);
    } finally {
      await hung.close();
    }
  });

  it('exits 130 on a SIGTERM that arrives while it starts, not 143', async () => {
    const hung = await tcpProxy(undefined, { kind: 'stall' });
    try {
      // Node runs no JavaScript for its first ~30 ms (more on a busy machine); the loader's handlers come right after, before its code is compiled.
      for (const delayMs of [300, 600]) {
        const { env, dest } = loaderEnv(`sigterm-${delayMs}`, { FALCO_S3_LOADER_ENDPOINT: hung.endpoint });
        const child = spawn(loader, [], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
        const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolveExit) => child.on('close', (code, signal) => resolveExit([code, signal])));
        child.on('spawn', () => setTimeout(() => child.kill('SIGTERM'), delayMs));
        expect(await exited).toEqual([130, null]);
        expect(await installed(dest)).toEqual([]);
      }
    } finally {
      await hung.close();
    }
  });

  it('stops waiting for S3 on SIGTERM: exit 130, logged as an interruption, not as a bug', async () => {
    const s3 = await tcpProxy(undefined, { kind: 'cut' });
    try {
      const { env } = loaderEnv('interrupted', { FALCO_S3_LOADER_ENDPOINT: s3.endpoint, FALCO_S3_LOADER_RETRY_FOR: '30s' });
      let pid = 0;
      const running = runProcess(loader, [], env, { onSpawn: (p) => (pid = p) });
      while (s3.connections < 2) await sleep(10);
      process.kill(pid, 'SIGTERM');
      const result = await running;
      expect(result.code).toBe(130);
      expect(result.ms).toBeLessThan(10_000);
      expect(result.logs.at(-1)).toMatchObject({ event: 'failed', exitCode: 130, code: expect.stringMatching(/^(LOADER_INTERRUPTED|S3STORE_ABORTED)$/) });
      expect(result.logs.at(-1)).not.toHaveProperty('stack');
    } finally {
      await s3.close();
    }
  });

  it('installs with credentials scoped to the reader policy, and reads no other channel', async () => {
    const reader = await scopedCredentials(storePolicies({ bucket: testbed.bucket, prefix: PREFIX, channel: 'prod', conditionKeys: false }).reader);
    const base = { AWS_ACCESS_KEY_ID: reader.accessKeyId, AWS_SECRET_ACCESS_KEY: reader.secretAccessKey, AWS_SESSION_TOKEN: reader.sessionToken };
    const { env, dest } = loaderEnv('scoped', base);
    const result = await run(env);
    expect(result.code, result.stderr).toBe(0);
    expect(await installed(dest)).toEqual(['libcontainer.so', 'libk8saudit.so']);
    await store.promote(release, 'staging');
    const other = loaderEnv('scoped-other', { ...base, FALCO_S3_LOADER_CHANNEL: 'staging' });
    const refused = await run(other.env);
    expect(refused.code).toBe(4);
    expect(refused.logs.at(-1)).toMatchObject({ code: 'S3STORE_ACCESS_DENIED' });
  });
});

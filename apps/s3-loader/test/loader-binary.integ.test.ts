import { PutObjectCommand } from '@aws-sdk/client-s3';
import { PluginStore, S3ObjectStore, sha256Hex } from '@falco-airgap/s3-plugin-store';
import { existsSync, statSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestbedBucket, tcpProxy, writeFixtureLock, type FixturePlugin, type TcpProxy, type TestbedBucket } from '@falco-airgap/test-support';
import { builtLoader, ENTRYPOINT, runProcess } from './built-binary.ts';

const PREFIX = 'falco/plugins';
const MiB = 1024 * 1024;
let testbed: TestbedBucket;
let loader: string;
let dir: string;
let store: PluginStore;

beforeAll(async () => {
  loader = builtLoader();
  testbed = await openTestbedBucket('loader-bin');
  dir = await mkdtemp(join(tmpdir(), 'loader-bin-'));
  store = new PluginStore({ objects: new S3ObjectStore({ client: testbed.client, bucket: testbed.bucket }), prefix: PREFIX });
}, 600_000);
afterAll(async () => {
  await testbed?.destroy();
  await rm(dir, { recursive: true, force: true });
});

let published = 0;
async function release(plugins: FixturePlugin[]): Promise<string> {
  const fixture = await writeFixtureLock(join(dir, `lock${published++}`), { plugins });
  return (await store.publish(fixture.lock, fixture.extractedDir)).release.id;
}

/** A container's view: its own plugin directory (fresh unless given), the testbed's S3, a channel. */
function containerEnv(name: string, overrides: Record<string, string> = {}): { env: Record<string, string>; dest: string } {
  const dest = join(dir, name, 'usr/share/falco/plugins');
  return {
    dest,
    env: {
      ...testbed.env,
      FALCO_S3_LOADER_BUCKET: testbed.bucket,
      FALCO_S3_LOADER_PREFIX: PREFIX,
      FALCO_S3_LOADER_ENDPOINT: testbed.endpoint,
      FALCO_S3_LOADER_CHANNEL: 'prod',
      FALCO_S3_LOADER_DEST: dest,
      FALCO_S3_LOADER_RETRIES: '1',
      FALCO_S3_LOADER_RETRY_FOR: '0s',
      FALCO_S3_LOADER_TIMEOUT: '5s',
      ...overrides,
    },
  };
}

const runLoader = (env: Record<string, string>, options?: Parameters<typeof runProcess>[3]) => runProcess(loader, [], env, options);

async function installedFiles(dest: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const name of (await readdir(dest)).sort()) {
    if (name.endsWith('.so')) files[name] = sha256Hex(await readFile(join(dest, name)));
  }
  return files;
}

async function expectedFiles(releaseId: string): Promise<Record<string, string>> {
  const doc = await store.getRelease(releaseId);
  return Object.fromEntries(doc.plugins.filter((p) => p.platform === 'linux/amd64').map((p) => [p.file, p.sha256]));
}

async function stateOf(dest: string): Promise<{ release: string; source: string }> {
  return JSON.parse(await readFile(join(dest, '.falco-s3-loader.json'), 'utf8'));
}

const fivePlugins: FixturePlugin[] = ['k8saudit', 'container', 'json', 'cloudtrail', 'github'].map((name) => ({ name, version: '1.0.0', size: 256 * 1024 }));

describe('the built falco-s3-loader', () => {
  let r1: string;

  beforeAll(async () => {
    r1 = await release(fivePlugins);
    await store.promote(r1, 'prod');
  });

  it('is a single executable that needs no node on the PATH, and says nothing on stderr', async () => {
    const result = await runProcess(loader, ['--version'], { PATH: '/nonexistent' });
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(JSON.parse(await readFile(join(import.meta.dirname, '../package.json'), 'utf8')).version);
    expect(result.stderr).toBe('');
  });

  it('installs the channel, then the entrypoint execs Falco with the original arguments', async () => {
    const { env, dest } = containerEnv('happy');
    const fakeFalco = join(dir, 'fake-falco');
    await writeFile(fakeFalco, `#!/bin/sh\necho "falco pid $$ args: $*"\nls "${dest}"\n`);
    await chmod(fakeFalco, 0o755);

    const result = await runProcess(ENTRYPOINT, [fakeFalco, '-o', 'json_output=true', '--unbuffered'], { ...env, FALCO_S3_LOADER_BIN: loader });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^falco pid \d+ args: -o json_output=true --unbuffered\n/);
    expect(result.stdout).toContain('libk8saudit.so');
    expect(await installedFiles(dest)).toEqual(await expectedFiles(r1));
    expect(await stateOf(dest)).toMatchObject({ release: r1, source: 's3' });
    expect(result.logs.map((l) => l.event)).toEqual(['start', 'release', 'downloaded', 'downloaded', 'downloaded', 'downloaded', 'downloaded', 'installed']);
    expect(result.logs.every((l) => typeof l.time === 'string' && typeof l.msg === 'string')).toBe(true);
    // stderr is the JSON-line log and nothing else: no Node warning, no hint about --trace-warnings.
    expect(
      result.stderr
        .trim()
        .split('\n')
        .every((line) => line.startsWith('{')),
    ).toBe(true);
  });

  it('exits 0 without downloading when the release is already installed', async () => {
    const { env } = containerEnv('happy');
    const result = await runLoader(env);
    expect(result.code).toBe(0);
    expect(result.logs.map((l) => l.event)).toEqual(['start', 'release', 'up-to-date']);
  });

  it('refuses a tampered blob: exit 3, nothing installed, the previous plugins intact, Falco not started', async () => {
    const { env, dest } = containerEnv('tampered');
    expect((await runLoader(env)).code).toBe(0);
    const before = await installedFiles(dest);

    const r2 = await release([...fivePlugins.slice(1), { name: 'k8saudit', version: '1.1.0', size: 256 * 1024 }]);
    const target = (await store.getRelease(r2)).plugins.find((p) => p.name === 'k8saudit' && p.platform === 'linux/amd64')!;
    await testbed.client.send(new PutObjectCommand({ Bucket: testbed.bucket, Key: `${PREFIX}/${target.blob}`, Body: Buffer.alloc(target.size, 0xcc) }));
    await store.promote(r2, 'tampered');

    const result = await runProcess(ENTRYPOINT, ['/bin/echo', 'falco started'], { ...env, FALCO_S3_LOADER_CHANNEL: 'tampered', FALCO_S3_LOADER_BIN: loader });
    expect(result.code).toBe(3);
    expect(result.stdout).not.toContain('falco started');
    expect(result.logs.at(-1)).toMatchObject({ level: 'error', event: 'failed', code: 'S3STORE_SHA256_MISMATCH', exitCode: 3 });
    expect(await installedFiles(dest)).toEqual(before);
    expect(await stateOf(dest)).toMatchObject({ release: r1 });
    expect(existsSync(join(dest, '.falco-s3-loader.staging'))).toBe(false);
  });

  it('exits 4 when the channel points to a release that does not exist', async () => {
    await testbed.client.send(
      new PutObjectCommand({
        Bucket: testbed.bucket,
        Key: `${PREFIX}/channels/dangling.json`,
        Body: JSON.stringify({ release: 'falco-0.44.1-00000000deadbeef', previous: [], updatedAt: 't' }),
      }),
    );
    const { env, dest } = containerEnv('dangling', { FALCO_S3_LOADER_CHANNEL: 'dangling' });
    const result = await runLoader(env);
    expect(result.code).toBe(4);
    expect(result.logs.at(-1)).toMatchObject({ code: 'S3STORE_RELEASE_NOT_FOUND', exitCode: 4 });
    expect(existsSync(dest) ? await installedFiles(dest) : {}).toEqual({});
  });

  it('exits 2 on a bad configuration', async () => {
    const result = await runLoader({ FALCO_S3_LOADER_BUCKET: testbed.bucket });
    expect(result.code).toBe(2);
    expect(result.logs.at(-1)).toMatchObject({ code: 'LOADER_CONFIG' });
  });

  describe('with S3 down', () => {
    // S3 is reached through a proxy that then refuses every connection: the same endpoint, down.
    let s3: TcpProxy;
    let down: string;
    const cacheDir = () => join(dir, 'node-cache');

    beforeAll(async () => {
      const target = new URL(testbed.endpoint);
      s3 = await tcpProxy({ host: target.hostname, port: Number(target.port) });
      down = s3.endpoint;
      // One good run fills the node's cache volume.
      const { env } = containerEnv('cache-filler', { FALCO_S3_LOADER_CACHE_DIR: cacheDir(), FALCO_S3_LOADER_ENDPOINT: down });
      expect((await runLoader(env)).code).toBe(0);
      s3.setMode({ kind: 'cut' });
    });
    afterAll(() => s3.close());

    it.each([
      ['fail', false],
      ['use-cached', false],
      ['fail', true],
    ])('exits 5 under --on-unavailable %s (cache: %s) and installs nothing', async (policy, withCache) => {
      const cache = withCache ? cacheDir() : join(dir, `empty-cache-${policy}`);
      const { env, dest } = containerEnv(`down-${policy}-${withCache}`, {
        FALCO_S3_LOADER_ENDPOINT: down,
        FALCO_S3_LOADER_ON_UNAVAILABLE: policy,
        FALCO_S3_LOADER_CACHE_DIR: cache,
      });
      const result = await runLoader(env);
      expect(result.code).toBe(5);
      expect(result.logs.at(-1)).toMatchObject({ exitCode: 5, code: policy === 'use-cached' ? 'LOADER_NO_USABLE_CACHE' : 'S3STORE_UNAVAILABLE' });
      expect(existsSync(dest) ? await installedFiles(dest) : {}).toEqual({});
    });

    it('installs the verified cached set under --on-unavailable use-cached', async () => {
      const { env, dest } = containerEnv('down-use-cached-true', {
        FALCO_S3_LOADER_ENDPOINT: down,
        FALCO_S3_LOADER_ON_UNAVAILABLE: 'use-cached',
        FALCO_S3_LOADER_CACHE_DIR: cacheDir(),
      });
      const result = await runLoader(env);
      expect(result.code).toBe(0);
      expect(result.logs.map((l) => l.event)).toContain('s3-unavailable');
      expect(await installedFiles(dest)).toEqual(await expectedFiles(r1));
      expect(await stateOf(dest)).toMatchObject({ release: r1, source: 'cache' });
    });
  });

  it('survives a kill in the middle of a download: previous plugins intact, a clean re-run installs', async () => {
    const { env, dest } = containerEnv('killed');
    expect((await runLoader(env)).code).toBe(0);
    const before = await installedFiles(dest);
    const big = await release([{ name: 'k8saudit', version: '2.0.0', size: 8 * MiB, platforms: ['linux/amd64'] }]);
    await store.promote(big, 'killed');

    const endpoint = new URL(testbed.endpoint);
    const slow = await tcpProxy({ host: endpoint.hostname, port: Number(endpoint.port) }, { kind: 'throttle', bytesPerSecond: 2 * MiB });
    let pid = 0;
    const staged = join(dest, '.falco-s3-loader.staging/libk8saudit.so');
    const running = runLoader({ ...env, FALCO_S3_LOADER_CHANNEL: 'killed', FALCO_S3_LOADER_ENDPOINT: slow.endpoint }, { onSpawn: (p) => (pid = p) });
    const deadline = Date.now() + 20_000;
    while (!(existsSync(staged) && statSync(staged).size > 0) && Date.now() < deadline) await sleep(10);
    const partial = statSync(staged).size;
    process.kill(pid, 'SIGKILL');
    const killed = await running;
    await slow.close();
    expect(killed.signal).toBe('SIGKILL');
    expect(partial).toBeLessThan(8 * MiB);
    expect(await installedFiles(dest)).toEqual(before);
    expect(await stateOf(dest)).toMatchObject({ release: r1 });

    const rerun = await runLoader({ ...env, FALCO_S3_LOADER_CHANNEL: 'killed' });
    expect(rerun.code).toBe(0);
    expect(await installedFiles(dest)).toEqual(await expectedFiles(big));
    expect(await stateOf(dest)).toMatchObject({ release: big });
    expect(existsSync(join(dest, '.falco-s3-loader.staging'))).toBe(false);
  });

  it('stops on SIGTERM with exit 130 and leaves no staging files', async () => {
    const { env, dest } = containerEnv('terminated');
    await mkdir(dest, { recursive: true });
    const big = await release([{ name: 'container', version: '3.0.0', size: 8 * MiB, platforms: ['linux/amd64'] }]);
    await store.promote(big, 'terminated');
    const endpoint = new URL(testbed.endpoint);
    const slow = await tcpProxy({ host: endpoint.hostname, port: Number(endpoint.port) }, { kind: 'throttle', bytesPerSecond: 2 * MiB });
    let pid = 0;
    const staged = join(dest, '.falco-s3-loader.staging/libcontainer.so');
    const running = runLoader({ ...env, FALCO_S3_LOADER_CHANNEL: 'terminated', FALCO_S3_LOADER_ENDPOINT: slow.endpoint }, { onSpawn: (p) => (pid = p) });
    const deadline = Date.now() + 20_000;
    while (!existsSync(staged) && Date.now() < deadline) await sleep(10);
    process.kill(pid, 'SIGTERM');
    const result = await running;
    await slow.close();
    expect(result.code).toBe(130);
    expect(result.logs.at(-1)).toMatchObject({ event: 'failed', exitCode: 130 });
    expect(await readdir(dest)).toEqual([]);
  });
});

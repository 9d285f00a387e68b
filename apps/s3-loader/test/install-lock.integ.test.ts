import { PluginStore, S3ObjectStore, sha256Hex } from '@falco-airgap/s3-plugin-store';
import { openTestbedBucket, tcpProxy, writeFixtureLock, type TcpProxy, type TestbedBucket } from '@falco-airgap/test-support';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtLoader, runProcess } from './built-binary.ts';

const PREFIX = 'falco/plugins';
let testbed: TestbedBucket;
let s3: TcpProxy;
let loader: string;
let dir: string;
let store: PluginStore;

beforeAll(async () => {
  loader = builtLoader();
  testbed = await openTestbedBucket('loader-lock');
  dir = await mkdtemp(join(tmpdir(), 'loader-lock-'));
  store = new PluginStore({ objects: new S3ObjectStore({ client: testbed.client, bucket: testbed.bucket }), prefix: PREFIX });
  const endpoint = new URL(testbed.endpoint);
  // A slow link keeps the first loader installing long enough for the second to meet it.
  s3 = await tcpProxy({ host: endpoint.hostname, port: Number(endpoint.port) }, { kind: 'throttle', bytesPerSecond: 512 * 1024 });
}, 600_000);
afterAll(async () => {
  await s3?.close();
  await testbed?.destroy();
  await rm(dir, { recursive: true, force: true });
});

describe('two loaders installing into one directory', () => {
  it('the second waits for the first, says so, then finds the release installed; the files verify', async () => {
    const plugins = ['k8saudit', 'json', 'cloudtrail'].map((name) => ({ name, version: '1.0.0', size: 1024 * 1024 }));
    const fixture = await writeFixtureLock(join(dir, 'lock'), { plugins });
    const { release } = await store.publish(fixture.lock, fixture.extractedDir);
    await store.promote(release.id, 'prod');

    const dest = join(dir, 'shared/usr/share/falco/plugins');
    const env = {
      ...testbed.env,
      FALCO_S3_LOADER_BUCKET: testbed.bucket,
      FALCO_S3_LOADER_PREFIX: PREFIX,
      FALCO_S3_LOADER_ENDPOINT: `http://127.0.0.1:${s3.port}`,
      FALCO_S3_LOADER_CHANNEL: 'prod',
      FALCO_S3_LOADER_DEST: dest,
      FALCO_S3_LOADER_PLATFORM: 'linux/amd64',
    };
    let firstPid = 0;
    const first = runProcess(loader, [], env, { onSpawn: (pid) => (firstPid = pid) });
    const lockFile = join(dest, '.falco-airgap.lock');
    for (let i = 0; i < 300 && !(existsSync(lockFile) && (await readFile(lockFile, 'utf8').catch(() => '')).includes(`"pid":${firstPid}`)); i++)
      await sleep(50);
    const second = runProcess(loader, [], env);
    const [a, b] = await Promise.all([first, second]);

    expect([a.code, b.code]).toEqual([0, 0]);
    expect(a.logs.map((l) => l.event)).toContain('installed');
    expect(b.logs.map((l) => l.event)).toEqual(['start', 'waiting', 'release', 'up-to-date']);
    expect(b.logs[1]!.msg).toBe(`another install (pid ${firstPid}) is using ${dest}: waiting for it to finish`);

    const installed = Object.fromEntries(
      await Promise.all((await readdir(dest)).filter((f) => f.endsWith('.so')).map(async (f) => [f, sha256Hex(await readFile(join(dest, f)))])),
    );
    expect(installed).toEqual(Object.fromEntries(release.plugins.filter((p) => p.platform === 'linux/amd64').map((p) => [p.file, p.sha256])));
    expect(existsSync(lockFile)).toBe(false);
  });
});

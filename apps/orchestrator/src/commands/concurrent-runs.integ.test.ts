import { GetObjectCommand } from '@aws-sdk/client-s3';
import { publishFixturesTo } from '@falco-airgap/fixtures';
import { loadLock, type PluginsLock } from '@falco-airgap/manifest';
import { openTestbedBucket, tcpProxy, writeFixtureLock, type TcpProxy, type TestbedBucket } from '@falco-airgap/test-support';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runInMemory } from '../testing/run-in-memory.ts';

// Loaded by path: tools/ sits outside this app's tsconfig rootDir.
const testbedEnv = join(import.meta.dirname, '../../../../tools/testbed/env.ts');
const { requireTestbed } = (await import(testbedEnv)) as { requireTestbed: (...keys: string[]) => Record<string, string> };
const env = requireTestbed('TESTBED_REGISTRY');
const bin = join(import.meta.dirname, '../bin.ts');
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

let root: string;
let registry: TcpProxy;

interface Run {
  pid: number;
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

/** The CLI as its own process, the way two terminals or two Jenkins jobs run it. */
function cli(argv: string[], extraEnv: Record<string, string> = {}): Run {
  const child = spawn(process.execPath, ['--conditions=@falco-airgap/source', bin, ...argv], {
    cwd: root,
    env: { PATH: process.env.PATH, HOME: root, XDG_CACHE_HOME: join(root, 'xdg-cache'), NO_COLOR: '1', CI: 'true', ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  return { pid: child.pid!, done: new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr }))) };
}

/** Waits until a run has taken its lock: the lock file exists and names its pid. */
async function heldBy(file: string, pid: number): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const text = existsSync(file) ? await readFile(file, 'utf8').catch(() => '') : '';
    if (text.includes(`"pid":${pid}`)) return;
    await sleep(50);
  }
  throw new Error(`${file} was never taken by pid ${pid}`);
}

/** Every file the lock records is on disk with the recorded sha256. */
async function expectLockOnDisk(outDir: string): Promise<PluginsLock> {
  const lock = await loadLock(join(outDir, 'plugins-lock.yaml'));
  const files = [
    ...lock.plugins.flatMap((p) => p.platforms.map((q) => ({ path: q.path, sha256: q.sha256 }))),
    ...lock.rulesfiles.flatMap((r) => r.files.map((f) => ({ path: f.path, sha256: f.sha256 }))),
  ];
  expect(files.length).toBeGreaterThan(0);
  for (const file of files) expect(sha256(await readFile(join(outDir, 'extracted', file.path))), file.path).toBe(file.sha256);
  return lock;
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'cli-concurrent-'));
  await publishFixturesTo({ registry: env.TESTBED_REGISTRY!, plainHttp: true });
  const [host, port] = env.TESTBED_REGISTRY!.split(':');
  // A slow link keeps the first run busy for seconds (the fixtures are small), long enough for the second to meet it.
  registry = await tcpProxy({ host: host!, port: Number(port) }, { kind: 'throttle', bytesPerSecond: 4 * 1024 });
  const shipped = await readFile(join(import.meta.dirname, '../../../../plugins/plugins-manifest.yaml'), 'utf8');
  const proxied = `127.0.0.1:${registry.port}`;
  await writeFile(join(root, 'manifest.yaml'), shipped.replaceAll('ghcr.io/', `${proxied}/`).replaceAll('docker.io/', `${proxied}/`));
}, 300_000);

afterAll(async () => {
  await registry?.close();
  await rm(root, { recursive: true, force: true });
});

const extractArgs = (out: string, cache: string) => [
  'extract',
  '--manifest',
  'manifest.yaml',
  '--out',
  out,
  '--cache-dir',
  cache,
  '--plain-http',
  `127.0.0.1:${registry.port}`,
];

describe('two extracts into one output directory', () => {
  it('refuses the second at once with exit 1 and the holder, and the first finishes with a lock that verifies', async () => {
    const first = cli(extractArgs('fail-fast', 'cache-a'));
    await heldBy(join(root, 'fail-fast/.falco-airgap.lock'), first.pid);
    const second = await cli(extractArgs('fail-fast', 'cache-a')).done;
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(
      new RegExp(
        `^error\\[LOCK_HELD\\]: another extract \\(pid ${first.pid}\\) is using ${root}/fail-fast since \\S+ — wait for it to finish and run again`,
        'm',
      ),
    );

    const done = await first.done;
    expect(done.stderr).not.toContain('error[');
    expect(done.code).toBe(0);
    await expectLockOnDisk(join(root, 'fail-fast'));
    expect(existsSync(join(root, 'fail-fast/.falco-airgap.lock'))).toBe(false);
    const locked = await runInMemory([...extractArgs('fail-fast', 'cache-a'), '--locked'], { cwd: root });
    expect(locked.code).toBe(0);
  });

  it('with --lock-timeout the second waits, says so, and then finds nothing to change', async () => {
    const first = cli(extractArgs('waiting', 'cache-b'));
    await heldBy(join(root, 'waiting/.falco-airgap.lock'), first.pid);
    const second = cli([...extractArgs('waiting', 'cache-b'), '--lock-timeout', '3m']);
    const [a, b] = await Promise.all([first.done, second.done]);
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(b.stderr).toContain(`info[LOCK_HELD]: another extract (pid ${first.pid}) is using ${root}/waiting: waiting for it to finish`);
    expect(b.stdout).toMatch(/\(0 changed, 11 unchanged; 0 blobs downloaded/);
    await expectLockOnDisk(join(root, 'waiting'));
  });

  it('into two directories at once sharing one blob cache: both succeed with the same files', async () => {
    const [a, b] = await Promise.all([cli(extractArgs('shared-1', 'cache-shared')).done, cli(extractArgs('shared-2', 'cache-shared')).done]);
    expect(a.stderr + b.stderr).not.toContain('error[');
    expect([a.code, b.code]).toEqual([0, 0]);
    const one = await expectLockOnDisk(join(root, 'shared-1'));
    const two = await expectLockOnDisk(join(root, 'shared-2'));
    expect(two.plugins).toEqual(one.plugins);
  });
});

describe('two publishes to one store prefix', () => {
  let bucket: TestbedBucket;
  let s3: TcpProxy;
  let publishEnv: Record<string, string>;

  beforeAll(async () => {
    bucket = await openTestbedBucket('cli-concurrent');
    const endpoint = new URL(bucket.endpoint);
    s3 = await tcpProxy({ host: endpoint.hostname, port: Number(endpoint.port) }, { kind: 'throttle', bytesPerSecond: 512 * 1024 });
    const plugins = ['k8saudit', 'json', 'cloudtrail'].map((name) => ({ name, version: '1.0.0', size: 1024 * 1024 }));
    await writeFixtureLock(join(root, 'store'), { plugins });
    await mkdir(join(root, 'xdg-cache'), { recursive: true });
    publishEnv = {
      ...bucket.env,
      FALCO_AIRGAP_S3_BUCKET: bucket.bucket,
      FALCO_AIRGAP_S3_ENDPOINT: `http://127.0.0.1:${s3.port}`,
      FALCO_AIRGAP_S3_PREFIX: 'team/falco',
    };
  });
  afterAll(async () => {
    await s3?.close();
    await bucket?.destroy();
  });

  const publishArgs = (channel: string) => ['publish', '--lock', 'store/plugins/plugins-lock.yaml', '--channel', channel];

  /** The files of the published release, read back from the bucket, have the lock's sha256. */
  async function expectPublishedAsLocked(channel: string): Promise<void> {
    const get = async (key: string) =>
      Buffer.from(await (await bucket.client.send(new GetObjectCommand({ Bucket: bucket.bucket, Key: `team/falco/${key}` }))).Body!.transformToByteArray());
    const pointer = JSON.parse((await get(`channels/${channel}.json`)).toString()) as { release: string };
    const release = JSON.parse((await get(`releases/${pointer.release}.json`)).toString()) as { plugins: { blob: string; sha256: string }[] };
    const lock = await loadLock(join(root, 'store/plugins/plugins-lock.yaml'));
    expect(release.plugins.map((p) => p.sha256).sort()).toEqual(lock.plugins.flatMap((p) => p.platforms.map((q) => q.sha256)).sort());
    for (const plugin of release.plugins) expect(sha256(await get(plugin.blob))).toBe(plugin.sha256);
  }

  it('refuses the second from this machine at once with exit 1, and the first publishes a release that verifies', async () => {
    const first = cli(publishArgs('staging'), publishEnv);
    await heldBy(await lockFileOf(first.pid), first.pid);
    const second = await cli(publishArgs('staging'), publishEnv).done;
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(
      new RegExp(
        `^error\\[LOCK_HELD\\]: another publish \\(pid ${first.pid}\\) is using s3://${bucket.bucket}/team/falco since \\S+ — wait for it to finish`,
        'm',
      ),
    );
    const done = await first.done;
    expect(done.stderr).not.toContain('error[');
    expect(done.code).toBe(0);
    await expectPublishedAsLocked('staging');
  });

  it('with --lock-timeout the second waits for the first, then finds the release in place', async () => {
    await bucket.destroy();
    bucket = await openTestbedBucket('cli-concurrent');
    publishEnv = { ...publishEnv, FALCO_AIRGAP_S3_BUCKET: bucket.bucket };
    const first = cli(publishArgs('prod'), publishEnv);
    await heldBy(await lockFileOf(first.pid), first.pid);
    const second = cli([...publishArgs('prod'), '--lock-timeout', '2m'], publishEnv);
    const [a, b] = await Promise.all([first.done, second.done]);
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(b.stderr).toContain(`info[LOCK_HELD]: another publish (pid ${first.pid}) is using s3://${bucket.bucket}/team/falco: waiting for it to finish`);
    expect(b.stdout).toMatch(/is already published in .*: nothing uploaded/);
    await expectPublishedAsLocked('prod');
  });

  /** The lock file a publish from `pid` takes: the one file under the lock directory naming it. */
  async function lockFileOf(pid: number): Promise<string> {
    const dir = join(root, 'xdg-cache/falco-airgap/locks');
    for (let i = 0; i < 300; i++) {
      for (const name of existsSync(dir) ? await readdir(dir) : []) {
        if (name.endsWith('.lock') && (await readFile(join(dir, name), 'utf8').catch(() => '')).includes(`"pid":${pid}`)) return join(dir, name);
      }
      await sleep(50);
    }
    throw new Error(`publish ${pid} never took a lock in ${dir}`);
  }
});

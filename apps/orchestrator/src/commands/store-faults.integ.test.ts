import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListMultipartUploadsCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { PluginStore, S3ObjectStore } from '@falco-airgap/s3-plugin-store';
import { openTestbedBucket, tcpProxy, writeFixtureLock, type FixtureLock, type FixturePlugin, type TestbedBucket } from '@falco-airgap/test-support';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runInMemory } from '../testing/run-in-memory.ts';

const PREFIX = 'falco/plugins';
const MiB = 1024 * 1024;
const repoRoot = resolve(import.meta.dirname, '../../../..');
let testbed: TestbedBucket;
let dir: string;

beforeAll(async () => {
  testbed = await openTestbedBucket('cli-faults');
  dir = await mkdtemp(join(tmpdir(), 'cli-faults-'));
});
afterAll(async () => {
  await testbed?.destroy();
  await rm(dir, { recursive: true, force: true });
});

let fixtures = 0;
const fixture = (plugins: FixturePlugin[]): Promise<FixtureLock> => writeFixtureLock(join(dir, `f${fixtures++}`), { plugins });
const storeFlags = (endpoint = testbed.endpoint) => ['--bucket', testbed.bucket, '--prefix', PREFIX, '--endpoint', endpoint];
const publishFlags = (f: FixtureLock) => ['--lock', f.lockPath, '--extracted', f.extractedDir];

async function cli(argv: string[], env: Record<string, string> = testbed.env) {
  const started = performance.now();
  const { code, stdout, stderr } = await runInMemory(['--json', ...argv], { env });
  const lines = stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  const result = lines.at(-1) as { ok: boolean; data?: Record<string, unknown>; error?: { code: string; message: string; hint?: string } };
  return { code, stderr, events: lines.slice(0, -1), result, ms: performance.now() - started };
}

const store = () => new PluginStore({ objects: new S3ObjectStore({ client: testbed.client, bucket: testbed.bucket }), prefix: PREFIX });

/** Blobs the release a channel follows names but the bucket lacks: what the loader would fail on. */
async function missingBlobsOf(channel: string): Promise<string[]> {
  const { release } = await store().resolveChannel(channel);
  const missing: string[] = [];
  for (const entry of [...release.plugins, ...release.rulesfiles]) {
    const found = await testbed.client.send(new HeadObjectCommand({ Bucket: testbed.bucket, Key: `${PREFIX}/${entry.blob}` })).then(
      () => true,
      () => false,
    );
    if (!found) missing.push(entry.blob);
  }
  return missing;
}

async function unfinishedUploads(key: string): Promise<string[]> {
  const listed = await testbed.client.send(new ListMultipartUploadsCommand({ Bucket: testbed.bucket, Prefix: key }));
  return (listed.Uploads ?? []).filter((u) => u.Key === key).map((u) => u.UploadId!);
}

describe('an S3 endpoint that accepts connections and never answers', () => {
  it.each([
    ['releases list', ['releases', 'list']],
    ['releases promote', ['releases', 'promote', 'falco-0.44.1-0000000000000000', '--channel', 'prod']],
    ['releases gc', ['releases', 'gc', '--apply']],
    ['publish', ['publish', '--channel', 'prod']],
  ])('%s ends within --timeout with exit 1 and S3STORE_TIMEOUT', async (_name, argv) => {
    const hung = await tcpProxy(undefined, { kind: 'stall' });
    try {
      const f = await fixture([{ name: 'json', version: '0.7.0' }]);
      const extra = argv[0] === 'publish' ? publishFlags(f) : [];
      const run = await cli([...argv, ...extra, ...storeFlags(hung.endpoint), '--timeout', '3s']);
      expect(run.code).toBe(1);
      expect(run.result.error).toMatchObject({ code: 'S3STORE_TIMEOUT' });
      expect(run.result.error!.hint).toContain('--timeout');
      expect(run.ms).toBeLessThan(8_000);
      expect(hung.connections).toBeGreaterThan(0);
      expect(run.stderr).not.toMatch(/requestTimeout|throwOnRequestTimeout/);
    } finally {
      await hung.close();
    }
  });
});

describe('publish racing gc', () => {
  it('50 rounds of publish --channel against gc --apply --min-age 0s: the channel never points at a release with a missing blob', async () => {
    let interleaved = 0;
    let restored = 0;
    for (let round = 0; round < 50; round++) {
      const f = await fixture(
        ['k8saudit', 'container', 'json'].map((name) => ({ name, version: `1.${round}.0`, size: 16 * 1024, platforms: ['linux/amd64'] })),
      );
      // The files are in the bucket already, unreferenced: what an interrupted earlier publish leaves, and what gc collects.
      const { release } = await store().publish(f.lock, f.extractedDir);
      await testbed.client.send(new DeleteObjectCommand({ Bucket: testbed.bucket, Key: `${PREFIX}/releases/${release.id}.json` }));

      const [published, collected] = await Promise.all([
        cli(['publish', '--channel', 'prod', ...publishFlags(f), ...storeFlags()]),
        cli(['releases', 'gc', '--apply', '--min-age', '0s', ...storeFlags()]),
      ]);
      expect(published.code, JSON.stringify(published.result.error)).toBe(0);
      expect(collected.code, JSON.stringify(collected.result.error)).toBe(0);
      expect(await missingBlobsOf('prod')).toEqual([]);
      expect((await store().resolveChannel('prod')).release.id).toBe(release.id);
      const details = published.events.map((e) => String(e.detail ?? ''));
      if (details.some((d) => d.startsWith('deleted by a gc'))) restored++;
      if (details.some((d) => d.startsWith('a gc started before')) || Number(collected.result.data!.leased) > 0) interleaved++;
    }
    // The rounds really raced: gc ran during publishes, and some publishes had to put files back.
    expect(interleaved).toBeGreaterThan(0);
    console.log(`publish racing gc: ${interleaved} of 50 rounds interleaved, ${restored} restored files gc had deleted`);
  }, 600_000);
});

describe('a publish killed in the middle of a multipart upload', () => {
  const cliProcess = (argv: string[], env: Record<string, string>) =>
    spawn(
      process.execPath,
      ['--conditions=@falco-airgap/source', '--disable-warning=ExperimentalWarning', join(repoRoot, 'apps/orchestrator/src/bin.ts'), ...argv],
      {
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, NO_COLOR: '1', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );

  async function publishUntilUploading(signal: NodeJS.Signals, f: FixtureLock, key: string) {
    const target = new URL(testbed.endpoint);
    const slow = await tcpProxy({ host: target.hostname, port: Number(target.port) }, { kind: 'throttle', bytesPerSecond: 4 * MiB });
    try {
      const child = cliProcess(['publish', ...publishFlags(f), ...storeFlags(slow.endpoint)], testbed.env);
      let stderr = '';
      child.stderr.on('data', (chunk) => (stderr += chunk));
      const exited = new Promise<number | null>((resolveExit) => child.on('close', (code) => resolveExit(code)));
      const deadline = Date.now() + 60_000;
      while ((await unfinishedUploads(key)).length === 0 && Date.now() < deadline) await sleep(50);
      const uploadIds = await unfinishedUploads(key);
      child.kill(signal);
      return { code: await exited, uploadIds, stderr };
    } finally {
      await slow.close();
    }
  }

  it('SIGINT: the process aborts its upload and exits 130, nothing is left behind', async () => {
    const f = await fixture([{ name: 'cloudtrail', version: '0.1.0', size: 40 * MiB, platforms: ['linux/amd64'] }]);
    const key = `${PREFIX}/blobs/sha256/${f.lock.plugins[0]!.platforms[0]!.sha256}`;
    const { code, uploadIds, stderr } = await publishUntilUploading('SIGINT', f, key);
    expect(uploadIds).toHaveLength(1);
    expect(code, stderr).toBe(130);
    expect(await unfinishedUploads(key)).toEqual([]);
  }, 120_000);

  it('SIGKILL: the upload is left, a re-run publishes, and gc --apply aborts what the killed one left', async () => {
    const f = await fixture([{ name: 'github', version: '0.1.0', size: 40 * MiB, platforms: ['linux/amd64'] }]);
    const key = `${PREFIX}/blobs/sha256/${f.lock.plugins[0]!.platforms[0]!.sha256}`;
    const { uploadIds } = await publishUntilUploading('SIGKILL', f, key);
    expect(uploadIds).toHaveLength(1);
    expect(await unfinishedUploads(key)).toEqual(uploadIds);

    const rerun = await cli(['publish', '--channel', 'killed', ...publishFlags(f), ...storeFlags()]);
    expect(rerun.code).toBe(0);
    expect(await missingBlobsOf('killed')).toEqual([]);
    const gc = await cli(['releases', 'gc', '--apply', '--min-age', '0s', ...storeFlags()]);
    expect(gc.code).toBe(0);
    expect(gc.result.data).toMatchObject({ abortedUploads: 1 });
    expect(await unfinishedUploads(key)).toEqual([]);
  }, 120_000);
});

describe('releases commands on damaged or aging stores', () => {
  it('promote repairs a channel document that was cut short, as its own error hint says', async () => {
    const f = await fixture([{ name: 'json', version: '2.0.0', platforms: ['linux/amd64'] }]);
    const first = await cli(['publish', '--channel', 'cut', ...publishFlags(f), ...storeFlags()]);
    const key = `${PREFIX}/channels/cut.json`;
    const text = await (await testbed.client.send(new GetObjectCommand({ Bucket: testbed.bucket, Key: key }))).Body!.transformToString();
    await testbed.client.send(new PutObjectCommand({ Bucket: testbed.bucket, Key: key, Body: text.slice(0, 17) }));

    const listed = await cli(['releases', 'rollback', '--channel', 'cut', ...storeFlags()]);
    expect(listed.code).toBe(3);
    expect(listed.result.error).toMatchObject({ code: 'S3STORE_BAD_DOCUMENT' });
    expect(listed.result.error!.hint).toContain('promote a release to repair it');

    const repaired = await cli(['releases', 'promote', String(first.result.data!.release), '--channel', 'cut', ...storeFlags()]);
    expect(repaired.code).toBe(0);
    expect(repaired.result.data).toMatchObject({ changed: true, repaired: true });
    expect(repaired.events.some((e) => e.type === 'diagnostic' && e.code === 'S3STORE_BAD_DOCUMENT')).toBe(true);
    expect((await store().getChannel('cut')).pointer).toMatchObject({ release: first.result.data!.release, previous: [] });
  });

  it('gc --keep-releases retires old releases, never one a channel or its history points at, and their blobs go with them', async () => {
    const own = await openTestbedBucket('cli-keep');
    try {
      const flags = ['--bucket', own.bucket, '--prefix', PREFIX, '--endpoint', own.endpoint];
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const f = await fixture([{ name: 'json', version: `3.${i}.0`, platforms: ['linux/amd64'] }]);
        ids.push(String((await cli(['publish', ...publishFlags(f), ...flags], own.env)).result.data!.release));
        await sleep(10);
      }
      expect((await cli(['releases', 'promote', ids[0]!, '--channel', 'prod', ...flags], own.env)).code).toBe(0);
      expect((await cli(['releases', 'promote', ids[1]!, '--channel', 'prod', ...flags], own.env)).code).toBe(0);
      const gc = await cli(['releases', 'gc', '--apply', '--min-age', '0s', '--keep-releases', '2', ...flags], own.env);
      expect(gc.code).toBe(0);
      expect(gc.result.data).toMatchObject({ retired: 1, deleted: 1, retire: [{ id: ids[2] }] });
      const left = await cli(['releases', 'list', ...flags], own.env);
      expect((left.result.data!.releases as { id: string }[]).map((r) => r.id).sort()).toEqual([ids[0], ids[1], ids[3], ids[4]].sort());
      const rolledBack = await cli(['releases', 'rollback', '--channel', 'prod', ...flags], own.env);
      expect(rolledBack.result.data).toMatchObject({ to: ids[0] });
    } finally {
      await own.destroy();
    }
  });
});

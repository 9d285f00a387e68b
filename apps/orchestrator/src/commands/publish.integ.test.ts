import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { serializeLock, type LockedPlugin, type PluginsLock } from '@falco-airgap/manifest';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runInMemory } from '../testing/run-in-memory.ts';

// Loaded by path: tools/ sits outside this app's tsconfig rootDir.
const testbedEnv = join(import.meta.dirname, '../../../../tools/testbed/env.ts');
const { requireTestbed } = (await import(testbedEnv)) as { requireTestbed: (...keys: string[]) => Record<string, string> };
const env = requireTestbed('TESTBED_S3_ENDPOINT', 'TESTBED_S3_ACCESS_KEY', 'TESTBED_S3_SECRET_KEY', 'TESTBED_S3_REGION');
const credentials = { accessKeyId: env.TESTBED_S3_ACCESS_KEY!, secretAccessKey: env.TESTBED_S3_SECRET_KEY! };
const client = new S3Client({ endpoint: env.TESTBED_S3_ENDPOINT!, region: env.TESTBED_S3_REGION!, forcePathStyle: true, credentials });
const bucket = `cli-publish-${randomBytes(4).toString('hex')}`;
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
let dir: string;
// The CLI takes credentials from the environment, as in Jenkins.
const awsEnv = { AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey, AWS_REGION: env.TESTBED_S3_REGION };

beforeAll(async () => {
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  dir = await mkdtemp(join(tmpdir(), 'cli-publish-'));
});
afterAll(async () => {
  const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
  if (listed.Contents?.length)
    await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: listed.Contents.map((o) => ({ Key: o.Key! })) } }));
  await client.send(new DeleteBucketCommand({ Bucket: bucket }));
  client.destroy();
  await rm(dir, { recursive: true, force: true });
});

/** What extract leaves behind: plugins/extracted/<os>-<arch>/lib<name>.so and plugins/plugins-lock.yaml. */
async function extractedTree(name: string, plugins: { name: string; version: string }[]): Promise<string> {
  const root = join(dir, name);
  const locked: LockedPlugin[] = [];
  for (const plugin of plugins) {
    const entry: LockedPlugin = {
      name: plugin.name,
      version: plugin.version,
      source: { artifact: `registry.example/plugin/${plugin.name}:${plugin.version}` },
      resolvedDigest: `sha256:${'1'.repeat(64)}`,
      platforms: [],
    };
    for (const [platform, arch, machine] of [
      ['linux/amd64', 'amd64', 'x86-64'],
      ['linux/arm64', 'arm64', 'aarch64'],
    ] as const) {
      const bytes = Buffer.concat([Buffer.from('\x7fELF'), randomBytes(20_000)]);
      const path = `linux-${arch}/lib${plugin.name}.so`;
      await mkdir(join(root, 'plugins/extracted', `linux-${arch}`), { recursive: true });
      await writeFile(join(root, 'plugins/extracted', path), bytes);
      entry.platforms.push({
        platform,
        manifestDigest: `sha256:${'2'.repeat(64)}`,
        layerDigest: `sha256:${'3'.repeat(64)}`,
        file: `lib${plugin.name}.so`,
        sha256: sha256(bytes),
        size: bytes.length,
        elfMachine: machine,
        pluginApiVersion: '3.10.0',
        pluginApiVersionSource: 'artifact-config',
        path,
      });
    }
    locked.push(entry);
  }
  const lock: PluginsLock = {
    apiVersion: 'falco-airgap/v1alpha1',
    kind: 'PluginsLock',
    generatedAt: '2026-01-01T00:00:00.000Z',
    falco: { version: '0.44.1' },
    manifestSha256: '0'.repeat(64),
    plugins: locked,
    rulesfiles: [],
  };
  await writeFile(join(root, 'plugins/plugins-lock.yaml'), serializeLock(lock));
  return root;
}

async function run(cwd: string, argv: string[]) {
  const { code, stdout, stderr } = await runInMemory(argv, { cwd, env: awsEnv });
  const lines =
    argv.includes('--json') && stdout.trim()
      ? stdout
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l))
      : [];
  return { code, stdout, stderr, events: lines.slice(0, -1), result: lines.at(-1) };
}

const store = ['--bucket', bucket, '--prefix', 'falco/plugins', '--endpoint', env.TESTBED_S3_ENDPOINT!];

describe('falco-airgap publish and releases against S3', () => {
  let cwd: string;
  let first: string;
  let second: string;

  it('publishes the lock, streaming a task per file, and promotes it', async () => {
    cwd = await extractedTree('one', [
      { name: 'k8saudit', version: '0.18.0' },
      { name: 'container', version: '0.7.1' },
    ]);
    const { code, events, result } = await run(cwd, ['--json', 'publish', ...store, '--channel', 'staging']);
    expect(code).toBe(0);
    expect(result).toMatchObject({
      type: 'result',
      ok: true,
      command: 'publish',
      data: { releaseStatus: 'created', uploadedBytes: 4 * 20_004, channel: { channel: 'staging', changed: true } },
    });
    first = result.data.release;
    expect(events.filter((e) => e.type === 'task' && e.status === 'done' && e.detail === 'uploaded')).toHaveLength(4);
    expect(events.some((e) => e.type === 'progress')).toBe(true);
    const pointer = await client.send(new GetObjectCommand({ Bucket: bucket, Key: 'falco/plugins/channels/staging.json' }));
    expect(JSON.parse(await pointer.Body!.transformToString())).toMatchObject({ release: first, previous: [] });
  });

  it('publishes nothing the second time and says so', async () => {
    const { code, stdout } = await run(cwd, ['publish', ...store, '--channel', 'staging']);
    expect(code).toBe(0);
    expect(stdout).toBe(
      `release ${first} is already published in s3://${bucket}/falco/plugins: nothing uploaded; channel staging already follows ${first}: nothing to do\n`,
    );
    const again = await run(cwd, ['--json', 'publish', ...store]);
    expect(again.result.data).toMatchObject({ release: first, releaseStatus: 'present', uploadedBytes: 0 });
  });

  it('promotes, lists, shows and rolls back', async () => {
    const next = await extractedTree('two', [{ name: 'k8saudit', version: '0.19.0' }]);
    second = (await run(next, ['--json', 'publish', ...store])).result.data.release;
    expect((await run(cwd, ['releases', 'promote', first, '--channel', 'prod', ...store])).code).toBe(0);
    const promoted = await run(cwd, ['--json', 'releases', 'promote', second, '--channel', 'prod', ...store]);
    expect(promoted.result.data).toEqual({ channel: 'prod', from: first, to: second, changed: true });

    const listed = await run(cwd, ['--json', 'releases', 'list', ...store]);
    expect(listed.result.data.releases.map((r: { id: string; channels: string[] }) => [r.id, r.channels])).toEqual([
      [second, ['prod']],
      [first, ['staging']],
    ]);
    const shown = await run(cwd, ['--json', 'releases', 'show', second, ...store]);
    expect(shown.result.data).toMatchObject({
      release: { id: second, plugins: [{ name: 'k8saudit', version: '0.19.0' }, { name: 'k8saudit' }] },
      channels: ['prod'],
    });

    const rolled = await run(cwd, ['--json', 'releases', 'rollback', '--channel', 'prod', ...store]);
    expect(rolled.result.data).toEqual({ channel: 'prod', from: second, to: first, changed: true });
    const again = await run(cwd, ['releases', 'rollback', '--channel', 'prod', ...store]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('error[S3STORE_NO_PREVIOUS_RELEASE]');
  });

  it('runs gc as a dry run by default and deletes with --apply', async () => {
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: `falco/plugins/blobs/sha256/${'a'.repeat(64)}`, Body: 'orphan' }));
    const dry = await run(cwd, ['--json', 'releases', 'gc', '--min-age', '0s', ...store]);
    expect(dry.result.data).toMatchObject({ applied: false, deleted: 0, delete: [{ key: `falco/plugins/blobs/sha256/${'a'.repeat(64)}` }] });
    const applied = await run(cwd, ['--json', 'releases', 'gc', '--apply', '--min-age', '0s', ...store]);
    expect(applied.result.data).toMatchObject({ applied: true, deleted: 1 });
  });

  it('exits 3 when an extracted file does not match the lock', async () => {
    const broken = await extractedTree('broken', [{ name: 'json', version: '0.7.0' }]);
    await writeFile(join(broken, 'plugins/extracted/linux-amd64/libjson.so'), 'not the locked bytes');
    const { code, result } = await run(broken, ['--json', 'publish', ...store]);
    expect(code).toBe(3);
    expect(result.error.code).toBe('S3STORE_SIZE_MISMATCH');
  });

  it('exits 2 promoting a release that does not exist, 1 when S3 cannot be reached', async () => {
    const missing = await run(cwd, ['releases', 'promote', 'falco-0.44.1-0000000000000000', '--channel', 'prod', ...store]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('error[S3STORE_RELEASE_NOT_FOUND]');
    const down = await run(cwd, ['releases', 'list', '--bucket', bucket, '--endpoint', 'http://127.0.0.1:1']);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain('error[S3STORE_UNAVAILABLE]');
  });
});

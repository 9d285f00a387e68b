import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { createDockerEngine } from '@falco-airgap/container-engine';
import { publishFixturesTo } from '@falco-airgap/fixtures';
import { parseLock } from '@falco-airgap/manifest';
import { ensureImageBases } from '@falco-airgap/test-support';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runInMemory } from '../testing/run-in-memory.ts';

// Loaded by path: tools/ sits outside this app's tsconfig rootDir.
const testbedEnv = join(import.meta.dirname, '../../../../tools/testbed/env.ts');
const { requireTestbed } = (await import(testbedEnv)) as { requireTestbed: (...keys: string[]) => Record<string, string> };
const env = requireTestbed(
  'TESTBED_REGISTRY',
  'TESTBED_DOCKER_HOST',
  'TESTBED_S3_ENDPOINT',
  'TESTBED_S3_ACCESS_KEY',
  'TESTBED_S3_SECRET_KEY',
  'TESTBED_S3_REGION',
);
const REGISTRY = env.TESTBED_REGISTRY!;
const credentials = { accessKeyId: env.TESTBED_S3_ACCESS_KEY!, secretAccessKey: env.TESTBED_S3_SECRET_KEY! };
const s3 = new S3Client({ endpoint: env.TESTBED_S3_ENDPOINT!, region: env.TESTBED_S3_REGION!, forcePathStyle: true, credentials });
const bucket = `cli-pipeline-${randomBytes(4).toString('hex')}`;
// The CLI takes credentials from the environment, as in Jenkins.
const awsEnv = { AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey, AWS_REGION: env.TESTBED_S3_REGION };
let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'cli-pipeline-'));
  await publishFixturesTo({ registry: REGISTRY, plainHttp: true });
  const shipped = await readFile(join(import.meta.dirname, '../../../../plugins/plugins-manifest.yaml'), 'utf8');
  await writeFile(join(root, 'manifest.yaml'), shipped.replaceAll('ghcr.io/', `${REGISTRY}/`).replaceAll('docker.io/', `${REGISTRY}/`));
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
}, 300_000);

afterAll(async () => {
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
  if (listed.Contents?.length) await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: listed.Contents.map((o) => ({ Key: o.Key! })) } }));
  await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
  s3.destroy();
  await rm(root, { recursive: true, force: true });
});

const pipelineArgs = [
  '--json',
  'pipeline',
  '--env',
  'staging',
  '--strategy',
  's3',
  '--no-build',
  '--no-deploy',
  '--manifest',
  'manifest.yaml',
  '--plain-http',
  REGISTRY,
  '--cache-dir',
  'cache',
  '--bucket',
  bucket,
  '--prefix',
  'falco',
  '--endpoint',
  env.TESTBED_S3_ENDPOINT!,
];
const resultOf = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!);

describe('falco-airgap pipeline (testbed)', () => {
  it('extracts from the registry and publishes a release the env channel follows, then does nothing the second time', async () => {
    const first = await runInMemory(pipelineArgs, { cwd: root, env: awsEnv });
    expect(first.stderr).not.toContain('error[');
    expect(first.code).toBe(0);
    const lock = parseLock(await readFile(join(root, 'plugins/plugins-lock.yaml'), 'utf8'));
    expect(lock.plugins.flatMap((p) => p.platforms)).toHaveLength(10);
    const firstResult = resultOf(first.stdout);
    expect(firstResult.data.stages.map((s: { stage: string }) => s.stage)).toEqual(['extract', 'publish']);
    const release = firstResult.data.stages[1].data.release as string;

    const keys = (await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'falco/' }))).Contents!.map((o) => o.Key!);
    expect(keys).toContain(`falco/releases/${release}.json`);
    expect(keys).toContain('falco/channels/staging.json');
    expect(keys.filter((k) => k.startsWith('falco/blobs/sha256/'))).toHaveLength(11);

    const listed = await runInMemory(['--json', 'releases', 'list', '--bucket', bucket, '--prefix', 'falco', '--endpoint', env.TESTBED_S3_ENDPOINT!], {
      cwd: root,
      env: awsEnv,
    });
    expect(listed.code).toBe(0);
    expect(JSON.stringify(resultOf(listed.stdout).data)).toContain('staging');

    const lockBytes = await readFile(join(root, 'plugins/plugins-lock.yaml'), 'utf8');
    const second = await runInMemory(pipelineArgs, { cwd: root, env: awsEnv });
    expect(second.code).toBe(0);
    const secondResult = resultOf(second.stdout);
    expect(secondResult.data.stages[1].data.release).toBe(release);
    expect(secondResult.data.stages[1].data.blobs.map((b: { action: string }) => b.action)).toEqual(Array(11).fill('present'));
    expect(await readFile(join(root, 'plugins/plugins-lock.yaml'), 'utf8')).toBe(lockBytes);
  });
});

describe('falco-airgap pipeline with the build and push stages (testbed)', () => {
  it('extracts, then builds and pushes the images of the sidecar strategy; the second run builds nothing', async () => {
    const bases = await ensureImageBases(createDockerEngine({ host: env.TESTBED_DOCKER_HOST }));
    const images = `${REGISTRY}/cli-pipeline-${randomBytes(4).toString('hex')}`;
    const args = [
      '--json',
      'pipeline',
      '--env',
      'dev',
      '--strategy',
      'sidecar',
      '--no-deploy',
      '--manifest',
      'manifest.yaml',
      '--out',
      'sidecar-plugins',
      '--plain-http',
      REGISTRY,
      '--cache-dir',
      'cache',
      '--registry',
      images,
      '--base-image',
      bases.base,
      '--falco-image',
      bases.falco,
      '--docker-dir',
      join(import.meta.dirname, '../../../../docker'),
    ];
    const dockerEnv = { DOCKER_HOST: env.TESTBED_DOCKER_HOST!, DOCKER_CONFIG: join(root, 'no-docker-config') };
    const first = await runInMemory(args, { cwd: root, env: dockerEnv });
    expect(first.stderr).not.toContain('error[');
    expect(first.code).toBe(0);
    const stages = resultOf(first.stdout).data.stages as { stage: string; data: { images?: { image: string; status: string }[] } }[];
    expect(stages.map((s) => s.stage)).toEqual(['extract', 'build']);
    expect(stages[1]!.data.images!.map((i) => [i.image, i.status])).toEqual([
      ['falco', 'pushed'],
      ['plugin-loader', 'pushed'],
    ]);
    const second = await runInMemory(args, { cwd: root, env: dockerEnv });
    expect(second.code).toBe(0);
    expect(resultOf(second.stdout).data.stages[1].data.images.map((i: { status: string }) => i.status)).toEqual(['unchanged', 'unchanged']);
  });
});

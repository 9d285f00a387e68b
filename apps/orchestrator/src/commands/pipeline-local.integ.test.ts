import { CreateBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { createDockerEngine } from '@falco-airgap/container-engine';
import { publishFixturesTo } from '@falco-airgap/fixtures';
import { ensureImageBases, testbedTools } from '@falco-airgap/test-support';
import { requireTestbed } from '@falco-airgap/testbed/env';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runInMemory } from '../testing/run-in-memory.ts';

// The whole local flow on the testbed: registry on loopback, MinIO, the API server with kwok nodes, helm.
const env = requireTestbed(
  'TESTBED_REGISTRY',
  'TESTBED_REGISTRY_LOG',
  'TESTBED_DOCKER_HOST',
  'TESTBED_S3_ENDPOINT',
  'TESTBED_S3_ACCESS_KEY',
  'TESTBED_S3_SECRET_KEY',
  'TESTBED_S3_REGION',
  'TESTBED_HELM',
  'TESTBED_KUBECONFIG',
);
const repoRoot = resolve(import.meta.dirname, '../../../..');
const tools = testbedTools();
const run = randomBytes(3).toString('hex');
const REGISTRY = env.TESTBED_REGISTRY!;
const images = `${REGISTRY}/pipeline-local-${run}`;
const bucket = `pipeline-local-${run}`;
const namespaces = { sidecar: `fa-pipeline-sidecar-${run}`, s3: `fa-pipeline-s3-${run}` };
const credentials = { accessKeyId: env.TESTBED_S3_ACCESS_KEY!, secretAccessKey: env.TESTBED_S3_SECRET_KEY! };
const s3 = new S3Client({ endpoint: env.TESTBED_S3_ENDPOINT!, region: env.TESTBED_S3_REGION!, forcePathStyle: true, credentials });
let root: string;
let bases: { base: string; falco: string };

const config = (kubeconfig: string) => `apiVersion: falco-airgap/v1
kind: Config
environments:
  local:
    registry: { host: ${images}, plainHttp: true }
    cluster: { kubeconfig: ${kubeconfig} }
    strategy: sidecar
    namespace: ${namespaces.sidecar}
    release: falco-${run}
    timeout: 3m
  local-s3:
    registry: { host: ${images}, plainHttp: true }
    cluster: { kubeconfig: ${kubeconfig} }
    strategy: s3
    store: { bucket: ${bucket}, prefix: falco, channel: local, endpoint: '${env.TESTBED_S3_ENDPOINT}', region: ${env.TESTBED_S3_REGION} }
    namespace: ${namespaces.s3}
    release: falco-s3-${run}
    timeout: 3m
`;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'pipeline-local-'));
  await publishFixturesTo({ registry: REGISTRY, plainHttp: true });
  bases = await ensureImageBases(createDockerEngine({ host: env.TESTBED_DOCKER_HOST }));
  const shipped = await readFile(join(repoRoot, 'plugins/plugins-manifest.yaml'), 'utf8');
  await writeFile(join(root, 'manifest.yaml'), shipped.replaceAll('ghcr.io/', `${REGISTRY}/`).replaceAll('docker.io/', `${REGISTRY}/`));
  await writeFile(join(root, 'falco-airgap.config.yaml'), config(env.TESTBED_KUBECONFIG!));
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
}, 300_000);

afterAll(async () => {
  for (const [strategy, namespace] of Object.entries(namespaces)) {
    for (const release of strategy === 's3' ? [`falco-s3-${run}`] : [`falco-${run}`, `falco-timeout-${run}`])
      await tools.helm(['uninstall', release, '-n', namespace, '--kubeconfig', env.TESTBED_KUBECONFIG!]);
    await tools.kubectl(['delete', 'namespace', namespace, '--wait=false', '--ignore-not-found']);
  }
  tools.cleanup();
  s3.destroy();
  await rm(root, { recursive: true, force: true });
});

const cliEnv = () => ({
  HOME: root,
  PATH: process.env.PATH,
  DOCKER_HOST: env.TESTBED_DOCKER_HOST!,
  DOCKER_CONFIG: join(root, 'no-docker-config'),
  FALCO_AIRGAP_HELM: env.TESTBED_HELM!,
  AWS_ACCESS_KEY_ID: credentials.accessKeyId,
  AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
});
const pipeline = (envName: string, ...extra: string[]) =>
  runInMemory(
    [
      '--json',
      'pipeline',
      '--env',
      envName,
      '--manifest',
      'manifest.yaml',
      '--out',
      `plugins-${envName}`,
      '--cache-dir',
      'cache',
      '--base-image',
      bases.base,
      '--falco-image',
      bases.falco,
      '--docker-dir',
      join(repoRoot, 'docker'),
      '--s3-loader-binary',
      join(repoRoot, 'apps/s3-loader/dist/falco-s3-loader'),
      '--chart',
      join(repoRoot, 'helm/falco-airgap'),
      '--diagnostics-dir',
      'diagnostics',
      ...extra,
    ],
    { cwd: root, env: cliEnv() },
  );

interface StageReport {
  stage: string;
  status: string;
  durationMs: number;
  data?: Record<string, unknown>;
}
const lines = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
const resultOf = (stdout: string) => lines(stdout).at(-1) as { exitCode: number; data: { stages: StageReport[] }; error?: { code: string } };
const statuses = (stdout: string) => resultOf(stdout).data.stages.map((s) => [s.stage, s.status]);

/** Requests that changed the registry (uploads, manifest and tag writes) since an offset of its access log. */
async function registryWritesSince(offset: number): Promise<string[]> {
  const log = (await readFile(env.TESTBED_REGISTRY_LOG!, 'utf8')).slice(offset);
  return log.split('\n').filter((line) => /"(PUT|POST|PATCH|DELETE) /.test(line) && line.includes(`pipeline-local-${run}`));
}
const registryLogSize = async () => (await stat(env.TESTBED_REGISTRY_LOG!)).size;
const storeObjects = async () =>
  ((await s3.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents ?? []).map((o) => `${o.Key} ${o.ETag} ${o.LastModified?.toISOString()}`).sort();
const helmRevisions = async (release: string, namespace: string) =>
  (JSON.parse((await tools.helm(['history', release, '-n', namespace, '-o', 'json', '--kubeconfig', env.TESTBED_KUBECONFIG!])).stdout || '[]') as unknown[])
    .length;
const podsReady = async (namespace: string) => {
  const pods = JSON.parse((await tools.kubectl(['get', 'pods', '-n', namespace, '-o', 'json'])).stdout) as {
    items: { status: { conditions?: { type: string; status: string }[] } }[];
  };
  return pods.items.length > 0 && pods.items.every((pod) => pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
};
const deployedImages = async (namespace: string) =>
  (await tools.kubectl(['get', 'daemonset', '-n', namespace, '-o', 'jsonpath={..image}'])).stdout.split(/\s+/).filter(Boolean).sort();

describe('falco-airgap pipeline --env local (testbed, end to end)', () => {
  it('sidecar: extracts, builds and pushes, deploys by digest with pods ready; the re-run changes nothing anywhere', async () => {
    const first = await pipeline('local');
    expect(first.code, first.stderr).toBe(0);
    expect(statuses(first.stdout)).toEqual([
      ['extract', 'done'],
      ['build', 'done'],
      ['deploy', 'done'],
    ]);
    expect(await podsReady(namespaces.sidecar)).toBe(true);
    const build = resultOf(first.stdout).data.stages[1]!.data as { images: { image: string; digest: string }[] };
    const digests = Object.fromEntries(build.images.map((i) => [i.image, i.digest]));
    // The chart runs exactly what was pushed, by digest.
    expect(await deployedImages(namespaces.sidecar)).toEqual(
      [`${images}/falco@${digests.falco}`, `${images}/falco-plugin-loader@${digests['plugin-loader']}`].sort(),
    );

    const logOffset = await registryLogSize();
    const started = performance.now();
    const second = await pipeline('local');
    const elapsed = performance.now() - started;
    expect(second.code, second.stderr).toBe(0);
    expect(statuses(second.stdout)).toEqual([
      ['extract', 'unchanged'],
      ['build', 'unchanged'],
      ['deploy', 'unchanged'],
    ]);
    expect(await registryWritesSince(logOffset)).toEqual([]);
    expect(await helmRevisions(`falco-${run}`, namespaces.sidecar)).toBe(1);
    expect(elapsed).toBeLessThan(30_000);
  });

  it('s3: publishes a release the cluster follows by channel, deploys the loader image; the re-run writes nothing', async () => {
    const first = await pipeline('local-s3');
    expect(first.code, first.stderr).toBe(0);
    const stages = resultOf(first.stdout).data.stages;
    // Publish and build run side by side; both finish before deploy.
    expect(stages.map((s) => s.stage).sort()).toEqual(['build', 'deploy', 'extract', 'publish']);
    expect(stages.at(-1)).toMatchObject({ stage: 'deploy', status: 'done' });
    expect(await podsReady(namespaces.s3)).toBe(true);
    const values = JSON.parse(
      (await tools.helm(['get', 'values', `falco-s3-${run}`, '-n', namespaces.s3, '-o', 'json', '--kubeconfig', env.TESTBED_KUBECONFIG!])).stdout,
    ) as { pluginStrategy: string; s3: { bucket: string; channel: string; prefix: string } };
    expect(values).toMatchObject({ pluginStrategy: 's3', s3: { bucket, channel: 'local', prefix: 'falco' } });
    expect((await storeObjects()).some((o) => o.startsWith('falco/channels/local.json'))).toBe(true);

    const objects = await storeObjects();
    const logOffset = await registryLogSize();
    const second = await pipeline('local-s3');
    expect(second.code, second.stderr).toBe(0);
    expect(resultOf(second.stdout).data.stages.every((s) => s.status === 'unchanged')).toBe(true);
    expect(await storeObjects()).toEqual(objects);
    expect(await registryWritesSince(logOffset)).toEqual([]);
    expect(await helmRevisions(`falco-s3-${run}`, namespaces.s3)).toBe(1);
  });

  it('a stage that fails is named, stops what depends on it, and a re-run after recovery completes', async () => {
    // S3 down: publish fails; build, running beside it, still finishes; deploy does not start.
    const s3Down = await pipeline('local-s3', '--endpoint', 'http://127.0.0.1:1');
    expect(s3Down.code).toBe(1);
    const events = lines(s3Down.stdout);
    expect(events).toContainEqual(expect.objectContaining({ type: 'task', id: 'stage:publish', status: 'failed' }));
    expect(events).toContainEqual(expect.objectContaining({ type: 'diagnostic', code: 'PIPELINE_STAGE_FAILED' }));
    expect(events.some((e) => e.id === 'stage:deploy')).toBe(false);

    // Registry down: the build stage fails and names it.
    const registryDown = await pipeline('local', '--registry', `127.0.0.1:1/pipeline-local-${run}`, '--plain-http', REGISTRY, '--plain-http', '127.0.0.1:1');
    expect(registryDown.code).toBe(1);
    expect(lines(registryDown.stdout)).toContainEqual(expect.objectContaining({ type: 'task', id: 'stage:build', status: 'failed' }));

    // API server down: deploy fails before helm runs; the release is untouched.
    const revisions = await helmRevisions(`falco-${run}`, namespaces.sidecar);
    const nowhere = join(root, 'nowhere.kubeconfig');
    await writeFile(nowhere, (await readFile(env.TESTBED_KUBECONFIG!, 'utf8')).replace(/server: https:\/\/[^\n]+/, 'server: https://127.0.0.1:1'));
    const apiDown = await pipeline('local', '--kubeconfig', nowhere);
    expect(apiDown.code).not.toBe(0);
    expect(lines(apiDown.stdout)).toContainEqual(expect.objectContaining({ type: 'task', id: 'stage:deploy', status: 'failed' }));
    expect(await helmRevisions(`falco-${run}`, namespaces.sidecar)).toBe(revisions);

    // A rollout that cannot complete (no node matches): deploy fails, and a diagnostics bundle says why.
    await writeFile(join(root, 'nowhere.yaml'), 'nodeSelector:\n  falco-airgap.dev/nowhere: "true"\n');
    const timedOut = await pipeline('local', '--release', `falco-timeout-${run}`, '--values', 'nowhere.yaml', '--timeout', '20s');
    expect(timedOut.code).toBe(1);
    const timeoutEvents = lines(timedOut.stdout);
    expect(timeoutEvents).toContainEqual(expect.objectContaining({ type: 'task', id: 'stage:deploy', status: 'failed' }));
    const diagnosis = timeoutEvents.find((e) => e.code === 'DEPLOY_DIAGNOSIS') as { location: string } | undefined;
    expect(diagnosis?.location).toContain(join(root, 'diagnostics'));
    expect(existsSync(diagnosis!.location)).toBe(true);

    const recovered = await pipeline('local');
    expect(recovered.code, recovered.stderr).toBe(0);
  });
});

import { DescribeRepositoriesCommand, ECRClient } from '@aws-sdk/client-ecr';
import { publishFixturesTo } from '@falco-airgap/fixtures';
import { requireTestbed } from '@falco-airgap/testbed/env';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ecrRegistryOf, openEcr } from '../stages/ecr-access.ts';
import { resolveEnvironment } from '../environment.ts';
import { runInMemory } from '../testing/run-in-memory.ts';

// A pipeline whose registry is ECR, with ECR answered by moto: repositories are ensured before any push.
const testbed = requireTestbed(
  'TESTBED_REGISTRY',
  'TESTBED_AWS_ENDPOINT',
  'TESTBED_AWS_REGION',
  'TESTBED_AWS_ACCOUNT_ID',
  'TESTBED_AWS_ACCESS_KEY_ID',
  'TESTBED_AWS_SECRET_ACCESS_KEY',
);
const repoRoot = resolve(import.meta.dirname, '../../../..');
const run = randomBytes(4).toString('hex');
const region = testbed.TESTBED_AWS_REGION!;
const host = `${testbed.TESTBED_AWS_ACCOUNT_ID}.dkr.ecr.${region}.amazonaws.com`;
const awsEnv = {
  AWS_ENDPOINT_URL_ECR: testbed.TESTBED_AWS_ENDPOINT!,
  AWS_ACCESS_KEY_ID: testbed.TESTBED_AWS_ACCESS_KEY_ID!,
  AWS_SECRET_ACCESS_KEY: testbed.TESTBED_AWS_SECRET_ACCESS_KEY!,
  AWS_REGION: region,
};
const ecr = new ECRClient({
  region,
  endpoint: testbed.TESTBED_AWS_ENDPOINT!,
  credentials: { accessKeyId: awsEnv.AWS_ACCESS_KEY_ID, secretAccessKey: awsEnv.AWS_SECRET_ACCESS_KEY },
});
let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'pipeline-ecr-'));
  await publishFixturesTo({ registry: testbed.TESTBED_REGISTRY!, plainHttp: true });
  const shipped = await readFile(join(repoRoot, 'plugins/plugins-manifest.yaml'), 'utf8');
  const local = testbed.TESTBED_REGISTRY!;
  await writeFile(join(root, 'manifest.yaml'), shipped.replaceAll('ghcr.io/', `${local}/`).replaceAll('docker.io/', `${local}/`));
}, 300_000);

afterAll(async () => {
  ecr.destroy();
  await rm(root, { recursive: true, force: true });
});

describe('pipeline with an ECR registry (moto)', () => {
  it('creates the repositories of the strategy with immutable tags and scan on push before building', async () => {
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
      '--plain-http',
      testbed.TESTBED_REGISTRY!,
      '--cache-dir',
      'cache',
      '--registry',
      `${host}/fa-${run}`,
      '--docker-dir',
      join(repoRoot, 'docker'),
    ];
    // No Docker engine here: the build fails right after the repositories are in place, and says it was the build stage.
    const result = await runInMemory(args, { cwd: root, env: { ...awsEnv, DOCKER_HOST: 'unix:///nonexistent/docker.sock', HOME: root } });
    expect(result.code).not.toBe(0);
    const events = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(events).toContainEqual(expect.objectContaining({ type: 'task', id: 'stage:extract', status: 'done' }));
    expect(events).toContainEqual(expect.objectContaining({ type: 'task', id: 'stage:build', status: 'failed' }));

    const described = await ecr.send(new DescribeRepositoriesCommand({ repositoryNames: [`fa-${run}/falco`, `fa-${run}/falco-plugin-loader`] }));
    expect(described.repositories!.map((r) => [r.repositoryName, r.imageTagMutability, r.imageScanningConfiguration?.scanOnPush]).sort()).toEqual([
      [`fa-${run}/falco`, 'IMMUTABLE', true],
      [`fa-${run}/falco-plugin-loader`, 'IMMUTABLE', true],
    ]);
  });

  it('answers the registry client with the ECR token for the pushed-to host only', async () => {
    const target = ecrRegistryOf(`${host}/fa-${run}`)!;
    expect(target).toEqual({ account: testbed.TESTBED_AWS_ACCOUNT_ID, region, host, path: `fa-${run}` });
    const opened = await openEcr(target, resolveEnvironment({ ...awsEnv, HOME: root }));
    try {
      expect(await opened.credentials.lookup(host)).toMatchObject({ username: 'AWS', password: expect.any(String) });
      expect(await opened.credentials.lookup('ghcr.io')).toBeUndefined();
    } finally {
      opened.close();
    }
    expect(ecrRegistryOf('ghcr.io/falcosecurity')).toBeUndefined();
  });
});

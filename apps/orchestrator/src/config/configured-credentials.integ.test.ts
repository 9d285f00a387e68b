import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { buildRulesfileArtifact, openRegistry, publishArtifactTo } from '@falco-airgap/fixtures';
import { loadLock } from '@falco-airgap/manifest';
import { openTestbedBucket, writeFixtureLock, type TestbedBucket } from '@falco-airgap/test-support';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runInMemory } from '../testing/run-in-memory.ts';

// Loaded by path: tools/ sits outside this app's tsconfig rootDir.
const testbedEnv = join(import.meta.dirname, '../../../../tools/testbed/env.ts');
const { requireTestbed } = (await import(testbedEnv)) as { requireTestbed: (...keys: string[]) => Record<string, string> };
const env = requireTestbed(
  'TESTBED_REGISTRY',
  'TESTBED_REGISTRY_AUTH',
  'TESTBED_REGISTRY_AUTH_USER',
  'TESTBED_REGISTRY_AUTH_PASSWORD',
  'TESTBED_CA_FILE',
  'TESTBED_S3_ACCESS_KEY',
  'TESTBED_S3_SECRET_KEY',
);
const PLAIN = env.TESTBED_REGISTRY!;
const AUTH = env.TESTBED_REGISTRY_AUTH!;
const USER = env.TESTBED_REGISTRY_AUTH_USER!;
const PASSWORD = env.TESTBED_REGISTRY_AUTH_PASSWORD!;
const bin = join(import.meta.dirname, '../bin.ts');
const runId = randomBytes(4).toString('hex');

let root: string;
let bucket: TestbedBucket;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The CLI as its own process with only these variables: no AWS_*, and a docker config directory that holds nothing. */
function cli(argv: string[], variables: Record<string, string> = {}): Promise<Run> {
  const child = spawn(process.execPath, ['--conditions=@falco-airgap/source', bin, ...argv], {
    cwd: root,
    env: { PATH: process.env.PATH, HOME: root, DOCKER_CONFIG: join(root, 'empty-docker-config'), NO_COLOR: '1', CI: 'true', ...variables },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

const result = (run: Run) => JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { ok: boolean; data?: Record<string, unknown> };

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'cli-config-credentials-'));
  await mkdir(join(root, 'empty-docker-config'));
  const rules = buildRulesfileArtifact({ name: 'demo-rules', version: '0.1.0', files: [{ name: 'demo_rules.yaml', content: `- rule: demo ${runId}\n` }] });
  await publishArtifactTo({ registry: PLAIN, plainHttp: true }, `credentials-source-${runId}/rules/demo-rules`, rules, ['0.1.0']);
  await writeFile(
    join(root, 'plugins-manifest.yaml'),
    [
      'apiVersion: falco-airgap/v1alpha1',
      'kind: PluginsManifest',
      'falco: { version: 0.44.1 }',
      'platforms: [linux/amd64]',
      'plugins: []',
      'rulesfiles:',
      '  - name: demo-rules',
      '    version: 0.1.0',
      `    from: { artifact: ${PLAIN}/credentials-source-${runId}/rules/demo-rules:0.1.0 }`,
      '',
    ].join('\n'),
  );
  const extracted = await runInMemory(['extract', '--manifest', 'plugins-manifest.yaml', '--out', 'plugins', '--plain-http', PLAIN, '--cache-dir', 'cache'], {
    cwd: root,
    env: { DOCKER_CONFIG: join(root, 'empty-docker-config') },
  });
  if (extracted.code !== 0) throw new Error(`extract failed: ${extracted.stderr}`);

  bucket = await openTestbedBucket('cli-config-keys');
  await writeFixtureLock(join(root, 'store'), { plugins: [{ name: 'demo', version: '0.1.0' }] });
  await writeFile(
    join(root, 'ci.yaml'),
    [
      'apiVersion: falco-airgap/v1',
      'kind: Config',
      'environments:',
      '  ci:',
      `    registry: { host: "${AUTH}", username: ${USER}, password: "\${REGISTRY_PASSWORD}", caFile: ${env.TESTBED_CA_FILE} }`,
      '    cluster: { kubeContext: ci }',
      `    store: { bucket: ${bucket.bucket}, endpoint: "${bucket.endpoint}", accessKeyId: ${env.TESTBED_S3_ACCESS_KEY}, secretAccessKey: "\${S3_SECRET}" }`,
      '',
    ].join('\n'),
  );
  await writeFile(
    join(root, 'literal.yaml'),
    [
      'apiVersion: falco-airgap/v1',
      'kind: Config',
      'environments:',
      '  ci:',
      `    registry: { host: "${AUTH}", username: ${USER}, password: "${PASSWORD}" }`,
      '    cluster: { kubeContext: ci }',
      '',
    ].join('\n'),
  );
}, 300_000);

afterAll(async () => {
  await bucket?.destroy();
  await rm(root, { recursive: true, force: true });
});

describe('registry credentials from the configuration file (testbed registry with basic auth and TLS)', () => {
  const mirror = (config: string, prefix: string, ...extra: string[]) => [
    '--config',
    config,
    '--json',
    ...extra,
    'mirror',
    '--lock',
    'plugins/plugins-lock.yaml',
    '--to',
    `${AUTH}/${prefix}`,
    '--plain-http',
    PLAIN,
    '--ca-file',
    env.TESTBED_CA_FILE!,
    '--cache-dir',
    'cache',
    '--index-out',
    `${prefix}.yaml`,
  ];

  it('pushes with the username and the ${NAME} password of the environment naming the host, with an empty docker config', async () => {
    const prefix = `config-login-${runId}`;
    const run = await cli(mirror('ci.yaml', prefix), { REGISTRY_PASSWORD: PASSWORD });
    expect(run.stderr).not.toContain('error[');
    expect(run.code).toBe(0);
    expect(`${run.stdout}${run.stderr}`).not.toContain(PASSWORD);

    const lock = await loadLock(join(root, 'plugins/plugins-lock.yaml'));
    const client = await openRegistry({ registry: AUTH, username: USER, password: PASSWORD, ca: await readFile(env.TESTBED_CA_FILE!) });
    try {
      const head = await client.headManifest({ registry: AUTH, repository: `${prefix}/credentials-source-${runId}/rules/demo-rules` }, '0.1.0');
      expect(head?.digest).toBe(lock.rulesfiles[0]!.resolvedDigest);
    } finally {
      await client.close();
    }
  });

  it('fails with the registry refusal naming the user and the file, never the password, when the variable holds a wrong one', async () => {
    const wrong = `wrong-${randomBytes(8).toString('hex')}`;
    for (const extra of [[], ['--verbose']]) {
      const run = await cli(mirror('ci.yaml', `config-wrong-${runId}`, ...extra), { REGISTRY_PASSWORD: wrong });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(`error[OCI_UNAUTHORIZED]: ${AUTH} refused`);
      expect(run.stderr).toContain(`(user ${USER} of environments.ci.registry in ci.yaml) — check registry.username and registry.password`);
      expect(run.stderr).toContain('(read from REGISTRY_PASSWORD)');
      expect(result(run)).toMatchObject({ ok: false });
      for (const secret of [wrong, PASSWORD, Buffer.from(`${USER}:${wrong}`).toString('base64')]) {
        expect(run.stdout).not.toContain(secret);
        expect(run.stderr).not.toContain(secret);
      }
    }
  });

  it('refuses an unset password variable with exit 2 at the field, although the registry client asked for it', async () => {
    const run = await cli(mirror('ci.yaml', `config-unset-${runId}`));
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /error\[CONFIG_SECRET_UNSET\]: ci\.yaml:5:\d+: environments\.ci\.registry\.password refers to \$\{REGISTRY_PASSWORD\}, but REGISTRY_PASSWORD is not set — set REGISTRY_PASSWORD/,
    );
  });

  it('takes a password written in the file, warning once where it is written and never printing it', async () => {
    const run = await cli(mirror('literal.yaml', `config-literal-${runId}`));
    expect(run.code).toBe(0);
    const warnings = run.stdout.split('\n').filter((line) => line.includes('CONFIG_LITERAL_SECRET'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('"location":"literal.yaml:5:');
    expect(`${run.stdout}${run.stderr}`).not.toContain(PASSWORD);
  });
});

describe('S3 keys from the configuration file (testbed MinIO)', () => {
  const publish = (...extra: string[]) => [
    '--config',
    'ci.yaml',
    '--json',
    'publish',
    '--bucket',
    bucket.bucket,
    '--endpoint',
    bucket.endpoint,
    '--region',
    bucket.region,
    '--lock',
    'store/plugins/plugins-lock.yaml',
    ...extra,
  ];

  it('publishes with the keys of the environment naming the bucket, without AWS_* and over wrong AWS_* keys', async () => {
    const run = await cli(publish(), { S3_SECRET: env.TESTBED_S3_SECRET_KEY! });
    expect(run.stderr).not.toContain('error[');
    expect(run.code).toBe(0);
    const release = result(run).data!.release as string;
    const listed = await bucket.client.send(new ListObjectsV2Command({ Bucket: bucket.bucket, Prefix: 'releases/' }));
    expect(listed.Contents?.map((o) => o.Key)).toEqual([`releases/${release}.json`]);
    expect(`${run.stdout}${run.stderr}`).not.toContain(env.TESTBED_S3_SECRET_KEY!);

    const preferred = await cli(publish('--dry-run'), {
      S3_SECRET: env.TESTBED_S3_SECRET_KEY!,
      AWS_ACCESS_KEY_ID: 'AKIANOTTHEKEY0000000',
      AWS_SECRET_ACCESS_KEY: 'not-the-secret',
    });
    expect(preferred.stderr).not.toContain('error[');
    expect(preferred.code).toBe(0);
    expect(`${preferred.stdout}${preferred.stderr}`).not.toContain(env.TESTBED_S3_SECRET_KEY!);
  });

  it('fails with access denied naming the access key and the file, never the secret, when the variable holds a wrong one', async () => {
    const wrong = `wrong-${randomBytes(8).toString('hex')}`;
    const run = await cli(publish(), { S3_SECRET: wrong });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('error[S3STORE_ACCESS_DENIED]: access denied');
    expect(run.stderr).toContain(
      `with access key ${env.TESTBED_S3_ACCESS_KEY} of environments.ci.store in ci.yaml — check store.accessKeyId and store.secretAccessKey`,
    );
    for (const secret of [wrong, env.TESTBED_S3_SECRET_KEY!]) {
      expect(run.stdout).not.toContain(secret);
      expect(run.stderr).not.toContain(secret);
    }
  });
});

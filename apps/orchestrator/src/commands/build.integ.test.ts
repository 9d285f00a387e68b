import { createDockerEngine } from '@falco-airgap/container-engine';
import { buildRealPlugins } from '@falco-airgap/fixtures';
import { ensureImageBases, openTestbedBucket, writeFixtureLock, type TestbedBucket } from '@falco-airgap/test-support';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runInMemory } from '../testing/run-in-memory.ts';

// Loaded by path: tools/ sits outside this app's tsconfig rootDir.
const testbedEnv = join(import.meta.dirname, '../../../../tools/testbed/env.ts');
const { requireTestbed } = (await import(testbedEnv)) as { requireTestbed: (...keys: string[]) => Record<string, string> };
const env = requireTestbed(
  'TESTBED_DOCKER_HOST',
  'TESTBED_DOCKER_CLI',
  'TESTBED_REGISTRY',
  'TESTBED_REGISTRY_LOG',
  'TESTBED_REGISTRY_AUTH',
  'TESTBED_REGISTRY_AUTH_USER',
  'TESTBED_CA_FILE',
);
const run = promisify(execFile);
const repoRoot = resolve(import.meta.dirname, '../../../..');
const registry = `${env.TESTBED_REGISTRY}/cli-build-${randomBytes(4).toString('hex')}`;
const LOCKED_RULES = '- list: locked_k8s_audit_users\n  items: []\n';
const STANDIN_CONFIG = `rules_files:
  - /etc/falco/falco_rules.yaml
load_plugins: [k8saudit]
plugins:
  - name: k8saudit
    library_path: libk8saudit.so
    init_config: ''
    open_params: 'http://:9765/k8s-audit'
`;

let root: string;
let bases: { base: string; falco: string };
let bucket: TestbedBucket;

const cliEnv = () => ({ DOCKER_HOST: env.TESTBED_DOCKER_HOST!, DOCKER_CONFIG: join(root, 'docker-config'), ...bucket.env });
const buildArgs = (...extra: string[]) => [
  '--json',
  'build',
  '--docker-dir',
  join(repoRoot, 'docker'),
  '--s3-loader-binary',
  join(repoRoot, 'apps/s3-loader/dist/falco-s3-loader'),
  '--base-image',
  bases.base,
  '--falco-image',
  bases.falco,
  ...extra,
];
const resultOf = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!);
const docker = (...args: string[]) =>
  run(env.TESTBED_DOCKER_CLI!, ['--host', env.TESTBED_DOCKER_HOST!, ...args], { maxBuffer: 16 * 1024 * 1024 }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'cli-build-'));
  bases = await ensureImageBases(createDockerEngine({ host: env.TESTBED_DOCKER_HOST }));
  await readFile(join(repoRoot, 'apps/s3-loader/dist/falco-s3-loader')).catch(() =>
    run('npm', ['run', 'build', '-w', '@falco-airgap/s3-loader'], {
      cwd: repoRoot,
      env: { ...process.env, PATH: `${join(repoRoot, 'node_modules/.bin')}:${process.env.PATH}` },
    }),
  );
  const real = await buildRealPlugins();
  const k8saudit = real.plugins.find((p) => p.name === 'k8saudit')!;
  const files = { 'linux/amd64': await readFile(k8saudit.files['linux/amd64']), 'linux/arm64': await readFile(k8saudit.files['linux/arm64']) };
  await writeFixtureLock(root, {
    plugins: [{ name: 'k8saudit', version: k8saudit.version, bytes: (platform) => files[platform] }],
    rulesfiles: [{ name: 'k8saudit-rules', version: '0.18.0', files: [{ file: 'k8s_audit_rules.yaml', text: LOCKED_RULES }] }],
  });
  await mkdir(join(root, 'docker-config'));
  await writeFile(join(root, 'docker-config/config.json'), '{}');
  bucket = await openTestbedBucket('cli-build');
}, 600_000);

afterAll(async () => {
  await bucket?.destroy();
  if (root) await rm(root, { recursive: true, force: true });
});

describe('falco-airgap build (testbed)', () => {
  it('builds and pushes the three images, then does nothing the second time', async () => {
    const first = await runInMemory(buildArgs('--push', '--registry', registry, '--plain-http', env.TESTBED_REGISTRY!), { cwd: root, env: cliEnv() });
    expect(first.stderr).not.toContain('error[');
    expect(first.code).toBe(0);
    const images = resultOf(first.stdout).data.images as { image: string; status: string; references: string[] }[];
    expect(images.map((i) => [i.image, i.status])).toEqual([
      ['falco', 'pushed'],
      ['s3-loader', 'pushed'],
      ['plugin-loader', 'pushed'],
    ]);
    expect(first.stdout).toContain('"type":"task","id":"image/falco"');

    const offset = (await readFile(env.TESTBED_REGISTRY_LOG!, 'utf8')).length;
    const second = await runInMemory(buildArgs('--push', '--registry', registry, '--plain-http', env.TESTBED_REGISTRY!), { cwd: root, env: cliEnv() });
    expect(second.code).toBe(0);
    expect(resultOf(second.stdout).data.images.map((i: { status: string }) => i.status)).toEqual(['unchanged', 'unchanged', 'unchanged']);
    await new Promise((r) => setTimeout(r, 500));
    const uploads = (await readFile(env.TESTBED_REGISTRY_LOG!, 'utf8')).slice(offset).match(/"(POST|PATCH|PUT) \/v2\/\S+\/blobs\/uploads/g);
    expect(uploads).toBeNull();
  });

  it('the s3-loader image installs the release its channel follows from S3, then execs Falco with the original arguments', async () => {
    const published = await runInMemory(
      ['--json', 'publish', '--bucket', bucket.bucket, '--prefix', 'falco', '--endpoint', bucket.endpoint, '--channel', 'prod', '--platform', 'linux/amd64'],
      { cwd: root, env: cliEnv() },
    );
    expect(published.code).toBe(0);
    const built = await runInMemory(buildArgs('--images', 's3-loader', '--push', '--registry', registry, '--plain-http', env.TESTBED_REGISTRY!), {
      cwd: root,
      env: cliEnv(),
    });
    expect(built.code).toBe(0);
    const s3Loader = (resultOf(built.stdout).data.images as { image: string; references: string[] }[]).find((i) => i.image === 's3-loader')!;
    const config = join(root, 'falco-config');
    await mkdir(config, { recursive: true });
    await writeFile(join(config, 'falco.yaml'), STANDIN_CONFIG);
    const loaderEnv = (channel: string) =>
      Object.entries({
        ...bucket.env,
        FALCO_S3_LOADER_BUCKET: bucket.bucket,
        FALCO_S3_LOADER_PREFIX: 'falco',
        FALCO_S3_LOADER_CHANNEL: channel,
        FALCO_S3_LOADER_ENDPOINT: bucket.endpoint,
        FALCO_S3_LOADER_PATH_STYLE: 'true',
        FALCO_S3_LOADER_RETRIES: '1',
        FALCO_S3_LOADER_TIMEOUT: '5s',
      }).flatMap(([name, value]) => ['-e', `${name}=${value}`]);
    const image = s3Loader.references[1]!;

    const falco = await docker(
      'run',
      '--rm',
      '--network',
      'host',
      ...loaderEnv('prod'),
      '-v',
      `${config}:/etc/falco-test:ro`,
      image,
      '-c',
      '/etc/falco-test/falco.yaml',
      '--dry-run',
    );
    expect(falco.stderr).toMatch(/"event":"installed"|installed/);
    expect(falco.code).toBe(0);
    expect(falco.stdout).toContain('-c /etc/falco-test/falco.yaml --dry-run');
    expect(falco.stdout).toMatch(/k8saudit/);

    // As the chart runs it: the entrypoint, then Falco and its own arguments, the release's rules files in the rules volume.
    const rules = join(root, 'locked-rules');
    await mkdir(rules);
    await chmod(rules, 0o777);
    const chartLike = await docker(
      'run',
      '--rm',
      '--network',
      'host',
      ...loaderEnv('prod'),
      '-e',
      'FALCO_S3_LOADER_RULES_DEST=/etc/falco/locked-rules.d',
      '-v',
      `${rules}:/etc/falco/locked-rules.d`,
      '-v',
      `${config}:/etc/falco-test:ro`,
      '--entrypoint',
      '/usr/bin/falco-s3-loader-entrypoint',
      image,
      '/usr/bin/falco',
      '-c',
      '/etc/falco-test/falco.yaml',
      '--dry-run',
      '-o',
      'log_level=debug',
    );
    expect(chartLike.code, chartLike.stderr).toBe(0);
    expect(chartLike.stdout).toContain('argv: /usr/bin/falco -c /etc/falco-test/falco.yaml --dry-run -o log_level=debug');
    expect(await readFile(join(rules, 'k8s_audit_rules.yaml'), 'utf8')).toBe(LOCKED_RULES);

    // A loader failure is the container's exit code, and Falco never starts.
    const missing = await docker('run', '--rm', '--network', 'host', ...loaderEnv('no-such-channel'), image, '--dry-run');
    expect(missing.code).toBe(4);
    expect(missing.stdout).not.toContain('--dry-run');
  });

  it('a broken Dockerfile ends with ENGINE_BUILD_FAILED and exit 1', async () => {
    const broken = join(root, 'broken-docker');
    await cp(join(repoRoot, 'docker'), broken, { recursive: true });
    await writeFile(join(broken, 'base/Dockerfile'), 'FROM scratch\nFORM nothing\n');
    const result = await runInMemory([...buildArgs('--images', 'falco'), '--docker-dir', broken], { cwd: root, env: cliEnv() });
    expect(result.code).toBe(1);
    expect(resultOf(result.stdout).error.code).toBe('ENGINE_BUILD_FAILED');
  });

  it('a missing base image ends with IMAGE_BASE_UNAVAILABLE and exit 2', async () => {
    const result = await runInMemory([...buildArgs('--images', 'falco'), '--base-image', `${env.TESTBED_REGISTRY}/no-such/almalinux:9`], {
      cwd: root,
      env: cliEnv(),
    });
    expect(result.code).toBe(2);
    expect(resultOf(result.stdout).error.code).toBe('IMAGE_BASE_UNAVAILABLE');
  });

  it('an unreachable registry ends with OCI_REGISTRY_UNREACHABLE and exit 1, within seconds', async () => {
    const port = await closedPort();
    const started = Date.now();
    const result = await runInMemory(buildArgs('--images', 'falco', '--push', '--registry', `127.0.0.1:${port}`, '--plain-http', `127.0.0.1:${port}`), {
      cwd: root,
      env: cliEnv(),
    });
    expect(result.code).toBe(1);
    expect(resultOf(result.stdout).error.code).toBe('OCI_REGISTRY_UNREACHABLE');
    expect(Date.now() - started).toBeLessThan(60_000);
  });

  it('a push refused for bad credentials ends with OCI_UNAUTHORIZED and exit 2', async () => {
    const dockerConfig = join(root, 'bad-credentials');
    await mkdir(dockerConfig, { recursive: true });
    const auth = Buffer.from(`${env.TESTBED_REGISTRY_AUTH_USER}:wrong-password`).toString('base64');
    await writeFile(join(dockerConfig, 'config.json'), JSON.stringify({ auths: { [env.TESTBED_REGISTRY_AUTH!]: { auth } } }));
    const result = await runInMemory(
      buildArgs('--images', 'falco', '--push', '--registry', `${env.TESTBED_REGISTRY_AUTH}/cli-build`, '--ca-file', env.TESTBED_CA_FILE!),
      {
        cwd: root,
        env: { ...cliEnv(), DOCKER_CONFIG: dockerConfig },
      },
    );
    expect(result.code).toBe(2);
    expect(resultOf(result.stdout).error.code).toBe('OCI_UNAUTHORIZED');
  });
});

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((closed) => server.close(() => closed()));
  return port;
}

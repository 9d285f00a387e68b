import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { createDockerEngine } from '@falco-airgap/container-engine';
import { publishFixturesTo } from '@falco-airgap/fixtures';
import { createRegistryClient, StaticCredentials, type RegistryClient } from '@falco-airgap/oci';
import { ensureImageBases, testbedTools } from '@falco-airgap/test-support';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runInMemory } from '../testing/run-in-memory.ts';

// Across the air gap on the testbed: the connected side is the plain registry (fixtures, our built images) and
// falco-airgap.config.yaml's `connected` environment; the isolated side is the TLS registry with basic auth and a
// bucket of its own (`isolated`), reached only with what the bundle carries.

const testbedEnv = join(import.meta.dirname, '../../../../tools/testbed/env.ts');
const { requireTestbed } = (await import(testbedEnv)) as { requireTestbed: (...keys: string[]) => Record<string, string> };
const env = requireTestbed(
  'TESTBED_REGISTRY',
  'TESTBED_REGISTRY_AUTH',
  'TESTBED_REGISTRY_AUTH_USER',
  'TESTBED_REGISTRY_AUTH_PASSWORD',
  'TESTBED_CA_FILE',
  'TESTBED_DOCKER_HOST',
  'TESTBED_S3_ENDPOINT',
  'TESTBED_S3_ACCESS_KEY',
  'TESTBED_S3_SECRET_KEY',
  'TESTBED_S3_REGION',
  'TESTBED_COSIGN',
  'TESTBED_KUBECONFIG',
  'TESTBED_HELM',
);
const REGISTRY = env.TESTBED_REGISTRY!;
const ISOLATED = env.TESTBED_REGISTRY_AUTH!;
const repoRoot = join(import.meta.dirname, '../../../..');
const loaderBinary = join(repoRoot, 'apps/s3-loader/dist/falco-s3-loader');
const chartDir = join(repoRoot, 'helm/falco-airgap');
const session = randomBytes(4).toString('hex');
const tools = testbedTools();
const connectedPath = `${REGISTRY}/bundle-${session}`;
const isolatedPath = `${ISOLATED}/isolated-${session}`;
const bucket = `bundle-${session}`;
const s3Credentials = { accessKeyId: env.TESTBED_S3_ACCESS_KEY!, secretAccessKey: env.TESTBED_S3_SECRET_KEY! };
const s3 = new S3Client({ endpoint: env.TESTBED_S3_ENDPOINT!, region: env.TESTBED_S3_REGION!, forcePathStyle: true, credentials: s3Credentials });
let root: string;
let cliEnv: NodeJS.ProcessEnv;
let isolated: RegistryClient;
let source: RegistryClient;

const resultOf = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!);
const cli = (args: string[], signal?: AbortSignal) => runInMemory(['--json', ...args], { cwd: root, env: cliEnv, ...(signal ? { signal } : {}) });

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'cli-bundle-'));
  const auth = Buffer.from(`${env.TESTBED_REGISTRY_AUTH_USER}:${env.TESTBED_REGISTRY_AUTH_PASSWORD}`).toString('base64');
  await mkdir(join(root, 'docker-config'));
  await writeFile(join(root, 'docker-config', 'config.json'), JSON.stringify({ auths: { [ISOLATED]: { auth } } }));
  cliEnv = {
    DOCKER_HOST: env.TESTBED_DOCKER_HOST,
    DOCKER_CONFIG: join(root, 'docker-config'),
    AWS_ACCESS_KEY_ID: s3Credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3Credentials.secretAccessKey,
    AWS_REGION: env.TESTBED_S3_REGION,
    XDG_CACHE_HOME: join(root, 'cache'),
    SOURCE_DATE_EPOCH: '1767225600',
    FALCO_AIRGAP_HELM: env.TESTBED_HELM,
    PATH: process.env.PATH,
  };
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const credentials = new StaticCredentials({ [ISOLATED]: { username: env.TESTBED_REGISTRY_AUTH_USER!, password: env.TESTBED_REGISTRY_AUTH_PASSWORD! } });
  isolated = await createRegistryClient({ caFile: env.TESTBED_CA_FILE, credentials });
  source = await createRegistryClient({ plainHttp: [REGISTRY] });

  // The connected side: the fixtures, extract, and the three images built and pushed by the CLI.
  await publishFixturesTo({ registry: REGISTRY, plainHttp: true });
  const shipped = await readFile(join(repoRoot, 'plugins/plugins-manifest.yaml'), 'utf8');
  await writeFile(join(root, 'manifest.yaml'), shipped.replaceAll('ghcr.io/', `${REGISTRY}/`).replaceAll('docker.io/', `${REGISTRY}/`));
  const extracted = await cli(['extract', '--manifest', 'manifest.yaml', '--plain-http', REGISTRY]);
  expect(extracted.stderr).not.toContain('error[');
  const bases = await ensureImageBases(createDockerEngine({ host: env.TESTBED_DOCKER_HOST }));
  const built = await cli([
    'build',
    '--push',
    '--registry',
    connectedPath,
    '--plain-http',
    REGISTRY,
    '--base-image',
    bases.base,
    '--falco-image',
    bases.falco,
    '--docker-dir',
    join(repoRoot, 'docker'),
    '--s3-loader-binary',
    loaderBinary,
  ]);
  expect(built.stderr).not.toContain('error[');
  expect(built.code).toBe(0);

  await writeFile(join(root, 'values-connected.yaml'), 'driver:\n  kind: modern_ebpf\n');
  await writeFile(
    join(root, 'falco-airgap.config.yaml'),
    [
      'apiVersion: falco-airgap/v1',
      'kind: Config',
      'environments:',
      '  connected:',
      `    registry: { host: ${connectedPath}, plainHttp: true }`,
      '    cluster: { kubeContext: connected }',
      '    values: [values-connected.yaml]',
      '  isolated:',
      `    registry: { host: ${isolatedPath}, caFile: ${env.TESTBED_CA_FILE} }`,
      `    cluster: { kubeconfig: ${env.TESTBED_KUBECONFIG} }`,
      '    strategy: s3',
      `    store: { bucket: ${bucket}, prefix: falco, endpoint: ${env.TESTBED_S3_ENDPOINT}, region: ${env.TESTBED_S3_REGION} }`,
      `    namespace: bundle-${session}`,
      `    release: bundle-${session}`,
      '',
    ].join('\n'),
  );
  const keygen = await cli(['bundle', 'keygen', '--out', 'keys/connected']);
  expect(keygen.code).toBe(0);
  await cli(['bundle', 'keygen', '--out', 'keys/other', '--algorithm', 'ed25519']);
}, 600_000);

afterAll(async () => {
  await tools.helm(['uninstall', `bundle-${session}`, '-n', `bundle-${session}`, '--kubeconfig', env.TESTBED_KUBECONFIG!]);
  await tools.kubectl(['delete', 'namespace', `bundle-${session}`, '--wait=false', '--ignore-not-found']);
  tools.cleanup();
  await isolated?.close();
  await source?.close();
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
  if (listed.Contents?.length) await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: listed.Contents.map((o) => ({ Key: o.Key! })) } }));
  await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
  s3.destroy();
  await rm(root, { recursive: true, force: true });
});

/** Every repository of the bundle's images and artifacts under a registry path, and what each tag points at there. */
async function heldUnder(client: RegistryClient, registry: string, path: string, manifest: BundleJson): Promise<Record<string, string | undefined>> {
  const held: Record<string, string | undefined> = {};
  for (const entry of [...manifest.images, ...manifest.artifacts]) {
    const head = await client.headManifest({ registry, repository: `${path}/${entry.repository}` }, entry.tags[0]!);
    held[entry.repository] = head?.digest;
  }
  return held;
}

interface BundleJson {
  images: { name: string; repository: string; tags: string[]; digest: string; source: string }[];
  artifacts: { name: string; repository: string; tags: string[]; digest: string; source: string }[];
  platforms: string[];
}

describe('falco-airgap bundle (testbed)', () => {
  let bundleParts: string[];
  let manifest: BundleJson;

  it('creates a signed bundle in parts from the connected environment; cosign verify-blob accepts its signature', async () => {
    const created = await cli([
      'bundle',
      'create',
      '--env',
      'connected',
      '--out',
      'carry/bundle.tar',
      '--split',
      '48MiB',
      '--sign-key',
      'keys/connected.key',
      '--no-cli-binary',
      '--s3-loader-binary',
      loaderBinary,
      '--chart',
      chartDir,
    ]);
    expect(created.stderr).not.toContain('error[');
    expect(created.code).toBe(0);
    const data = resultOf(created.stdout).data;
    bundleParts = data.parts;
    expect(bundleParts.length).toBeGreaterThan(1);
    expect(data.platforms).toEqual(['linux/amd64']);
    expect(data.images.map((i: { name: string }) => i.name)).toEqual(['falco', 's3-loader', 'plugin-loader']);

    const joined = join(root, 'carry/joined.tar');
    execFileSync('sh', ['-c', `cat "$@" > ${joined}`, 'cat', ...bundleParts]);
    await mkdir(join(root, 'cosign'));
    execFileSync('tar', ['-xf', joined, '-C', join(root, 'cosign'), 'bundle.json', 'bundle.json.sig']);
    manifest = JSON.parse(await readFile(join(root, 'cosign/bundle.json'), 'utf8')) as BundleJson;
    // Every image and artifact as the connected registry holds it.
    for (const entry of [...manifest.images, ...manifest.artifacts]) {
      const [registry, ...rest] = entry.source.split('/');
      const repository = rest.join('/').replace(/:[^:/]+$/, '');
      expect((await source.headManifest({ registry: registry!, repository }, entry.tags[0]!))?.digest).toBe(entry.digest);
    }
    const cosign = (key: string) =>
      spawnSync(
        env.TESTBED_COSIGN!,
        [
          'verify-blob',
          '--key',
          join(root, key),
          '--signature',
          join(root, 'cosign/bundle.json.sig'),
          '--insecure-ignore-tlog=true',
          join(root, 'cosign/bundle.json'),
        ],
        { encoding: 'utf8', env: { PATH: process.env.PATH, HOME: root, TUF_ROOT: join(root, 'tuf') } },
      );
    const accepted = cosign('keys/connected.pub');
    expect(accepted.stderr).toContain('Verified OK');
    expect(accepted.status).toBe(0);
    expect(cosign('keys/other.pub').status).not.toBe(0);
  });

  it('verifies the bundle with the public key; refuses it with another key (exit 3)', async () => {
    const verified = await cli(['bundle', 'verify', bundleParts[0]!, '--key', 'keys/connected.pub', '--platform', 'linux/amd64']);
    expect(verified.code).toBe(0);
    expect(resultOf(verified.stdout).data.signature.status).toBe('verified');
    const wrong = await cli(['bundle', 'verify', bundleParts[0]!, '--key', 'keys/other.pub']);
    expect(wrong.code).toBe(3);
    expect(resultOf(wrong.stdout).error.code).toBe('BUNDLE_BAD_SIGNATURE');
  });

  it('refuses a tampered bundle or a wrong key at load: exit 3, nothing pushed, no overlay written', async () => {
    const tampered = join(root, 'tampered.tar');
    const bytes = Buffer.concat(await Promise.all(bundleParts.map((p) => readFile(p))));
    bytes[bytes.length - 4096] = bytes[bytes.length - 4096]! ^ 0xff;
    await writeFile(tampered, bytes);
    const hostilePath = `${ISOLATED}/hostile-${session}`;
    for (const [bundle, key, code] of [
      [tampered, 'keys/connected.pub', 'BUNDLE_DIGEST_MISMATCH'],
      [bundleParts[0]!, 'keys/other.pub', 'BUNDLE_BAD_SIGNATURE'],
    ] as const) {
      const loaded = await cli(['bundle', 'load', bundle, '--env', 'isolated', '--key', key, '--registry', hostilePath, '--state-dir', 'hostile-state']);
      expect(loaded.code).toBe(3);
      expect(resultOf(loaded.stdout).error.code).toBe(code);
    }
    const held = await heldUnder(isolated, ISOLATED, `hostile-${session}`, manifest);
    expect(Object.values(held).filter(Boolean)).toEqual([]);
    expect(existsSync(join(root, 'hostile-state'))).toBe(false);
  });

  it('loads into the isolated registry and bucket with digests unchanged, and leaves what deploy --env needs', async () => {
    const loaded = await cli(['bundle', 'load', bundleParts[0]!, '--env', 'isolated', '--key', 'keys/connected.pub']);
    expect(loaded.stderr).not.toContain('error[');
    expect(loaded.code).toBe(0);
    const data = resultOf(loaded.stdout).data;
    expect(data.signature.status).toBe('verified');
    const held = await heldUnder(isolated, ISOLATED, `isolated-${session}`, manifest);
    for (const entry of [...manifest.images, ...manifest.artifacts]) expect(held[entry.repository]).toBe(entry.digest);

    const keys = (await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'falco/' }))).Contents!.map((o) => o.Key!);
    expect(keys).toContain(`falco/releases/${data.release}.json`);

    const stateDir = join(root, '.falco-airgap/isolated');
    expect(data.stateDir).toBe(stateDir);
    const overlay = parse(await readFile(join(stateDir, 'values.yaml'), 'utf8')) as Record<string, Record<string, unknown>>;
    const falco = manifest.images.find((i) => i.name === 'falco')!;
    expect(overlay.image).toEqual({ registry: ISOLATED, repository: `isolated-${session}/falco`, digest: falco.digest, tag: falco.tags[0] });
    expect(overlay.pluginStrategy).toBe('s3');
    expect(overlay.s3).toMatchObject({ bucket, prefix: 'falco', release: data.release, channel: '' });
    expect(await readFile(join(stateDir, 'chart/Chart.yaml'), 'utf8')).toBe(await readFile(join(repoRoot, 'helm/falco-airgap/Chart.yaml'), 'utf8'));
    expect(await readFile(join(stateDir, 'values/01-values-connected.yaml'), 'utf8')).toBe('driver:\n  kind: modern_ebpf\n');

    // deploy --env plans the bundle's chart with the overlay laid last: every image from the isolated registry by digest.
    const planned = await cli(['deploy', '--env', 'isolated', '--dry-run']);
    expect(planned.stderr).not.toContain('error[');
    expect(planned.code).toBe(0);
    const plan = resultOf(planned.stdout).data.plan;
    expect(plan.chart.ref).toBe(join(stateDir, 'chart'));
    expect(plan.values.image).toMatchObject({ registry: ISOLATED, digest: falco.digest });
    expect(plan.values.s3.image).toMatchObject({ registry: ISOLATED, digest: manifest.images.find((i) => i.name === 's3-loader')!.digest });
    expect(plan.values.driver).toMatchObject({ kind: 'modern_ebpf' });

    // Then for real, with nothing from the connected side: every container of the release runs an image of the isolated registry.
    const deployed = await cli(['deploy', '--env', 'isolated', '--timeout', '3m', '--diagnostics-dir', join(root, 'diagnostics')]);
    expect(deployed.code, deployed.stderr).toBe(0);
    const podImages = (await tools.kubectl(['get', 'pods', '-n', `bundle-${session}`, '-o', 'jsonpath={..image}'])).stdout.split(/\s+/).filter(Boolean);
    expect(podImages.length).toBeGreaterThan(0);
    expect(podImages.filter((image) => !image.startsWith(`${ISOLATED}/isolated-${session}/`))).toEqual([]);

    // Loading again sends nothing: every blob is there.
    const again = await cli(['bundle', 'load', bundleParts[0]!, '--env', 'isolated', '--key', 'keys/connected.pub']);
    expect(again.code).toBe(0);
    const second = resultOf(again.stdout).data;
    expect(second.blobs.uploaded + second.blobs.mounted).toBe(0);
    expect(second.release).toBe(data.release);
  });

  it('carries falco-airgap itself: the single executable in the bundle verifies the bundle on a machine without Node.js', async () => {
    const sea = join(repoRoot, 'apps/orchestrator/dist/falco-airgap');
    if (!existsSync(sea)) execFileSync('npm', ['run', 'build:sea', '-w', '@falco-airgap/cli'], { cwd: repoRoot, stdio: 'inherit' });
    const created = await cli([
      'bundle',
      'create',
      '--env',
      'connected',
      '--out',
      'with-cli',
      '--images',
      'falco',
      '--no-s3-loader-binary',
      '--cli-binary',
      sea,
      '--chart',
      chartDir,
    ]);
    expect(created.stderr).not.toContain('error[');
    expect(created.code).toBe(0);
    const dir = join(root, 'with-cli');
    const run = spawnSync(join(dir, 'bin/falco-airgap'), ['--json', 'bundle', 'verify', dir, '--platform', 'linux/amd64'], {
      encoding: 'utf8',
      env: { PATH: '/usr/bin:/bin', HOME: root },
    });
    expect(run.status).toBe(0);
    expect(resultOf(run.stdout).data.digest).toBe(resultOf(created.stdout).data.digest);
  }, 300_000);
});

import { createDockerEngine, type ContainerEngine } from '@falco-airgap/container-engine';
import { buildRealPlugins, compilePlugin, tar } from '@falco-airgap/fixtures';
import { createRegistryClient, StaticCredentials, type RegistryClient } from '@falco-airgap/oci';
import { ensureImageBases, writeFixtureLock, type FixtureLock } from '@falco-airgap/test-support';
import { requireTestbed } from '@falco-airgap/testbed/env';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildImageSet, planImageSet, type ImageBuildResult, type ImageName, type ImageSetSettings } from './index.ts';
import { LABELS } from './labels.ts';
import { readPublishedImage } from './registry-state.ts';

const run = promisify(execFile);
const env = requireTestbed(
  'TESTBED_DOCKER_HOST',
  'TESTBED_DOCKER_CLI',
  'TESTBED_REGISTRY',
  'TESTBED_REGISTRY_LOG',
  'TESTBED_REGISTRY_AUTH',
  'TESTBED_REGISTRY_AUTH_USER',
  'TESTBED_REGISTRY_AUTH_PASSWORD',
  'TESTBED_REGISTRY_AUTH_LOG',
  'TESTBED_CA_FILE',
);
const repoRoot = resolve(import.meta.dirname, '../../..');
const dockerDir = join(repoRoot, 'docker');
const s3LoaderBinary = join(repoRoot, 'apps/s3-loader/dist/falco-s3-loader');
const scope = `image-builder-test/${randomBytes(4).toString('hex')}`;
const targets = {
  plain: { registry: `${env.TESTBED_REGISTRY}/${scope}`, log: env.TESTBED_REGISTRY_LOG! },
  auth: { registry: `${env.TESTBED_REGISTRY_AUTH}/${scope}`, log: env.TESTBED_REGISTRY_AUTH_LOG! },
};
// The images whose plugins the stand-in Falco loads: the real k8saudit (plugin-sdk-go) and a fixture json plugin.
const STANDIN_CONFIG = `rules_files:
  - /etc/falco/falco_rules.yaml
load_plugins: [k8saudit]
plugins:
  - name: k8saudit
    library_path: libk8saudit.so
    init_config: ''
    open_params: 'http://:9765/k8s-audit'
`;

let engine: ContainerEngine;
let plain: RegistryClient;
let auth: RegistryClient;
let work: string;
let k8saudit: Record<string, string>;
let fixture: FixtureLock;
let bases: { base: string; falco: string };
/** The real plugin files, read once. */
const fileCache = new Map<string, Buffer>();

/** `docker` against the testbed engine, for what the engine port has no call for (bind mounts). */
const docker = (...args: string[]) => run(env.TESTBED_DOCKER_CLI!, ['--host', env.TESTBED_DOCKER_HOST!, ...args], { maxBuffer: 16 * 1024 * 1024 });
const dockerExit = (...args: string[]) =>
  docker(...args).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

async function writeLock(dir: string, jsonVersion: string): Promise<FixtureLock> {
  const json = compilePlugin({ name: 'json', version: jsonVersion, apiVersion: '3.9.0' });
  return writeFixtureLock(join(work, dir), {
    plugins: [
      { name: 'k8saudit', version: '0.12.0', bytes: (platform) => fileCache.get(k8saudit[platform]!)! },
      { name: 'json', version: jsonVersion, bytes: (platform) => Buffer.from(json.find((b) => b.platform === platform)!.library) },
    ],
    rulesfiles: [
      { name: 'falco-rules', version: '5.1.0', files: [{ file: 'falco_rules.yaml', text: '- rule: Fixture rule\n  condition: evt.type = open\n' }] },
    ],
  });
}

async function settings(
  target: keyof typeof targets,
  lock: FixtureLock,
  images: ImageName[] = ['falco', 's3-loader', 'plugin-loader'],
): Promise<ImageSetSettings> {
  return {
    images,
    registry: targets[target].registry,
    falcoVersion: '0.44.1',
    baseImage: bases.base,
    falcoImage: bases.falco,
    dockerDir,
    lock: { lock: lock.lock, lockBytes: await readFile(lock.lockPath), extractedDir: lock.extractedDir },
    s3LoaderBinary,
  };
}

async function buildAndPush(target: keyof typeof targets, lock: FixtureLock): Promise<Record<string, ImageBuildResult>> {
  const registry = target === 'plain' ? plain : auth;
  const results = await buildImageSet(await planImageSet(await settings(target, lock)), { push: true }, { engine, registry });
  return Object.fromEntries(results.map((r) => [r.image, r]));
}

const contentReference = (result: ImageBuildResult) => result.references.find((r) => r.endsWith(result.contextDigest.slice(7, 19)))!;

/** Uploads the registry logged after `offset`: blob upload sessions and chunks. */
async function uploadsSince(log: string, offset: number): Promise<string[]> {
  // The registry writes its access log asynchronously.
  await new Promise((r) => setTimeout(r, 500));
  return (await readFile(log, 'utf8'))
    .slice(offset)
    .split('\n')
    .filter((line) => /"(POST|PATCH|PUT) \/v2\/[^ ]*\/blobs\/uploads/.test(line));
}

beforeAll(async () => {
  engine = createDockerEngine({ host: env.TESTBED_DOCKER_HOST });
  work = await mkdtemp(join(tmpdir(), 'image-builder-integ-'));
  bases = await ensureImageBases(engine);
  await readFile(s3LoaderBinary).catch(async () => {
    await run('npm', ['run', 'build', '-w', '@falco-airgap/s3-loader'], {
      cwd: repoRoot,
      env: { ...process.env, PATH: `${join(repoRoot, 'node_modules/.bin')}:${process.env.PATH}` },
    });
  });
  const real = await buildRealPlugins();
  k8saudit = real.plugins.find((p) => p.name === 'k8saudit')!.files;
  for (const file of Object.values(k8saudit)) fileCache.set(file, await readFile(file));
  fixture = await writeLock('v1', '0.7.4');
  plain = await createRegistryClient({ plainHttp: [env.TESTBED_REGISTRY!] });
  auth = await createRegistryClient({
    caFile: env.TESTBED_CA_FILE,
    credentials: new StaticCredentials({
      [env.TESTBED_REGISTRY_AUTH!]: { username: env.TESTBED_REGISTRY_AUTH_USER, password: env.TESTBED_REGISTRY_AUTH_PASSWORD },
    }),
  });
}, 600_000);

afterAll(async () => {
  await plain?.close();
  await auth?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('image-builder on the testbed engine', () => {
  it.each(['plain', 'auth'] as const)(
    'builds the three images from stand-ins and pushes them to the %s registry; a second run builds and uploads nothing',
    async (target) => {
      const first = await buildAndPush(target, fixture);
      expect(Object.values(first).map((r) => r.status)).toEqual(['pushed', 'pushed', 'pushed']);
      const registry = target === 'plain' ? plain : auth;
      for (const result of Object.values(first)) {
        for (const reference of result.references) {
          const published = await readPublishedImage(registry, reference, 'linux/amd64');
          expect(published?.digest).toBe(result.digest);
          expect(published?.labels[LABELS.contextDigest]).toBe(result.contextDigest);
        }
      }
      expect(first.falco!.references.map((r) => r.split(':').at(-1))).toEqual(['0.44.1', `0.44.1-${first.falco!.contextDigest.slice(7, 19)}`]);

      const offset = (await readFile(targets[target].log, 'utf8')).length;
      const second = await buildAndPush(target, fixture);
      expect(Object.values(second).map((r) => r.status)).toEqual(['unchanged', 'unchanged', 'unchanged']);
      expect(Object.values(second).map((r) => r.digest)).toEqual(Object.values(first).map((r) => r.digest));
      expect(await uploadsSince(targets[target].log, offset)).toEqual([]);
    },
  );

  it('rebuilds only the plugin-loader image when one plugin changes', async () => {
    const before = await buildAndPush('plain', fixture);
    const changed = await writeLock('v2', '0.7.5');
    const after = await buildAndPush('plain', changed);
    expect(Object.fromEntries(Object.entries(after).map(([name, r]) => [name, r.status]))).toEqual({
      falco: 'unchanged',
      's3-loader': 'unchanged',
      'plugin-loader': 'pushed',
    });
    expect(after['plugin-loader']!.digest).not.toBe(before['plugin-loader']!.digest);
    const published = await readPublishedImage(plain, `${targets.plain.registry}/falco-plugin-loader:0.44.1`, 'linux/amd64');
    expect(published?.labels[LABELS.pluginVersion('json')]).toBe('0.7.5');
    // Back to the first lock: its image is still in the registry, so only the version tag moves back.
    const back = await buildAndPush('plain', fixture);
    expect(back['plugin-loader']!.status).toBe('retagged');
  });

  it('the plugin-loader fills a volume with exactly the locked files, and refuses a tampered plugin leaving the volume as it was', async () => {
    // By content tag: the engine's version tag may still name another build than the registry's.
    const image = contentReference((await buildAndPush('plain', fixture))['plugin-loader']!);
    const volume = join(work, 'volume');
    await mkdir(volume);
    // The loader runs as nobody; the chart's emptyDir is world-writable too.
    await chmod(volume, 0o777);
    const ok = await dockerExit('run', '--rm', '--network', 'host', '-v', `${volume}:/mnt/plugins`, image);
    expect(ok.stderr).toContain('installed 3 files');
    expect(ok.code).toBe(0);
    const installed = await listFiles(volume);
    const expected: Record<string, string> = {};
    for (const plugin of fixture.lock.plugins)
      expected[plugin.platforms.find((p) => p.platform === 'linux/amd64')!.file] = plugin.platforms.find((p) => p.platform === 'linux/amd64')!.sha256;
    for (const file of fixture.lock.rulesfiles.flatMap((r) => r.files)) expected[`rules/${file.file}`] = file.sha256;
    expect(installed).toEqual(expected);

    const tampered = `falco-airgap-test/tampered-plugin-loader:${randomBytes(4).toString('hex')}`;
    const bytes = Buffer.from(await readFile(join(fixture.extractedDir, 'linux-amd64/libjson.so')));
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
    await engine.buildImage(
      tar([
        { type: 'file', path: 'Dockerfile', content: `FROM ${image}\nCOPY libjson.so /opt/falco-plugin-loader/payload/libjson.so\n` },
        // Same size, another mtime: the vfs driver's layer diff would not see a same-size, same-mtime change.
        { type: 'file', path: 'libjson.so', content: bytes, mtime: 1 },
      ]),
      // No cache: the engine's cache key of a COPY ignores mtimes, so an earlier build of these bytes could answer.
      { tags: [tampered], noCache: true },
    );
    await writeFile(join(volume, 'libk8saudit.so'), 'from an earlier pod');
    const before = await listFiles(volume);
    const refused = await dockerExit('run', '--rm', '--network', 'host', '-v', `${volume}:/mnt/plugins`, tampered);
    expect(refused.code).toBe(3);
    expect(refused.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^falco-plugin-loader: error: payload\/libjson\.so does not match the lock/)]);
    expect(await listFiles(volume)).toEqual(before);
    await engine.removeImage(tampered, { force: true });
  });

  it('the plugin-loader installs the locked rules files into a rules volume of their own when FALCO_PLUGIN_LOADER_RULES_DEST names one', async () => {
    const image = contentReference((await buildAndPush('plain', fixture))['plugin-loader']!);
    const plugins = join(work, 'rules-dest-plugins');
    const rules = join(work, 'rules-dest-rules');
    for (const dir of [plugins, rules]) {
      await mkdir(dir);
      await chmod(dir, 0o777);
    }
    const run = await dockerExit(
      'run',
      '--rm',
      '--network',
      'host',
      '-v',
      `${plugins}:/mnt/plugins`,
      '-v',
      `${rules}:/mnt/rules`,
      '-e',
      'FALCO_PLUGIN_LOADER_RULES_DEST=/mnt/rules',
      image,
    );
    expect(run.stderr).toContain('installed 3 files checked against plugins-lock.yaml: 2 plugins into /mnt/plugins, 1 rules files into /mnt/rules');
    expect(run.code).toBe(0);
    const lockedRules = fixture.lock.rulesfiles.flatMap((r) => r.files);
    expect(await listFiles(rules)).toEqual(Object.fromEntries(lockedRules.map((f) => [f.file, f.sha256])));
    expect(Object.keys(await listFiles(plugins)).sort()).toEqual(['libjson.so', 'libk8saudit.so']);

    // A rules destination that is not mounted is refused before anything is installed.
    const empty = join(work, 'rules-dest-untouched');
    await mkdir(empty);
    await chmod(empty, 0o777);
    const refused = await dockerExit(
      'run',
      '--rm',
      '--network',
      'host',
      '-v',
      `${empty}:/mnt/plugins`,
      '-e',
      'FALCO_PLUGIN_LOADER_RULES_DEST=/mnt/absent',
      image,
    );
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('the rules destination /mnt/absent is not a directory');
    expect(await listFiles(empty)).toEqual({});
  });

  it('the falco image runs the stand-in Falco with plugins from a mounted directory', async () => {
    const image = contentReference((await buildAndPush('plain', fixture)).falco!);
    const plugins = join(work, 'mounted-plugins');
    const config = join(work, 'mounted-config');
    await mkdir(plugins);
    await mkdir(config);
    await writeFile(join(plugins, 'libk8saudit.so'), fileCache.get(k8saudit['linux/amd64']!)!);
    await writeFile(join(config, 'falco.yaml'), STANDIN_CONFIG);
    const falco = await dockerExit(
      'run',
      '--rm',
      '--network',
      'host',
      '-v',
      `${plugins}:/usr/share/falco/plugins:ro`,
      '-v',
      `${config}:/etc/falco-test:ro`,
      image,
      '-c',
      '/etc/falco-test/falco.yaml',
      '--dry-run',
    );
    expect(falco.stderr).not.toMatch(/error/i);
    expect(falco.code).toBe(0);
    expect(falco.stdout).toContain('-c /etc/falco-test/falco.yaml --dry-run');
    expect(falco.stdout).toMatch(/k8saudit/);
  });
});

/** Every file under `dir` by relative path, with its sha256 as read from outside any container. */
async function listFiles(dir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files[path.slice(dir.length + 1)] = sha256(await readFile(path));
  }
  return files;
}

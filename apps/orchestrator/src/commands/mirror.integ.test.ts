import { buildPluginArtifact, buildRulesfileArtifact, compilePlugin, openRegistry, publishArtifactTo } from '@falco-airgap/fixtures';
import { parseLock, type PluginsLock } from '@falco-airgap/manifest';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
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
  'TESTBED_FALCOCTL',
);
const PLAIN = env.TESTBED_REGISTRY!;
const AUTH = env.TESTBED_REGISTRY_AUTH!;
const run = promisify(execFile);
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

const runId = randomBytes(4).toString('hex');
const source = `mirror-source-${runId}`;
const plugin = buildPluginArtifact({
  name: 'demo',
  version: '0.1.0',
  requiredApiVersion: '3.10.0',
  builds: compilePlugin({ name: 'demo', version: '0.0.0', apiVersion: '3.10.0' }),
});
const rules = buildRulesfileArtifact({ name: 'demo-rules', version: '0.1.0', files: [{ name: 'demo_rules.yaml', content: '- rule: demo\n' }] });

let root: string;
let dockerConfig: string;
let lock: PluginsLock;

function cli(argv: string[]) {
  return runInMemory(argv, { cwd: root, env: { DOCKER_CONFIG: dockerConfig } });
}

interface MirrorData {
  artifacts: { name: string; target: string; digest: string; blobsUploaded: number; blobsMounted: number; blobsPresent: number; tagsWritten: string[] }[];
}

async function mirror(...args: string[]): Promise<{ code: number; data: MirrorData; stderr: string }> {
  const result = await cli(['--json', 'mirror', '--lock', 'plugins/plugins-lock.yaml', '--cache-dir', 'cache', ...args]);
  const last = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as { data: MirrorData };
  return { code: result.code, data: last.data, stderr: result.stderr };
}

/** A home for the real falcoctl: its index cache, config and credentials stay there; no index but the ones a test adds. */
async function falcoctlHome(name: string): Promise<string> {
  const home = join(root, name);
  await mkdir(join(home, '.docker'), { recursive: true });
  await writeFile(join(home, 'falcoctl.yaml'), 'indexes: []\n');
  await writeFile(join(home, '.docker', 'config.json'), await readFile(join(dockerConfig, 'config.json')));
  return home;
}

async function falcoctl(home: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await run(env.TESTBED_FALCOCTL!, [...args, '--config', join(home, 'falcoctl.yaml')], {
      env: { ...process.env, HOME: home, SSL_CERT_FILE: env.TESTBED_CA_FILE!, DOCKER_CONFIG: join(home, '.docker') },
      timeout: 120_000,
    });
    return stdout;
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string };
    throw new Error(`falcoctl ${args.join(' ')} failed: ${failed.stderr || failed.stdout || String(error)}`, { cause: error });
  }
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'cli-mirror-'));
  dockerConfig = join(root, 'docker');
  await mkdir(dockerConfig);
  const auth = Buffer.from(`${env.TESTBED_REGISTRY_AUTH_USER}:${env.TESTBED_REGISTRY_AUTH_PASSWORD}`).toString('base64');
  await writeFile(join(dockerConfig, 'config.json'), JSON.stringify({ auths: { [AUTH]: { auth } } }));
  await publishArtifactTo({ registry: PLAIN, plainHttp: true }, `${source}/plugins/plugin/demo`, plugin, ['0.1.0']);
  await publishArtifactTo({ registry: PLAIN, plainHttp: true }, `${source}/rules/demo-rules`, rules, ['0.1.0']);
  await writeFile(
    join(root, 'plugins-manifest.yaml'),
    [
      'apiVersion: falco-airgap/v1alpha1',
      'kind: PluginsManifest',
      'falco:',
      '  version: 0.44.1',
      'platforms: [linux/amd64, linux/arm64]',
      'plugins:',
      '  - name: demo',
      '    version: 0.1.0',
      '    from:',
      `      artifact: ${PLAIN}/${source}/plugins/plugin/demo:0.1.0`,
      'rulesfiles:',
      '  - name: demo-rules',
      '    version: 0.1.0',
      '    from:',
      `      artifact: ${PLAIN}/${source}/rules/demo-rules:0.1.0`,
      '',
    ].join('\n'),
  );
  const extracted = await cli(['extract', '--manifest', 'plugins-manifest.yaml', '--out', 'plugins', '--plain-http', PLAIN, '--cache-dir', 'cache']);
  if (extracted.code !== 0) throw new Error(`extract failed: ${extracted.stderr}`);
  lock = parseLock(await readFile(join(root, 'plugins/plugins-lock.yaml'), 'utf8'));
}, 300_000);

afterAll(() => rm(root, { recursive: true, force: true }));

describe('falco-airgap mirror (testbed, real falcoctl)', () => {
  it('copies the locked artifacts into the TLS registry; falcoctl installs from the index the same bytes the lock records', async () => {
    const prefix = `mirror-${runId}`;
    const toTls = ['--to', `${AUTH}/${prefix}`, '--plain-http', PLAIN, '--ca-file', env.TESTBED_CA_FILE!, '--index-out', 'index.yaml'];
    const first = await mirror(...toTls);
    expect(first.stderr).not.toContain('error[');
    expect(first.code).toBe(0);
    expect(first.data.artifacts.map((a) => [a.name, a.target, a.digest])).toEqual([
      ['demo', `${AUTH}/${prefix}/${source}/plugins/plugin/demo`, lock.plugins[0]!.resolvedDigest],
      ['demo-rules', `${AUTH}/${prefix}/${source}/rules/demo-rules`, lock.rulesfiles[0]!.resolvedDigest],
    ]);
    expect(first.data.artifacts.every((a) => a.blobsUploaded > 0)).toBe(true);

    // What the mirror holds: the index and every platform manifest byte for byte, under the locked digests.
    const client = await openRegistry({
      registry: AUTH,
      username: env.TESTBED_REGISTRY_AUTH_USER,
      password: env.TESTBED_REGISTRY_AUTH_PASSWORD,
      ca: await readFile(env.TESTBED_CA_FILE!),
    });
    try {
      const location = { registry: AUTH, repository: `${prefix}/${source}/plugins/plugin/demo` };
      const head = await client.headManifest(location, '0.1.0');
      expect(head?.digest).toBe(plugin.root.descriptor.digest);
      for (const m of plugin.manifests) expect((await client.manifest(location, m.descriptor.digest, m.descriptor.size)).bytes).toEqual(m.bytes);
    } finally {
      await client.close();
    }

    // Nothing changed: a second run sends no blob and writes no manifest or tag.
    const again = await mirror(...toTls);
    expect(again.code).toBe(0);
    expect(again.data.artifacts.map((a) => [a.blobsUploaded, a.blobsMounted, a.tagsWritten.length])).toEqual([
      [0, 0, 0],
      [0, 0, 0],
    ]);

    const home = await falcoctlHome('falcoctl-tls');
    await falcoctl(home, ['index', 'add', 'mirror', `file://${join(root, 'index.yaml')}`]);
    for (const platform of ['linux/amd64', 'linux/arm64'] as const) {
      const dirs = { plugins: join(home, platform, 'plugins'), rules: join(home, platform, 'rules') };
      await Promise.all(Object.values(dirs).map((d) => mkdir(d, { recursive: true })));
      await falcoctl(home, [
        'artifact',
        'install',
        'demo:0.1.0',
        'demo-rules:0.1.0',
        '--platform',
        platform,
        '--plugins-dir',
        dirs.plugins,
        '--rulesfiles-dir',
        dirs.rules,
      ]);
      const locked = lock.plugins[0]!.platforms.find((p) => p.platform === platform)!;
      expect(sha256(await readFile(join(dirs.plugins, 'libdemo.so')))).toBe(locked.sha256);
      expect(sha256(await readFile(join(dirs.rules, 'demo_rules.yaml')))).toBe(lock.rulesfiles[0]!.files[0]!.sha256);
    }
  });

  it('mounts blobs within the same registry, and falcoctl installs over plain HTTP from that mirror', async () => {
    const prefix = `mirror-same-${runId}`;
    const result = await mirror('--to', `${PLAIN}/${prefix}`, '--plain-http', PLAIN, '--index-out', 'plain/index.yaml');
    expect(result.code).toBe(0);
    expect(result.data.artifacts.map((a) => [a.blobsUploaded, a.blobsMounted > 0])).toEqual([
      [0, true],
      [0, true],
    ]);
    const home = await falcoctlHome('falcoctl-plain');
    await falcoctl(home, ['index', 'add', 'plain-mirror', `file://${join(root, 'plain/index.yaml')}`]);
    const dirs = { plugins: join(home, 'plugins'), rules: join(home, 'rules') };
    await Promise.all(Object.values(dirs).map((d) => mkdir(d, { recursive: true })));
    await falcoctl(home, [
      'artifact',
      'install',
      'demo:0.1.0',
      '--plain-http',
      '--platform',
      'linux/amd64',
      '--plugins-dir',
      dirs.plugins,
      '--rulesfiles-dir',
      dirs.rules,
    ]);
    expect(sha256(await readFile(join(dirs.plugins, 'libdemo.so')))).toBe(lock.plugins[0]!.platforms.find((p) => p.platform === 'linux/amd64')!.sha256);
  });

  it('refuses a target that names no registry as invalid input (exit 2)', async () => {
    const result = await cli(['mirror', '--to', 'no-registry/prefix', '--lock', 'plugins/plugins-lock.yaml']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('error[BUNDLE_BAD_OPTION]');
  });
});

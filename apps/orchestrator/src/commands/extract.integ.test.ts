import { FIXTURE_PLUGINS, buildPluginArtifact, compilePlugin, publishArtifactTo, publishFixturesTo } from '@falco-airgap/fixtures';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startForwardProxy } from '@falco-airgap/oci/test-support';
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
  'TESTBED_REGISTRY_LOG',
);
const PLAIN = env.TESTBED_REGISTRY!;
const AUTH = env.TESTBED_REGISTRY_AUTH!;
let root: string;
let dockerConfig: string;

async function cli(argv: string[]) {
  return runInMemory(argv, { cwd: root, env: { DOCKER_CONFIG: dockerConfig } });
}

/** The shipped manifest with ghcr.io and docker.io replaced by a testbed registry. */
async function manifestFor(registry: string, file: string, transform: (text: string) => string = (t) => t): Promise<string> {
  const shipped = await readFile(join(import.meta.dirname, '../../../../plugins/plugins-manifest.yaml'), 'utf8');
  const path = join(root, file);
  await writeFile(path, transform(shipped.replaceAll('ghcr.io/', `${registry}/`).replaceAll('docker.io/', `${registry}/`)));
  return path;
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'cli-extract-'));
  await publishFixturesTo(
    { registry: PLAIN, plainHttp: true },
    { registry: AUTH, username: env.TESTBED_REGISTRY_AUTH_USER, password: env.TESTBED_REGISTRY_AUTH_PASSWORD, ca: await readFile(env.TESTBED_CA_FILE!) },
  );
  dockerConfig = join(root, 'docker');
  await mkdir(dockerConfig);
}, 300_000);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('falco-airgap extract (testbed)', () => {
  it('mirrors the shipped manifest from the local registry, then re-runs without downloading a blob', async () => {
    const manifest = await manifestFor(PLAIN, 'plain.yaml');
    const args = ['extract', '--manifest', manifest, '--out', 'plugins', '--plain-http', PLAIN, '--cache-dir', 'cache'];
    const first = await cli(args);
    expect(first.stderr).not.toContain('error[');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/extracted 10 plugin files and 1 rules file into plugins\/extracted \(11 changed, 0 unchanged; \d+ blobs downloaded/);
    expect(first.stderr).toContain('✔ plugin k8saudit 0.18.0 linux/arm64');

    // The re-run goes through a forward proxy of its own: what it asks the registry for is counted apart from other tests.
    const proxy = await startForwardProxy();
    let blobGets: string[];
    let second: Awaited<ReturnType<typeof cli>>;
    try {
      second = await runInMemory([...args, '--locked'], { cwd: root, env: { DOCKER_CONFIG: dockerConfig, HTTP_PROXY: proxy.url } });
      blobGets = proxy.requests.filter((request) => /^GET \S+\/blobs\//.test(request));
      expect(proxy.requests.length).toBeGreaterThan(0);
    } finally {
      await proxy.close();
    }
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('(0 changed, 11 unchanged; 0 blobs downloaded');
    expect(second.stdout).toContain('lock plugins/plugins-lock.yaml unchanged');
    expect(blobGets).toEqual([]);
  });

  it('streams task and progress events with --json and ends with the result', async () => {
    const manifest = await manifestFor(PLAIN, 'json.yaml');
    const result = await cli([
      '--json',
      'extract',
      '--manifest',
      manifest,
      '--out',
      'json-out',
      '--plain-http',
      PLAIN,
      '--cache-dir',
      'cache-json',
      '--platform',
      'linux/arm64',
    ]);
    expect(result.code).toBe(0);
    const lines = result.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; id?: string; status?: string; data?: { lock: { plugins: { platforms: unknown[] }[] } } });
    expect(lines.some((l) => l.type === 'progress' && l.id === 'plugin/k8saudit/linux/arm64')).toBe(true);
    expect(lines.some((l) => l.type === 'task' && l.status === 'done' && l.id === 'rulesfile/falco-rules')).toBe(true);
    const last = lines.at(-1)!;
    expect(last).toMatchObject({ type: 'result', ok: true, exitCode: 0 });
    expect(last.data!.lock.plugins.every((p) => p.platforms.length === 1)).toBe(true);
  });

  it('pulls from the TLS registry with --ca-file and docker login credentials; exit 1 without the CA, exit 2 without credentials', async () => {
    const manifest = await manifestFor(AUTH, 'auth.yaml');
    const base = ['extract', '--manifest', manifest, '--platform', 'linux/amd64'];
    const noCredentials = await cli([...base, '--out', 'auth-none', '--ca-file', env.TESTBED_CA_FILE!, '--cache-dir', 'cache-auth-1']);
    expect(noCredentials.code).toBe(2);
    expect(noCredentials.stderr).toMatch(/error\[EXTRACT_UNAUTHORIZED\]: 127\.0\.0\.1:5443 refused access: .* — log in with docker login 127\.0\.0\.1:5443/);

    const auth = Buffer.from(`${env.TESTBED_REGISTRY_AUTH_USER}:${env.TESTBED_REGISTRY_AUTH_PASSWORD}`).toString('base64');
    await writeFile(join(dockerConfig, 'config.json'), JSON.stringify({ auths: { [AUTH]: { auth } } }));
    const noCa = await cli([...base, '--out', 'auth-no-ca', '--cache-dir', 'cache-auth-2']);
    expect(noCa.code).toBe(1);
    expect(noCa.stderr).toContain('error[EXTRACT_REGISTRY_UNREACHABLE]');
    expect(noCa.stderr).toContain('--ca-file');

    const ok = await cli([...base, '--out', 'auth-ok', '--ca-file', env.TESTBED_CA_FILE!, '--cache-dir', 'cache-auth-3']);
    expect(ok.stderr).not.toContain('error[');
    expect(ok.code).toBe(0);
  });

  it('caps what a layer may unpack to, and --max-uncompressed-bytes / --max-entries move the caps', async () => {
    const manifest = await manifestFor(PLAIN, 'caps.yaml');
    const base = ['extract', '--manifest', manifest, '--plain-http', PLAIN, '--platform', 'linux/amd64', '--cache-dir', 'cache-caps'];
    const tooLarge = await cli([...base, '--out', 'caps-1', '--max-uncompressed-bytes', '4096']);
    expect(tooLarge.code).toBe(3);
    expect(tooLarge.stderr).toMatch(/error\[EXTRACT_TAR_TOO_LARGE\]: the layer of .* unpacks to more than 4096 bytes — this looks like a decompression bomb/);
    const tooMany = await cli([...base, '--out', 'caps-2', '--max-entries', '0']);
    expect(tooMany.code).toBe(2);
    const fine = await cli([...base, '--out', 'caps-3', '--max-uncompressed-bytes', String(64 * 1024 * 1024), '--max-entries', '10']);
    expect(fine.code).toBe(0);
  });

  it('exits 2 on an unknown tag and 3 with --locked when a tag moved', async () => {
    const unknown = await manifestFor(PLAIN, 'unknown.yaml', (t) => t.replace('k8saudit:0.18.0', 'k8saudit:0.18.9'));
    const missing = await cli(['extract', '--manifest', unknown, '--out', 'unknown', '--plain-http', PLAIN, '--cache-dir', 'cache-unknown']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('error[EXTRACT_UNKNOWN_TAG]: 127.0.0.1:5000/falcosecurity/plugins/plugin/k8saudit:0.18.9 does not exist');

    // A repository of our own, so moving its tag disturbs no other test.
    const repository = `falco-airgap-test/cli-locked-${process.pid}-${Date.now()}/k8saudit`;
    const target = { registry: PLAIN, plainHttp: true };
    const plugin = FIXTURE_PLUGINS[0]!;
    await publishArtifactTo(
      target,
      repository,
      buildPluginArtifact({ name: plugin.name, version: plugin.version, requiredApiVersion: plugin.apiVersion, builds: compilePlugin(plugin) }),
      [plugin.version],
    );
    const manifest = join(root, 'locked.yaml');
    await writeFile(
      manifest,
      `apiVersion: falco-airgap/v1alpha1\nkind: PluginsManifest\nfalco:\n  version: 0.44.1\nplatforms: [linux/amd64]\nplugins:\n  - name: ${plugin.name}\n    version: ${plugin.version}\n    from:\n      artifact: ${PLAIN}/${repository}:${plugin.version}\nrulesfiles: []\n`,
    );
    const args = ['extract', '--manifest', manifest, '--out', 'locked', '--plain-http', PLAIN, '--cache-dir', 'cache-locked'];
    expect((await cli(args)).code).toBe(0);
    const lock = await readFile(join(root, 'locked/plugins-lock.yaml'), 'utf8');
    const moved = compilePlugin({ ...plugin, apiVersion: '3.11.0' });
    await publishArtifactTo(
      target,
      repository,
      buildPluginArtifact({ name: plugin.name, version: plugin.version, requiredApiVersion: '3.11.0', builds: moved }),
      [plugin.version],
    );
    const drift = await cli([...args, '--locked']);
    expect(drift.code).toBe(3);
    expect(drift.stderr).toMatch(/error\[EXTRACT_LOCK_DRIFT\]: \d+ differences from .*plugins-lock\.yaml: .*plugin k8saudit/);
    expect(await readFile(join(root, 'locked/plugins-lock.yaml'), 'utf8')).toBe(lock);
  });

  it('exits 2 naming the plugin to add when a rulesfile depends on one the manifest lacks, and records dependencies once it is there', async () => {
    const ruleset = `  - name: k8saudit-rules\n    version: 0.18.0\n    from:\n      artifact: ${PLAIN}/falcosecurity/plugins/ruleset/k8saudit-rules:0.18.0\n`;
    const withoutJson = await manifestFor(PLAIN, 'deps-missing.yaml', (t) =>
      t.replace(/ {2}- name: json\n(?: {4}.*\n)+/, '').replace('rulesfiles:\n', `rulesfiles:\n${ruleset}`),
    );
    const args = (manifest: string, out: string) => ['extract', '--manifest', manifest, '--out', out, '--plain-http', PLAIN, '--cache-dir', 'cache-deps'];
    const missing = await cli(args(withoutJson, 'deps-missing'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(
      'error[EXTRACT_DEPENDENCY_MISSING]: rulesfile k8saudit-rules 0.18.0 depends on plugin json 0.7.4 (or a later 0.x), which the manifest does not have — add plugin json to plugins in the manifest',
    );

    const complete = await manifestFor(PLAIN, 'deps.yaml', (t) => t.replace('rulesfiles:\n', `rulesfiles:\n${ruleset}`));
    const ok = await cli(args(complete, 'deps'));
    expect(ok.stderr).not.toContain('error[');
    expect(ok.code).toBe(0);
    expect(await readFile(join(root, 'deps/plugins-lock.yaml'), 'utf8')).toContain('satisfiedBy: k8saudit');
  });
});

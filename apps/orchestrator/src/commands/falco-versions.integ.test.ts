import { publishFixturesTo } from '@falco-airgap/fixtures';
import { parseLock } from '@falco-airgap/manifest';
import { chartPath, parseManifests, tcpProxy, testbedTools } from '@falco-airgap/test-support';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runInMemory } from '../testing/run-in-memory.ts';

// Environments against a versions catalogue, on the testbed: the three official rule sets mirrored from the
// registry, locked, and rendered by the testbed's helm in load order; deploy plans against the testbed API
// server with the version each environment resolves to; expired versions and plugins the chosen Falco cannot
// load refused before a single connection to the registry.

const testbedEnv = join(import.meta.dirname, '../../../../tools/testbed/env.ts');
const { requireTestbed } = (await import(testbedEnv)) as { requireTestbed: (...keys: string[]) => Record<string, string> };
const env = requireTestbed('TESTBED_REGISTRY', 'TESTBED_HELM', 'TESTBED_KUBECONFIG');
const REGISTRY = env.TESTBED_REGISTRY!;
const tools = testbedTools();
const cliEnv = { PATH: process.env.PATH, FALCO_AIRGAP_HELM: env.TESTBED_HELM, KUBECONFIG: env.TESTBED_KUBECONFIG };
let root: string;

const entry = (version: string, classification: string, api: string, expiry?: string) =>
  [
    `  - version: ${version}`,
    `    classification: ${classification}`,
    ...(expiry ? [`    expirationDate: ${expiry}`] : []),
    '    libsVersion: 0.25.4',
    `    pluginApiVersion: ${api}`,
    '    engineVersion: 0.62.0',
    '    rules: { falco-rules: 5.1.0, falco-incubating-rules: 5.0.1, falco-sandbox-rules: 5.0.1 }',
  ].join('\n');
const CATALOGUE = [
  'apiVersion: falco-airgap/v1alpha1',
  'kind: FalcoVersions',
  'versions:',
  entry('0.44.1', 'supported', '3.12.0'),
  entry('0.43.1', 'deprecated', '3.12.0', '2099-12-31'),
  entry('0.42.1', 'deprecated', '3.10.0', '2099-12-31'),
  entry('0.41.3', 'deprecated', '3.11.0', '2020-01-01'),
  '',
].join('\n');

function config(registry: string): string {
  const environment = (name: string, falco: string, extra = '') =>
    `  ${name}:\n    registry: { host: "${registry}", plainHttp: true }\n    cluster: { kubeconfig: ${env.TESTBED_KUBECONFIG} }\n    falco: ${falco}\n${extra}`;
  return [
    'apiVersion: falco-airgap/v1',
    'kind: Config',
    'versionsFile: versions.yaml',
    'environments:',
    environment('fleet', '{ version: auto }', '    rules: { falco: true, incubating: true, sandbox: true, overrides: true }\n'),
    environment('lagging', '{ version: 0.43.1 }'),
    environment('expired', '{ version: 0.41.3 }'),
    environment('moving', '{ version: 0.41.3, autoUpdate: true }'),
    environment('older', '{ version: 0.42.1 }'),
  ].join('\n');
}

function manifest(registry: string, plugins = ''): string {
  const rules = ['falco-rules:5.1.0', 'falco-incubating-rules:5.0.1', 'falco-sandbox-rules:5.0.1'].map((ref) => {
    const [name, version] = ref.split(':');
    return `  - name: ${name}\n    version: ${version}\n    from: { artifact: ${registry}/falcosecurity/rules/${ref} }\n`;
  });
  return `apiVersion: falco-airgap/v1alpha1\nkind: PluginsManifest\nfalco: { version: 0.44.1 }\nplatforms: [linux/amd64]\n${plugins}rulesfiles:\n${rules.join('')}`;
}

const cli = (dir: string, argv: string[]) => runInMemory(['--json', ...argv], { cwd: dir, env: cliEnv });
const lines = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown> & { type: string; code?: string });
const resultOf = (stdout: string) =>
  lines(stdout).at(-1) as unknown as { exitCode: number; data: Record<string, unknown>; error?: { code: string; location?: string } };
const deployPlan = (dir: string, name: string) =>
  cli(dir, ['deploy', '--env', name, '--dry-run', '--chart', chartPath, '--namespace', 'falco-airgap-versions', '--release', `versions-${name}`]);
const planValues = (stdout: string) => (resultOf(stdout).data.plan as { values: Record<string, unknown> }).values;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'falco-versions-'));
  await publishFixturesTo({ registry: REGISTRY, plainHttp: true });
  await writeFile(join(root, 'versions.yaml'), CATALOGUE);
  await writeFile(join(root, 'falco-airgap.config.yaml'), config(REGISTRY));
  await writeFile(join(root, 'manifest.yaml'), manifest(REGISTRY));
}, 300_000);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
  tools.cleanup();
});

describe('the three official rule sets', () => {
  it('mirror and lock from the registry, then render in load order: falco, incubating, sandbox, the overrides', async () => {
    const pipeline = await cli(root, ['pipeline', '--env', 'fleet', '--no-build', '--no-deploy', '--manifest', 'manifest.yaml', '--out', 'plugins']);
    expect(pipeline.code, pipeline.stderr).toBe(0);
    const lock = parseLock(await readFile(join(root, 'plugins', 'plugins-lock.yaml'), 'utf8'));
    expect(lock.rulesfiles.map((r) => [r.name, r.version, r.files.map((f) => f.path)])).toEqual([
      ['falco-incubating-rules', '5.0.1', ['rules/falco-incubating_rules.yaml']],
      ['falco-rules', '5.1.0', ['rules/falco_rules.yaml']],
      ['falco-sandbox-rules', '5.0.1', ['rules/falco-sandbox_rules.yaml']],
    ]);
    for (const file of ['falco_rules.yaml', 'falco-incubating_rules.yaml', 'falco-sandbox_rules.yaml']) {
      expect(await readFile(join(root, 'plugins', 'extracted', 'rules', file), 'utf8')).toContain('falco-airgap test fixture');
    }

    // deploy reads the same lock: the chart gets the rule sets in load order and the overrides.
    const plan = await deployPlan(root, 'fleet');
    expect(plan.code, plan.stderr).toBe(0);
    const values = planValues(plan.stdout);
    expect(values).toMatchObject({
      falcoVersion: '0.44.1',
      lockedRules: { files: ['falco_rules.yaml', 'falco-incubating_rules.yaml', 'falco-sandbox_rules.yaml'] },
      rulesOverrides: { enabled: true },
    });
    await writeFile(join(root, 'planned.yaml'), stringify({ ...values, customRulesConfigMaps: ['team-b', '10-base', 'team-a'] }));
    const rendered = await tools.template('versions-fleet', 'falco-airgap-versions', ['-f', join(root, 'planned.yaml')]);
    expect(rendered.stderr).toBe('');
    const configMap = parseManifests(rendered.stdout).find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'versions-fleet-falco-airgap') as unknown as {
      data: { 'falco.yaml': string };
    };
    expect(configMap.data['falco.yaml']).toContain(
      [
        'rules_files:',
        '- /etc/falco/locked-rules.d/falco_rules.yaml',
        '- /etc/falco/locked-rules.d/falco-incubating_rules.yaml',
        '- /etc/falco/locked-rules.d/falco-sandbox_rules.yaml',
        '- /etc/falco/rules.overrides.d/falco-airgap_overrides.yaml',
        '- /etc/falco/falco_rules.local.yaml',
        '- /etc/falco/rules.configmaps.d/10-base',
        '- /etc/falco/rules.configmaps.d/team-a',
        '- /etc/falco/rules.configmaps.d/team-b',
      ].join('\n'),
    );
  });
});

describe('an environment resolved against the catalogue, planned against the testbed API server', () => {
  it('auto deploys the latest supported version', async () => {
    const plan = await deployPlan(root, 'fleet');
    expect(planValues(plan.stdout).falcoVersion).toBe('0.44.1');
    expect((await runInMemory(['versions', 'resolve', '--env', 'fleet'], { cwd: root, env: cliEnv })).stdout).toBe('0.44.1\n');
  });

  it('a deprecated version deploys with a warning naming its expiry', async () => {
    const plan = await deployPlan(root, 'lagging');
    expect(plan.code, plan.stderr).toBe(0);
    expect(planValues(plan.stdout).falcoVersion).toBe('0.43.1');
    expect(lines(plan.stdout)).toContainEqual(
      expect.objectContaining({ type: 'diagnostic', severity: 'warning', code: 'FALCO_VERSION_DEPRECATED', location: 'falco-airgap.config.yaml:14:23' }),
    );
    expect((await runInMemory(['deploy', '--env', 'lagging', '--dry-run', '--chart', chartPath], { cwd: root, env: cliEnv })).stderr).toContain(
      'warning[FALCO_VERSION_DEPRECATED]: falco-airgap.config.yaml:14:23: Falco 0.43.1 is deprecated and expires on 2099-12-31',
    );
  });

  it('an expired version is refused with exit 2, and with autoUpdate moves to the latest supported one', async () => {
    const refused = await deployPlan(root, 'expired');
    expect(refused.code).toBe(2);
    expect(resultOf(refused.stdout).error).toMatchObject({ code: 'CONFIG_FALCO_VERSION_EXPIRED', location: 'falco-airgap.config.yaml:19:23' });
    const moved = await deployPlan(root, 'moving');
    expect(moved.code, moved.stderr).toBe(0);
    expect(planValues(moved.stdout).falcoVersion).toBe('0.44.1');
    expect(lines(moved.stdout)).toContainEqual(expect.objectContaining({ code: 'FALCO_VERSION_UPDATED' }));
  });
});

describe('refused before anything is pulled', () => {
  it('an expired version, and a plugin the chosen Falco cannot load: exit 2 and not one connection to the registry', async () => {
    const [host, port] = REGISTRY.split(':');
    const proxy = await tcpProxy({ host: host!, port: Number(port) });
    const proxied = `127.0.0.1:${proxy.port}`;
    const dir = await mkdtemp(join(tmpdir(), 'falco-versions-refused-'));
    try {
      await writeFile(join(dir, 'versions.yaml'), CATALOGUE);
      await writeFile(join(dir, 'falco-airgap.config.yaml'), config(proxied));
      const container =
        '  - name: container\n    version: 0.7.1\n    requiredApiVersion: 3.11.0\n' +
        `    from: { image: ${proxied}/falcosecurity/falco:0.44.1-debian, path: /usr/share/falco/plugins/libcontainer.so }\n`;
      await writeFile(join(dir, 'manifest.yaml'), manifest(proxied, `plugins:\n${container}`));
      const pipeline = (name: string) => cli(dir, ['pipeline', '--env', name, '--no-build', '--no-deploy', '--manifest', 'manifest.yaml', '--out', 'plugins']);

      const expired = await pipeline('expired');
      expect(expired.code).toBe(2);
      expect(resultOf(expired.stdout).error?.code).toBe('CONFIG_FALCO_VERSION_EXPIRED');

      const older = await pipeline('older');
      expect(older.code).toBe(2);
      expect(resultOf(older.stdout).error).toMatchObject({ code: 'CONFIG_PLUGIN_API_INCOMPATIBLE', location: 'manifest.yaml:8:25' });

      expect(proxy.connections).toBe(0);
      expect(existsSync(join(dir, 'plugins'))).toBe(false);

      // The same manifest for an environment whose Falco loads the plugin gets past the check and reaches the registry.
      const supported = await pipeline('lagging');
      expect(supported.code, supported.stderr).toBe(0);
      expect(proxy.connections).toBeGreaterThan(0);
    } finally {
      await proxy.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

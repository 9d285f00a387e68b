import { Command } from 'commander';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runInMemory } from '../testing/run-in-memory.ts';
import { loadConfigFile, parseConfig, selectEnvironment } from './config-file.ts';
import { configJsonSchema } from './config-schema.ts';
import { clusterSettings, overlaySettings } from './environment-config.ts';

const repoRoot = resolve(import.meta.dirname, '../../../..');
const badDir = 'apps/orchestrator/test-fixtures/config/bad';

describe('falco-airgap.config.yaml', () => {
  it('accepts the example at the root with local, dev, staging and prod', async () => {
    const config = await loadConfigFile(join(repoRoot, 'falco-airgap.config.yaml'));
    expect(Object.keys(config.document.environments)).toEqual(['local', 'dev', 'staging', 'prod']);
    expect(selectEnvironment(config, 'prod').cluster.eks).toEqual({ name: 'falco-prod', region: 'eu-west-1' });
  });

  it('ships the JSON Schema for editors as the checks use it', () => {
    const shipped: unknown = JSON.parse(readFileSync(join(repoRoot, 'apps/orchestrator/schema/config.schema.json'), 'utf8'));
    expect(shipped).toEqual(JSON.parse(JSON.stringify(configJsonSchema)));
  });

  it('allows ${NAME} in secret fields', () => {
    const text = [
      'apiVersion: falco-airgap/v1',
      'kind: Config',
      'environments:',
      '  ci:',
      '    registry: { host: registry.internal:5000, username: ci, password: "${REGISTRY_PASSWORD}" }',
      '    cluster: { kubeContext: ci }',
    ].join('\n');
    expect(selectEnvironment(parseConfig(text, 'ci.yaml'), 'ci').registry.password).toBe('${REGISTRY_PASSWORD}');
  });

  for (const fixture of readdirSync(join(repoRoot, badDir))) {
    it(`refuses ${fixture} with FILE:LINE:COL, a stable code and exit 2 before touching anything`, async () => {
      const [, code, position, env] = /^# expect: (\S+) (\S+)(?: env=(\S+))?/.exec(readFileSync(join(repoRoot, badDir, fixture), 'utf8'))!;
      // An unreachable cluster: had the command got past the file, it would fail with another code.
      const result = await runInMemory(['--config', `${badDir}/${fixture}`, 'status', '--env', env ?? 'local', '--kube-context', 'nowhere'], { cwd: repoRoot });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`error[${code}]: ${badDir}/${fixture}:${position}: `);
      expect(result.stderr).toMatch(/ — \S/);
    });
  }

  it('refuses --env without a configuration file', async () => {
    const result = await runInMemory(['status', '--env', 'local'], { cwd: mkdtempSync(join(tmpdir(), 'falco-airgap-config-')) });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('error[CONFIG_ENV_REQUIRED]');
  });

  it('refuses a --config file whose aliases expand without bound as a YAML problem (exit 2), not a crash', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'falco-airgap-config-'));
    writeFileSync(join(dir, 'bomb.yaml'), readFileSync(join(repoRoot, 'tools/fixtures/yaml-alias-bomb.yaml')));
    const result = await runInMemory(['--config', 'bomb.yaml', 'manifest', 'validate'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^error\[CONFIG_YAML_SYNTAX\]: bomb\.yaml:1:1: invalid YAML: .*alias/im);
  });

  it('refuses a --config file that does not exist', async () => {
    const result = await runInMemory(['--config', 'envs.yaml', 'manifest', 'validate'], { cwd: repoRoot });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('error[CONFIG_NOT_FOUND]: envs.yaml:1:1: cannot read envs.yaml');
  });
});

describe('environment settings under flags', () => {
  const config = parseConfig(
    [
      'apiVersion: falco-airgap/v1',
      'kind: Config',
      'environments:',
      '  staging:',
      '    registry: { host: localhost:5000 }',
      '    cluster: { kubeContext: kind-staging, kubeconfig: kube/config }',
      '    namespace: falco-staging',
      '    values: [values/staging.yaml]',
      '    timeout: 10m',
    ].join('\n'),
    'config/falco-airgap.config.yaml',
  );
  const settings = clusterSettings(selectEnvironment(config, 'staging'), config, '/repo');
  const command = (argv: string[]) => {
    const cmd = new Command('deploy')
      .exitOverride()
      .option('--kubeconfig <file>')
      .option('--kube-context <name>')
      .option('--eks-cluster <name>')
      .option('--region <region>')
      .option('--namespace <name>', '', 'falco')
      .option('--release <name>', '', 'falco')
      .option('--values <file>', '', (v: string, prev: string[]) => [...prev, v], [] as string[])
      .option('--timeout <duration>', '', '5m');
    cmd.parse(argv, { from: 'user' });
    overlaySettings(cmd, settings);
    return cmd.opts();
  };

  it('fills what the command line leaves out, paths relative to the file', () => {
    expect(command([])).toMatchObject({
      kubeconfig: '/repo/config/kube/config',
      kubeContext: 'kind-staging',
      namespace: 'falco-staging',
      release: 'falco',
      values: ['/repo/config/values/staging.yaml'],
      timeout: '10m',
    });
  });

  it('lets flags win, and a cluster named by flags replaces the file cluster whole', () => {
    const opts = command(['--namespace', 'other', '--eks-cluster', 'prod', '--timeout', '1m']);
    expect(opts).toMatchObject({ namespace: 'other', eksCluster: 'prod', timeout: '1m' });
    expect(opts.kubeContext).toBeUndefined();
    expect(opts.kubeconfig).toBeUndefined();
  });
});

describe('pipeline --env with a configuration file', () => {
  const plan = async (argv: string[]) => {
    const result = await runInMemory(['--json', 'pipeline', ...argv, '--dry-run'], { cwd: repoRoot });
    expect(result.code).toBe(0);
    return JSON.parse(result.stdout.trim().split('\n').at(-1)!).data as { strategy: string; stages: { stage: string; run: boolean; items: string[] }[] };
  };

  it("takes the environment's strategy and registry", async () => {
    const data = await plan(['--env', 'staging']);
    expect(data.strategy).toBe('s3');
    expect(data.stages.find((s) => s.stage === 'publish')!.run).toBe(true);
    expect(data.stages.find((s) => s.stage === 'push')!.items).toEqual([
      '222222222222.dkr.ecr.eu-west-1.amazonaws.com/falco:0.44.1',
      '222222222222.dkr.ecr.eu-west-1.amazonaws.com/falco-s3-loader:0.44.1',
    ]);
  });

  it('lets flags win over the environment', async () => {
    const data = await plan(['--env', 'staging', '--strategy', 'sidecar', '--registry', 'registry.internal:5000']);
    expect(data.strategy).toBe('sidecar');
    expect(data.stages.find((s) => s.stage === 'push')!.items[0]).toBe('registry.internal:5000/falco:0.44.1');
  });

  it('refuses an environment the file does not define, with exit 2', async () => {
    const result = await runInMemory(['pipeline', '--env', 'qa', '--dry-run'], { cwd: repoRoot });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('error[CONFIG_UNKNOWN_ENVIRONMENT]: falco-airgap.config.yaml:');
  });
});

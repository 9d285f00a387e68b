import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runInMemory } from '../testing/run-in-memory.ts';

// What deploy and status refuse before they contact any cluster: exit 2, a stable code, the file and line.
const repoRoot = resolve(import.meta.dirname, '../../../..');
const dir = mkdtempSync(join(tmpdir(), 'falco-airgap-deploy-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
// A kubeconfig whose server nothing listens on: a test that got past the checks would fail with exit 1, not 2.
const kubeconfig = join(dir, 'kubeconfig');
writeFileSync(
  kubeconfig,
  'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\ncurrent-context: c\n',
);

const run = (argv: string[]) => runInMemory(argv, { cwd: repoRoot, env: { HOME: dir, FALCO_AIRGAP_HELM: '/nonexistent/helm' } });

// The first run loads the deployer, client-node and the values schema.
describe('falco-airgap deploy', { timeout: 30_000 }, () => {
  it('refuses invalid values with every issue, FILE:LINE:COL and exit 2', async () => {
    const values = join(dir, 'bad-values.yaml');
    writeFileSync(values, 'pluginStrategy: sidecar\ndriver:\n  kind: ebpff\nimage:\n  registy: localhost:5000\n');
    const result = await run(['--json', 'deploy', '--kubeconfig', kubeconfig, '--values', values]);
    expect(result.code).toBe(2);
    const last = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as { error: { code: string; issues: { code: string; location?: string }[] } };
    expect(last.error.issues.map((i) => i.code).sort()).toEqual(['VALUES_NOT_ALLOWED', 'VALUES_UNKNOWN_KEY']);
    expect(last.error.issues.find((i) => i.code === 'VALUES_UNKNOWN_KEY')!.location).toBe(`${values}:5:12`);
    expect(last.error.issues.find((i) => i.code === 'VALUES_NOT_ALLOWED')!.location).toBe(`${values}:3:9`);
  });

  it('refuses a values file that does not exist', async () => {
    const result = await run(['deploy', '--kubeconfig', kubeconfig, '--values', join(dir, 'missing.yaml')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('error[VALUES_READ_FAILED]');
  });

  it.each([
    [['--eks-cluster', 'prod', '--kube-context', 'c'], 'CLI_USAGE', '--eks-cluster cannot be combined'],
    [['--timeout', 'soon'], 'CLI_USAGE', '--timeout "soon" is not a duration'],
    [['--chart', 'nowhere/at/all'], 'CLI_USAGE', 'neither a chart directory nor a chart reference'],
    [['--chart', 'oci://registry.example/charts/falco-airgap'], 'CLI_USAGE', 'its version must be pinned'],
    [['--kube-context', 'prod'], 'DEPLOY_UNKNOWN_CONTEXT', 'kube context "prod" is not in'],
  ])('exits 2 on %j', async (flags, code, message) => {
    const result = await run(['deploy', '--kubeconfig', kubeconfig, ...flags]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`error[${code}]`);
    expect(result.stderr).toContain(message);
  });

  it('names the kube context flag in hints, not the library option', async () => {
    const result = await run(['deploy', '--kubeconfig', kubeconfig, '--kube-context', 'prod']);
    expect(result.stderr).toContain('set --kube-context to one of: c');
  });

  it('exits 2 when helm cannot be found, naming the variable that points at it', async () => {
    const result = await run(['deploy', '--kubeconfig', kubeconfig]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('error[DEPLOY_HELM_NOT_FOUND]');
    expect(result.stderr).toContain('set FALCO_AIRGAP_HELM to its path');
  });
});

describe('falco-airgap status', () => {
  it('exits 2 on a context the kubeconfig does not have', async () => {
    const result = await run(['status', '--kubeconfig', kubeconfig, '--kube-context', 'prod', '--namespace', 'falco']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('error[DEPLOY_UNKNOWN_CONTEXT]');
  });
});

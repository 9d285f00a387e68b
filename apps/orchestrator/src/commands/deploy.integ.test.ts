import { testbedTools } from '@falco-airgap/test-support';
import { requireTestbed } from '@falco-airgap/testbed/env';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runInMemory } from '../testing/run-in-memory.ts';

// falco-airgap deploy and status against the testbed's API server, with the testbed's helm.
const testbed = requireTestbed('TESTBED_HELM', 'TESTBED_KUBECONFIG');
const tools = testbedTools();
const repoRoot = resolve(import.meta.dirname, '../../../..');
const home = mkdtempSync(join(tmpdir(), 'falco-airgap-deploy-'));
const run = randomBytes(3).toString('hex');
const namespace = `falco-airgap-cli-${run}`;
// The chart's ClusterRole is named after the release: a name of its own keeps parallel runs apart.
const release = `cli-${run}`;
const env = { HOME: home, PATH: process.env.PATH, FALCO_AIRGAP_HELM: testbed.TESTBED_HELM, KUBECONFIG: testbed.TESTBED_KUBECONFIG };
const values = ['--values', 'helm/falco-airgap/values-minikube.yaml', '--values', 'helm/falco-airgap/environments/dev.yaml'];

afterAll(async () => {
  for (const name of [release, `${release}-nowhere`])
    await tools.helm(['uninstall', name, '-n', namespace, '--wait', '--kubeconfig', testbed.TESTBED_KUBECONFIG!]);
  await tools.kubectl(['delete', 'namespace', namespace, '--wait=false', '--ignore-not-found']);
  rmSync(home, { recursive: true, force: true });
  tools.cleanup();
});

// Bundles of failures go to the test's own directory, never into the checkout.
const cli = (argv: string[]) =>
  runInMemory(['--json', ...argv, ...(argv[0] === 'deploy' && !argv.includes('--diagnostics-dir') ? ['--diagnostics-dir', join(home, 'diagnostics')] : [])], {
    cwd: repoRoot,
    env,
  });
const result = (stdout: string) =>
  JSON.parse(stdout.trim().split('\n').at(-1)!) as { exitCode: number; data: Record<string, unknown>; error?: { code: string } };
const events = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);

describe('falco-airgap deploy and status on the testbed', () => {
  it('deploys, then reports nothing to do on the second run', async () => {
    const first = await cli(['deploy', '--namespace', namespace, '--release', release, ...values, '--timeout', '3m']);
    expect(first.code, first.stderr).toBe(0);
    expect(result(first.stdout).data.result).toMatchObject({ outcome: 'installed', revision: 1, namespaceStatus: 'created' });
    expect(events(first.stdout)).toContainEqual(expect.objectContaining({ type: 'task', id: 'helm', status: 'done', detail: 'revision 1' }));

    const second = await cli(['deploy', '--namespace', namespace, '--release', release, ...values]);
    expect(second.code, second.stderr).toBe(0);
    expect(result(second.stdout).data.result).toMatchObject({ outcome: 'unchanged', revision: 1 });
    const history = await tools.helm(['history', release, '-n', namespace, '-o', 'json', '--kubeconfig', testbed.TESTBED_KUBECONFIG!]);
    expect((JSON.parse(history.stdout) as unknown[]).length).toBe(1);
  });

  it('prints the plan with --dry-run and changes nothing', async () => {
    const plan = await cli([
      'deploy',
      '--namespace',
      namespace,
      '--release',
      release,
      ...values,
      '--values',
      'helm/falco-airgap/environments/prod.yaml',
      '--dry-run',
    ]);
    expect(plan.code, plan.stderr).toBe(0);
    expect(result(plan.stdout).data.plan).toMatchObject({ action: 'upgrade', currentRevision: 1, issues: [] });
    const history = await tools.helm(['history', release, '-n', namespace, '-o', 'json', '--kubeconfig', testbed.TESTBED_KUBECONFIG!]);
    expect((JSON.parse(history.stdout) as unknown[]).length).toBe(1);
  });

  it('shows what is deployed', async () => {
    const status = await cli(['status', '--namespace', namespace, '--release', release]);
    expect(status.code, status.stderr).toBe(0);
    expect(result(status.stdout).data).toMatchObject({
      installed: true,
      revision: 1,
      status: 'deployed',
      plugins: { strategy: 'sidecar' },
      rollout: { done: true },
    });
    const human = await runInMemory(['status', '--namespace', namespace, '--release', release], { cwd: repoRoot, env });
    expect(human.stdout + human.stderr).toContain('falco: localhost:5000/falco:0.44.1');
  });

  it('exits 1 on a rollout that cannot complete, with the likely cause and a bundle', async () => {
    const nowhere = join(home, 'nowhere.yaml');
    writeFileSync(nowhere, 'nodeSelector:\n  falco-airgap.test/absent: "true"\n');
    const failed = await cli([
      'deploy',
      '--namespace',
      namespace,
      '--release',
      `${release}-nowhere`,
      ...values,
      '--values',
      nowhere,
      '--diagnostics-dir',
      join(home, 'diag'),
    ]);
    expect(failed.code).toBe(1);
    expect(result(failed.stdout).error?.code).toBe('DEPLOY_ROLLOUT_FAILED');
    const diagnosis = events(failed.stdout).find((e) => e.code === 'DEPLOY_DIAGNOSIS') as { message: string; location: string };
    expect(diagnosis.message).toMatch(/^likely cause: unschedulable/);
    expect(existsSync(diagnosis.location)).toBe(true);
    expect(JSON.parse(readFileSync(diagnosis.location, 'utf8'))).toMatchObject({ kind: 'DeployDiagnostics', release: `${release}-nowhere` });
    expect(failed.stderr).toContain(`diagnostics: ${diagnosis.location}`);
  });
});

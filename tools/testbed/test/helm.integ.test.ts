import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot, requireTestbed } from '../env.ts';

const run = promisify(execFile);
const env = requireTestbed('TESTBED_HELM', 'TESTBED_KUBECONFIG', 'TESTBED_KUBECTL', 'TESTBED_KUBE_VERSION');
const chart = join(repoRoot, 'tools/testbed/test/fixtures/tiny-chart');
// helm writes caches and repository config under its homes; keep them out of the developer's.
const home = mkdtempSync(join(tmpdir(), 'helm-integ-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

const helm = (...args: string[]) =>
  run(env.TESTBED_HELM!, args, {
    env: {
      ...process.env,
      KUBECONFIG: env.TESTBED_KUBECONFIG,
      HELM_CACHE_HOME: join(home, 'cache'),
      HELM_CONFIG_HOME: join(home, 'config'),
      HELM_DATA_HOME: join(home, 'data'),
    },
  });

describe('helm', () => {
  it('reports a v3 release', async () => {
    const { stdout } = await helm('version', '--short');
    expect(stdout).toMatch(/^v3\.\d+\.\d+/);
  });

  it('renders a chart for the Kubernetes version it is told, with values applied', async () => {
    const { stdout } = await helm('template', 'demo', chart, '--namespace', 'falco', '--kube-version', '1.31.2', '--set', 'greeting=hi');
    expect(stdout).toContain('name: demo-tiny');
    expect(stdout).toContain('namespace: falco');
    expect(stdout).toContain('greeting: "hi"');
    expect(stdout).toContain('kubeVersion: "v1.31.2"');
  });

  it("fails rendering for a Kubernetes version outside the chart's kubeVersion range", async () => {
    await expect(helm('template', 'demo', chart, '--kube-version', '1.27.0')).rejects.toThrow(/incompatible with Kubernetes v1\.27\.0/);
  });

  it('installs and upgrades a release on the testbed API server, which then holds the objects', async () => {
    const namespace = `helm-integ-${process.pid}`;
    const kubectl = (...args: string[]) => run(env.TESTBED_KUBECTL!, ['--kubeconfig', env.TESTBED_KUBECONFIG!, ...args]);
    try {
      await helm('install', 'demo', chart, '--namespace', namespace, '--create-namespace', '--set', 'greeting=first', '--wait', '--timeout', '60s');
      const first = JSON.parse((await kubectl('get', 'configmap', 'demo-tiny', '-n', namespace, '-o', 'json')).stdout);
      expect(first.data).toEqual({ greeting: 'first', kubeVersion: env.TESTBED_KUBE_VERSION });
      await helm('upgrade', 'demo', chart, '--namespace', namespace, '--set', 'greeting=second');
      const second = JSON.parse((await kubectl('get', 'configmap', 'demo-tiny', '-n', namespace, '-o', 'json')).stdout);
      expect(second.data.greeting).toBe('second');
      const history = JSON.parse((await helm('history', 'demo', '--namespace', namespace, '-o', 'json')).stdout);
      expect(history.map((h: { revision: number; status: string }) => `${h.revision}:${h.status}`)).toEqual(['1:superseded', '2:deployed']);
    } finally {
      await helm('uninstall', 'demo', '--namespace', namespace).catch(() => undefined);
      await kubectl('delete', 'namespace', namespace, '--wait=false').catch(() => undefined);
    }
  });
});

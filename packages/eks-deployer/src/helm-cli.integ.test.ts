import { chartPath } from '@falco-airgap/test-support';
import { requireTestbed } from '@falco-airgap/testbed/env';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { connectKubeconfig } from './cluster-connection.ts';
import { KubernetesCluster } from './cluster.ts';
import { DeployErrorCode, isDeployError } from './errors.ts';
import { HelmCli } from './helm-cli.ts';
import { describeHelmContract } from './helm.contract.ts';

const testbed = requireTestbed('TESTBED_HELM', 'TESTBED_KUBECONFIG');

/** helm from the testbed with its homes in a temporary directory, talking to the testbed's API server. */
function testbedHelm(overrides: { helmBinary?: string } = {}) {
  const home = mkdtempSync(join(tmpdir(), 'eks-deployer-helm-'));
  const connection = connectKubeconfig({ kubeconfig: [testbed.TESTBED_KUBECONFIG!] });
  const helm = new HelmCli({
    helmBinary: overrides.helmBinary ?? testbed.TESTBED_HELM!,
    kubeconfig: (validFor) => connection.helmKubeconfig(validFor),
    env: { HOME: home, HELM_CACHE_HOME: join(home, 'cache'), HELM_CONFIG_HOME: join(home, 'config'), HELM_DATA_HOME: join(home, 'data') },
    workDir: home,
  });
  return { helm, connection, home, cleanup: async () => rmSync(home, { recursive: true, force: true }) };
}

describeHelmContract('helm on the testbed', async () => {
  const { helm, connection, cleanup } = testbedHelm();
  const namespace = 'eks-deployer-helm-contract';
  await new KubernetesCluster({ kubeConfig: connection.kubeConfig }).ensureNamespace(namespace);
  return { helm, namespace, chart: chartPath, cleanup };
});

describe('HelmCli on the testbed', () => {
  it('reports a missing helm binary as DEPLOY_HELM_NOT_FOUND', async () => {
    const { helm, cleanup } = testbedHelm({ helmBinary: '/nonexistent/helm' });
    const error = await helm.status('any', 'default').catch((e: unknown) => e);
    await cleanup();
    expect(isDeployError(error, DeployErrorCode.HelmNotFound), String(error)).toBe(true);
  });

  it('reports an API server that does not answer as DEPLOY_CLUSTER_UNREACHABLE', async () => {
    const { home, cleanup } = testbedHelm();
    const kubeconfig = join(home, 'unreachable.yaml');
    // A port nothing listens on: the connection is refused at once.
    const { writeFileSync } = await import('node:fs');
    writeFileSync(
      kubeconfig,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'gone', cluster: { server: 'https://127.0.0.1:1', 'insecure-skip-tls-verify': true } }],
        users: [{ name: 'gone', user: { token: 'x' } }],
        contexts: [{ name: 'gone', context: { cluster: 'gone', user: 'gone' } }],
        'current-context': 'gone',
      }),
    );
    const helm = new HelmCli({
      helmBinary: testbed.TESTBED_HELM!,
      kubeconfig: async () => ({ files: [kubeconfig], context: undefined }),
      env: { HOME: home, HELM_CACHE_HOME: join(home, 'cache'), HELM_CONFIG_HOME: join(home, 'config'), HELM_DATA_HOME: join(home, 'data') },
      workDir: home,
    });
    const error = await helm.history('any', 'default').catch((e: unknown) => e);
    await cleanup();
    expect(isDeployError(error, DeployErrorCode.ClusterUnreachable), String(error)).toBe(true);
  });
});

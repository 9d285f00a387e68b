import { chartPath, testbedTools } from '@falco-airgap/test-support';
import { requireTestbed } from '@falco-airgap/testbed/env';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readChart } from './chart.ts';
import { connectKubeconfig } from './cluster-connection.ts';
import { KubernetesCluster } from './cluster.ts';
import { planDeploy } from './deploy-plan.ts';
import { deploy } from './deploy.ts';
import type { DiagnosticsBundle } from './diagnostics.ts';
import { DeployErrorCode, isDeployError, type DeployError } from './errors.ts';
import { HelmCli } from './helm-cli.ts';

// The testbed's real node runs a kubelet and containerd: an image the registry does not hold really fails to pull.
const testbed = requireTestbed('TESTBED_HELM', 'TESTBED_KUBECONFIG', 'TESTBED_NODE_NAME', 'TESTBED_NODE_TAINT', 'TESTBED_REGISTRY');
const tools = testbedTools();
const run = randomBytes(3).toString('hex');
const namespace = `eks-deployer-node-${run}`;
const release = `pull-${run}`;
const work = mkdtempSync(join(tmpdir(), 'eks-deployer-node-'));
const connection = connectKubeconfig({ kubeconfig: [testbed.TESTBED_KUBECONFIG!] });
const cluster = new KubernetesCluster({ kubeConfig: connection.kubeConfig });
const helm = new HelmCli({
  helmBinary: testbed.TESTBED_HELM!,
  kubeconfig: (validFor) => connection.helmKubeconfig(validFor),
  env: { HOME: work, HELM_CACHE_HOME: join(work, 'cache'), HELM_CONFIG_HOME: join(work, 'config'), HELM_DATA_HOME: join(work, 'data') },
  workDir: work,
});

afterAll(async () => {
  await helm.uninstall(release, namespace, { wait: true, timeoutSeconds: 60 }).catch(() => 'absent');
  await tools.kubectl(['delete', 'namespace', namespace, '--wait=false', '--ignore-not-found']);
  await rm(work, { recursive: true, force: true });
  tools.cleanup();
});

describe('deploy onto the real node', () => {
  it('times out on an image the registry does not hold and names the image pull as the cause', async () => {
    const absent = { registry: testbed.TESTBED_REGISTRY!, repository: `falco-airgap-it/absent-${run}`, digest: `sha256:${'e'.repeat(64)}` };
    const values = {
      pluginStrategy: 'none',
      controller: { kind: 'deployment' },
      driver: { enabled: false },
      collectors: { containerEngine: { enabled: false } },
      nodeSelector: { 'kubernetes.io/hostname': testbed.TESTBED_NODE_NAME! },
      tolerations: [{ key: testbed.TESTBED_NODE_TAINT!, operator: 'Exists' }],
      test: { enabled: false },
    };
    const plan = planDeploy({
      release,
      namespace,
      chart: await readChart(chartPath),
      layers: [{ name: 'real-node.yaml', values }],
      computed: { images: { falco: absent } },
      cluster: connection.description,
      timeoutSeconds: 45,
      history: [],
    });
    expect(plan.issues).toEqual([]);
    const error = (await deploy(plan, { cluster, helm }, { diagnosticsDir: work }).catch((e: unknown) => e)) as DeployError;
    const bundle = JSON.parse(await readFile(error.diagnosticsFile!, 'utf8')) as DiagnosticsBundle;
    expect(isDeployError(error, DeployErrorCode.HelmTimeout), String(error)).toBe(true);
    expect(error.diagnosis?.cause).toBe('image-pull');
    expect(error.diagnosis?.summary[0]).toContain(`${absent.registry}/${absent.repository}@${absent.digest}`);
    const seen = bundle.pods.flatMap((p) => p.status?.containerStatuses ?? []).map((c) => c.state?.waiting?.reason);
    expect(
      seen.some((reason) => reason === 'ErrImagePull' || reason === 'ImagePullBackOff'),
      JSON.stringify(seen),
    ).toBe(true);
    expect(bundle.events.some((e) => e.reason === 'Failed' && /pull/i.test(e.message ?? ''))).toBe(true);
  });
});

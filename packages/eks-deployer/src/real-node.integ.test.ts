import { chartPath, testbedTools } from '@falco-airgap/test-support';
import { repoRoot, requireTestbed } from '@falco-airgap/testbed/env';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readChart } from './chart.ts';
import { connectKubeconfig } from './cluster-connection.ts';
import { KubernetesCluster } from './cluster.ts';
import { planDeploy } from './deploy-plan.ts';
import { deploy } from './deploy.ts';
import type { DiagnosticsBundle } from './diagnostics.ts';
import { DeployErrorCode, isDeployError, type DeployError } from './errors.ts';
import { HelmCli } from './helm-cli.ts';

// The testbed's real node runs a kubelet and containerd: an image the registry does not hold really fails to pull,
// an init container really exits non-zero, Falco really crashes and the kubelet backs off restarting it.
const testbed = requireTestbed('TESTBED_HELM', 'TESTBED_KUBECONFIG', 'TESTBED_NODE_NAME', 'TESTBED_NODE_TAINT', 'TESTBED_REGISTRY');
const tools = testbedTools();
const run = randomBytes(3).toString('hex');
const work = mkdtempSync(join(tmpdir(), 'eks-deployer-node-'));
const connection = connectKubeconfig({ kubeconfig: [testbed.TESTBED_KUBECONFIG!] });
const cluster = new KubernetesCluster({ kubeConfig: connection.kubeConfig });
const helm = new HelmCli({
  helmBinary: testbed.TESTBED_HELM!,
  kubeconfig: (validFor) => connection.helmKubeconfig(validFor),
  env: { HOME: work, HELM_CACHE_HOME: join(work, 'cache'), HELM_CONFIG_HOME: join(work, 'config'), HELM_DATA_HOME: join(work, 'data') },
  workDir: work,
});

// Each failure in a namespace of its own, removed afterwards.
const deployed: { release: string; namespace: string }[] = [];
let standin: { registry: string; repository: string; tag: string };

beforeAll(async () => {
  // The fixtures' Falco stand-in, pushed to the testbed registry: it exits 1 on a rules file it cannot open, as Falco does.
  const { stdout } = await promisify(execFile)(process.execPath, [join(repoRoot, 'tools/fixtures/images/build.ts'), '--push'], { maxBuffer: 16 << 20 });
  const [, registry, repository, tag] = /^pushed ([^/\s]+)\/(\S+\/falco-standin):(\S+)$/m.exec(stdout)!;
  standin = { registry: registry!, repository: repository!, tag: tag! };
}, 600_000);

afterAll(async () => {
  for (const { release, namespace } of deployed) {
    await helm.uninstall(release, namespace, { wait: true, timeoutSeconds: 60 }).catch(() => 'absent');
    await tools.kubectl(['delete', 'namespace', namespace, '--wait=false', '--ignore-not-found']);
  }
  await rm(work, { recursive: true, force: true });
  tools.cleanup();
});

/** Deploys values that fail on the real node; returns the deployer's error and the diagnostics bundle it wrote. */
async function failingDeploy(
  name: string,
  values: Record<string, unknown>,
  computed: Parameters<typeof planDeploy>[0]['computed'],
  timeoutSeconds: number,
): Promise<{ error: DeployError; bundle: DiagnosticsBundle }> {
  const target = { release: `${name}-${run}`, namespace: `eks-deployer-node-${name}-${run}` };
  deployed.push(target);
  const plan = planDeploy({
    ...target,
    chart: await readChart(chartPath),
    layers: [
      {
        name: 'real-node.yaml',
        values: {
          pluginStrategy: 'none',
          controller: { kind: 'deployment' },
          driver: { enabled: false },
          collectors: { containerEngine: { enabled: false } },
          nodeSelector: { 'kubernetes.io/hostname': testbed.TESTBED_NODE_NAME! },
          tolerations: [{ key: testbed.TESTBED_NODE_TAINT!, operator: 'Exists' }],
          test: { enabled: false },
        },
      },
      { name: `${name}.yaml`, values },
    ],
    computed,
    cluster: connection.description,
    timeoutSeconds,
    history: [],
  });
  expect(plan.issues).toEqual([]);
  const error = (await deploy(plan, { cluster, helm }, { diagnosticsDir: join(work, name) }).catch((e: unknown) => e)) as DeployError;
  expect(isDeployError(error, DeployErrorCode.HelmTimeout), String(error)).toBe(true);
  return { error, bundle: JSON.parse(await readFile(error.diagnosticsFile!, 'utf8')) as DiagnosticsBundle };
}

// Concurrent: each one mostly waits for helm's timeout.
describe.concurrent('deploy onto the real node', () => {
  it('times out on an image the registry does not hold and names the image pull as the cause', async () => {
    const absent = { registry: testbed.TESTBED_REGISTRY!, repository: `falco-airgap-it/absent-${run}`, digest: `sha256:${'e'.repeat(64)}` };
    const { error, bundle } = await failingDeploy('pull', {}, { images: { falco: absent } }, 45);
    expect(error.diagnosis?.cause).toBe('image-pull');
    expect(error.diagnosis?.summary[0]).toContain(`${absent.registry}/${absent.repository}@${absent.digest}`);
    const seen = bundle.pods.flatMap((p) => p.status?.containerStatuses ?? []).map((c) => c.state?.waiting?.reason);
    expect(
      seen.some((reason) => reason === 'ErrImagePull' || reason === 'ImagePullBackOff'),
      JSON.stringify(seen),
    ).toBe(true);
    expect(bundle.events.some((e) => e.reason === 'Failed' && /pull/i.test(e.message ?? ''))).toBe(true);
  });

  it('names the failed init container, with its exit code and its last log line', async () => {
    const reason = 'cannot write /mnt/plugins: read-only file system';
    const values = {
      falco: { webserver: { enabled: false } },
      extra: {
        initContainers: [
          { name: 'prepare', image: `${standin.registry}/${standin.repository}:${standin.tag}`, command: ['sh', '-c', `echo '${reason}'; exit 3`] },
        ],
      },
    };
    const { error, bundle } = await failingDeploy('init', values, { images: { falco: standin } }, 40);
    expect(error.diagnosis?.cause, error.diagnosis?.summary.join('\n')).toBe('init-container-failed');
    expect(error.diagnosis?.findings[0]).toMatchObject({
      container: 'prepare',
      message: expect.stringMatching(/^init container prepare exit code 3 \(Error\), \d+ restarts?/),
    });
    expect(error.diagnosis?.summary).toContain(`last log line of prepare: ${reason}`);
    expect(bundle.logs).toContainEqual(expect.objectContaining({ container: 'prepare', lines: expect.arrayContaining([reason]) }));
    const init = bundle.pods.flatMap((p) => p.status?.initContainerStatuses ?? []).find((c) => c.name === 'prepare');
    expect(init?.lastState?.terminated?.exitCode ?? init?.state?.terminated?.exitCode).toBe(3);
    // Falco never started: the pod stays in its init phase.
    expect(bundle.pods.flatMap((p) => p.status?.containerStatuses ?? []).map((c) => c.state?.waiting?.reason)).toContain('PodInitializing');
  });

  it('names the crash loop of a Falco that exits on a missing rules file, with its log line', async () => {
    // The webserver stays on, as by default: its probes keep a pod that runs for a moment between crashes from counting as ready.
    const values = { falco: { rules_files: ['/etc/falco/missing_rules.yaml'] } };
    const { error, bundle } = await failingDeploy('crash', values, { images: { falco: standin } }, 40);
    expect(error.diagnosis?.cause, error.diagnosis?.summary.join('\n')).toBe('crash-loop');
    expect(error.diagnosis?.findings[0]).toMatchObject({
      container: 'falco',
      message: expect.stringMatching(/^container falco exit code 1 \(Error\), \d+ restarts?/),
    });
    const logLine = 'falco-standin: error: could not open rules file /etc/falco/missing_rules.yaml: no such file or directory';
    // The bundle keeps the log of every failed run; which run the summary quotes depends on when the kubelet restarted it.
    expect(
      bundle.logs.some((log) => log.container === 'falco' && log.lines?.includes(logLine)),
      JSON.stringify(bundle.logs),
    ).toBe(true);
    const falco = bundle.pods.flatMap((p) => p.status?.containerStatuses ?? []).find((c) => c.name === 'falco');
    expect(falco?.restartCount).toBeGreaterThan(0);
    expect(bundle.events.some((e) => e.reason === 'BackOff' && /restarting failed container/i.test(e.message ?? ''))).toBe(true);
  });
});

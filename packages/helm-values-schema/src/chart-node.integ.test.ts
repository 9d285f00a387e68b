import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { containerOf, type PodSpec } from './test-support/manifests.ts';
import { chartPath, testbedTools } from '@falco-airgap/test-support';
import { holdTestbedLock, repoRoot, requireTestbed } from '@falco-airgap/testbed/env';

// The chart on the testbed's real node (containerd + kubelet): its pod runs the Falco stand-in, which reads
// the rendered falco.yaml, loads the container plugin with the chart's init_config and the mounted rules.

const run = promisify(execFile);
const env = requireTestbed('TESTBED_REGISTRY', 'TESTBED_NODE_NAME', 'TESTBED_NODE_TAINT', 'TESTBED_NODE_CONTAINERD');
const tools = testbedTools();
const release = 'it-node';
const namespace = 'falco-airgap-it-node';
const ns = ['--namespace', namespace];
const tmp = mkdtempSync(join(tmpdir(), 'chart-node-'));

interface Pod {
  metadata: { name: string };
  spec: PodSpec & { nodeName: string };
  status: {
    phase: string;
    conditions?: { type: string; status: string }[];
    containerStatuses?: { name: string; restartCount: number; state: { running?: object } }[];
  };
}

const livePods = async () => (await tools.kubectlJson<{ items: Pod[] }>(['get', 'pods', ...ns, '-l', `app.kubernetes.io/instance=${release}`])).items;
const logs = async (pod: string) => (await tools.kubectl(['logs', pod, ...ns, '-c', 'falco'])).stdout;
async function exec(pod: string, script: string): Promise<string> {
  const result = await tools.kubectl(['exec', pod, ...ns, '-c', 'falco', '--', 'sh', '-c', script]);
  if (result.code !== 0) throw new Error(`exec ${script} in ${pod} failed: ${result.stderr}`);
  return result.stdout.trim();
}
const capEff = (status: string) => /^CapEff:\s+(\S+)$/m.exec(status)![1];

let falcoImage: { registry: string; repository: string; tag: string };
let pod: Pod;
let releaseLock: () => void;

beforeAll(async () => {
  // Keeps the node up meanwhile: the testbed's own node test takes it down and up again.
  releaseLock = await holdTestbedLock('shared', env);
  // The fixtures' own build script: stand-in images on the testbed engine, pushed to the testbed registry.
  const { stdout } = await run(process.execPath, [join(repoRoot, 'tools/fixtures/images/build.ts'), '--push'], { maxBuffer: 16 << 20 });
  const ref = /^pushed (\S+\/falco-standin:\S+)$/m.exec(stdout)![1]!;
  const [, registry, repository, tag] = /^([^/]+)\/(.+):([^:]+)$/.exec(ref)!;
  falcoImage = { registry: registry!, repository: repository!, tag: tag! };
  await tools.ensureNamespace(namespace);
  // The namespace is reused between runs: start from no release.
  await tools.helm(['uninstall', release, ...ns, '--wait', '--ignore-not-found']);
});

afterAll(async () => {
  await tools.helm(['uninstall', release, ...ns, '--wait', '--ignore-not-found']);
  releaseLock?.();
  tools.cleanup();
  rmSync(tmp, { recursive: true, force: true });
});

describe('the chart on the real node', () => {
  it('runs Falco on the real node only, started from the configuration the chart rendered', async () => {
    const values = join(tmp, 'values.yaml');
    writeFileSync(
      values,
      stringify({
        pluginStrategy: 'none',
        image: falcoImage,
        // No webserver, so no probes, Service or helm test: chart-node-helm-test.integ.test.ts covers those.
        falco: { webserver: { enabled: false }, rules_files: ['/etc/falco/falco_rules.yaml'] },
        service: { enabled: false },
        test: { enabled: false },
        nodeSelector: { 'kubernetes.io/hostname': env.TESTBED_NODE_NAME },
        tolerations: [{ key: env.TESTBED_NODE_TAINT, operator: 'Exists', effect: 'NoSchedule' }],
        collectors: {
          containerEngine: {
            engines: { containerd: { sockets: [env.TESTBED_NODE_CONTAINERD] }, cri: { sockets: [env.TESTBED_NODE_CONTAINERD] }, podman: { enabled: false } },
          },
        },
        customRules: { '50-node-test.yaml': '- list: node_test_binaries\n  items: [sh]\n' },
      }),
    );
    const result = await tools.helm(['install', release, chartPath, ...ns, '-f', values, '--wait', '--timeout', '3m']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);

    // helm's --wait accepts a DaemonSet with maxUnavailable pods down; the test wants the pod really running.
    const deadline = Date.now() + 90_000;
    let pods = await livePods();
    while (
      Date.now() < deadline &&
      !(pods.length === 1 && pods[0]!.status.containerStatuses?.[0]?.state.running && (await logs(pods[0]!.metadata.name)).includes('running;'))
    ) {
      await sleep(500);
      pods = await livePods();
    }
    expect(pods.map((p) => p.spec.nodeName)).toEqual([env.TESTBED_NODE_NAME]);
    pod = pods[0]!;
    expect(pod.status.containerStatuses).toEqual([expect.objectContaining({ name: 'falco', restartCount: 0, state: { running: expect.anything() } })]);
    expect(pod.status.conditions).toContainEqual(expect.objectContaining({ type: 'Ready', status: 'True' }));

    const lines = (await logs(pod.metadata.name)).split('\n');
    // A path on the node: the container plugin prefixes HOST_ROOT (/host) itself.
    const socket = env.TESTBED_NODE_CONTAINERD;
    expect(lines).toContain('falco-standin: config /etc/falco/falco.yaml');
    expect(lines.find((l) => l.startsWith('falco-standin: loaded plugin container '))).toContain('from /usr/share/falco/plugins/libcontainer.so');
    const initConfig = JSON.parse(
      lines.find((l) => l.startsWith('falco-standin: initialised plugin container with init_config '))!.replace(/^.*init_config /, ''),
    ) as {
      engines: Record<string, { enabled: boolean; sockets?: string[] }>;
    };
    expect(initConfig.engines.containerd).toEqual({ enabled: true, sockets: [socket] });
    expect(lines).toContain('falco-standin: rules file /etc/falco/falco_rules.yaml');
    expect(lines).toContain('falco-standin: rules file /etc/falco/rules.d/50-node-test.yaml');
    expect(lines).toContain('falco-standin: running; stop with SIGTERM');
  });

  it("mounts what the chart declares: the host's /proc and /etc, the runtime socket, and /sys/kernel with BTF", async () => {
    const mounts = containerOf(pod.spec, 'falco').volumeMounts!.map((m) => m.mountPath);
    expect(mounts).toEqual(expect.arrayContaining(['/etc/falco/falco.yaml', '/etc/falco/rules.d', '/host/proc', '/host/etc']));
    const missing = await exec(pod.metadata.name, mounts.map((m) => `test -e '${m}' || echo '${m}'`).join('; '));
    expect(missing).toBe('');

    expect(await exec(pod.metadata.name, 'cat /host/proc/sys/kernel/random/boot_id')).toBe(readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim());
    expect(await exec(pod.metadata.name, 'cat /host/etc/passwd')).toBe(readFileSync('/etc/passwd', 'utf8').trim());
    expect(await exec(pod.metadata.name, `test -S '/host${env.TESTBED_NODE_CONTAINERD}' && echo socket`)).toBe('socket');
    const btf = existsSync('/sys/kernel/btf/vmlinux') ? 'btf' : 'none';
    expect(await exec(pod.metadata.name, 'test -s /sys/kernel/btf/vmlinux && echo btf || echo none')).toBe(btf);
  });

  it('runs Falco privileged by default: every capability the host grants', async () => {
    expect(capEff(await exec(pod.metadata.name, 'cat /proc/1/status'))).toBe(capEff(readFileSync('/proc/self/status', 'utf8')));
  });
});

import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { chartPath, testbedTools } from '@falco-airgap/test-support';
import { holdTestbedLock, repoRoot, requireTestbed } from '@falco-airgap/testbed/env';
import { containerOf, type PodSpec } from './test-support/manifests.ts';

// Least-privileged mode (modern_ebpf) on the testbed's real node: the pod the API server admitted carries exactly
// the security context the chart renders, and the runtime grants exactly its capabilities, or refuses the one
// the machine itself lacks (this VM withholds CAP_SYS_RESOURCE even from root, so runc cannot grant it).

const run = promisify(execFile);
const env = requireTestbed('TESTBED_REGISTRY', 'TESTBED_NODE_NAME', 'TESTBED_NODE_TAINT', 'TESTBED_NODE_CONTAINERD');
const tools = testbedTools();
const release = 'it-node-lp';
const namespace = 'falco-airgap-it-node-lp';
const ns = ['--namespace', namespace];
const tmp = mkdtempSync(join(tmpdir(), 'chart-node-lp-'));

const CAPABILITY_BITS: Record<string, number> = { SYS_PTRACE: 19, SYS_RESOURCE: 24, PERFMON: 38, BPF: 39 };
const LEAST_PRIVILEGED = ['BPF', 'PERFMON', 'SYS_RESOURCE', 'SYS_PTRACE'];
const capabilitySet = (names: string[]) => names.reduce((set, name) => set | (1n << BigInt(CAPABILITY_BITS[name]!)), 0n);
const statusField = (status: string, field: string) => new RegExp(`^${field}:\\s+(\\S+)$`, 'm').exec(status)![1]!;
// What the runtime can hand out at most: the bounding set of the machine's own root.
const hostBounding = BigInt(`0x${statusField(readFileSync('/proc/self/status', 'utf8'), 'CapBnd')}`);

interface ContainerStatus {
  name: string;
  state: { running?: object; waiting?: { reason?: string; message?: string } };
  lastState: { terminated?: { message?: string } };
}
interface Pod {
  metadata: { name: string; generation?: number };
  spec: PodSpec & { nodeName: string };
  status: { containerStatuses?: ContainerStatus[] };
}
interface Event {
  reason: string;
  message: string;
  involvedObject: { name: string };
}

const livePods = async () => (await tools.kubectlJson<{ items: Pod[] }>(['get', 'pods', ...ns, '-l', `app.kubernetes.io/instance=${release}`])).items;
async function waitForPod(what: string, ok: (pod: Pod) => Promise<boolean> | boolean): Promise<Pod> {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    const pods = await livePods();
    if (pods.length === 1 && (await ok(pods[0]!))) return pods[0]!;
    await sleep(500);
  }
  throw new Error(`timed out waiting for ${what}: ${JSON.stringify((await livePods()).map((p) => p.status))}`);
}
async function exec(pod: string, script: string): Promise<string> {
  const result = await tools.kubectl(['exec', pod, ...ns, '-c', 'falco', '--', 'sh', '-c', script]);
  if (result.code !== 0) throw new Error(`exec ${script} in ${pod} failed: ${result.stderr}`);
  return result.stdout.trim();
}

async function install(extra: Record<string, unknown>): Promise<void> {
  const values = join(tmp, 'values.yaml');
  writeFileSync(
    values,
    stringify({
      pluginStrategy: 'none',
      image: falcoImage,
      driver: { kind: 'modern_ebpf', modernEbpf: { leastPrivileged: true } },
      // No webserver, so no probes, Service or helm test: chart-node-helm-test.integ.test.ts covers those.
      falco: { webserver: { enabled: false }, rules_files: ['/etc/falco/falco_rules.yaml'] },
      service: { enabled: false },
      test: { enabled: false },
      nodeSelector: { 'kubernetes.io/hostname': env.TESTBED_NODE_NAME },
      tolerations: [{ key: env.TESTBED_NODE_TAINT, operator: 'Exists', effect: 'NoSchedule' }],
      collectors: {
        containerEngine: { engines: { containerd: { enabled: false }, podman: { enabled: false }, cri: { sockets: [env.TESTBED_NODE_CONTAINERD] } } },
      },
      ...extra,
    }),
  );
  // No --wait: where the node cannot grant the capabilities the pod never becomes ready.
  const result = await tools.helm(['upgrade', '--install', release, chartPath, ...ns, '-f', values]);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
}

let falcoImage: { registry: string; repository: string; tag: string };
let releaseLock: () => void;

beforeAll(async () => {
  releaseLock = await holdTestbedLock('shared', env);
  const { stdout } = await run(process.execPath, [join(repoRoot, 'tools/fixtures/images/build.ts'), '--push'], { maxBuffer: 16 << 20 });
  const [, registry, repository, tag] = /^pushed ([^/\s]+)\/(\S+\/falco-standin):(\S+)$/m.exec(stdout)!;
  falcoImage = { registry: registry!, repository: repository!, tag: tag! };
  await tools.ensureNamespace(namespace);
}, 600_000);

afterAll(async () => {
  await tools.helm(['uninstall', release, ...ns, '--wait', '--ignore-not-found']);
  await tools.kubectl(['delete', 'namespace', namespace, '--ignore-not-found', '--wait=false']);
  releaseLock?.();
  tools.cleanup();
  rmSync(tmp, { recursive: true, force: true });
});

describe('least-privileged mode on the real node', () => {
  it('is admitted with exactly the rendered security context; the runtime grants its capabilities or names the one the machine lacks', async () => {
    await install({});
    const pod = await waitForPod('the least-privileged pod to start or fail', (p) => {
      const state = p.status.containerStatuses?.[0]?.state;
      return Boolean(state?.running || state?.waiting?.reason === 'CrashLoopBackOff' || state?.waiting?.reason === 'RunContainerError');
    });
    expect(pod.spec.nodeName).toBe(env.TESTBED_NODE_NAME);
    expect(containerOf(pod.spec, 'falco').securityContext).toEqual({
      privileged: false,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'], add: LEAST_PRIVILEGED },
      seccompProfile: { type: 'Unconfined' },
      appArmorProfile: { type: 'Unconfined' },
    });

    const missing = LEAST_PRIVILEGED.filter((name) => !(hostBounding & capabilitySet([name])));
    if (missing.length === 0) {
      const status = await exec(pod.metadata.name, 'cat /proc/1/status');
      expect(BigInt(`0x${statusField(status, 'CapEff')}`)).toBe(capabilitySet(LEAST_PRIVILEGED));
      return;
    }
    // runc drops what the container may not have, then raises what it adds: a capability outside its own bounding set fails.
    expect(missing).toEqual(['SYS_RESOURCE']);
    const events = await tools.kubectlJson<{ items: Event[] }>(['get', 'events', ...ns, '--field-selector', `involvedObject.name=${pod.metadata.name}`]);
    const failed = events.items.filter((e) => e.reason === 'Failed').map((e) => e.message);
    expect(
      failed.some((m) => m.includes('runc create failed: unable to start container process: unable to apply caps: operation not permitted')),
      failed.join('\n'),
    ).toBe(true);
  });

  it('runs with exactly the other capabilities of the mode, no new privileges and no seccomp filter, when the withheld one is left out', async () => {
    const granted = LEAST_PRIVILEGED.filter((name) => hostBounding & capabilitySet([name]));
    await install({
      containerSecurityContext: {
        privileged: false,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'], add: granted },
        seccompProfile: { type: 'Unconfined' },
        appArmorProfile: { type: 'Unconfined' },
      },
    });
    const pod = await waitForPod('the pod with the granted capabilities to run', (p) => Boolean(p.status.containerStatuses?.[0]?.state.running));
    const status = await exec(pod.metadata.name, 'cat /proc/1/status');
    expect(BigInt(`0x${statusField(status, 'CapEff')}`)).toBe(capabilitySet(granted));
    expect(BigInt(`0x${statusField(status, 'CapBnd')}`)).toBe(capabilitySet(granted));
    expect(statusField(status, 'NoNewPrivs')).toBe('1');
    expect(statusField(status, 'Seccomp')).toBe('0');
    // The mode's mounts: /sys/kernel for BTF and tracefs, the host's /proc; not /dev or /sys/module, which kmod needs.
    const mounts = (await exec(pod.metadata.name, 'cat /proc/self/mountinfo')).split('\n').map((line) => line.split(' ')[4]);
    expect(mounts).toEqual(expect.arrayContaining(['/sys/kernel', '/host/proc']));
    expect(mounts.filter((m) => m === '/host/dev' || m === '/sys/module')).toEqual([]);
    expect(await exec(pod.metadata.name, 'test -d /sys/kernel/tracing && echo tracing')).toBe('tracing');
  });
});

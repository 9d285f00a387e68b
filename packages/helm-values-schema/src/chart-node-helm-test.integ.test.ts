import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { chartPath, testbedTools } from '@falco-airgap/test-support';
import { holdTestbedLock, repoRoot, requireTestbed } from '@falco-airgap/testbed/env';
import type { PodSpec } from './test-support/manifests.ts';

// `helm test` on the testbed's real node: the chart's test pod asks the Falco stand-in's health endpoint through the
// webserver Service (kube-proxy on the node, no cluster DNS), passes while Falco serves it and fails, within
// test.timeoutSeconds, once no Falco pod is left behind the Service.

const run = promisify(execFile);
const env = requireTestbed('TESTBED_REGISTRY', 'TESTBED_NODE_NAME', 'TESTBED_NODE_TAINT', 'TESTBED_NODE_CONTAINERD');
const tools = testbedTools();
const release = 'it-helm-test';
const fullname = `${release}-falco-airgap`;
const namespace = `falco-airgap-it-helm-test-${randomBytes(3).toString('hex')}`;
const ns = ['--namespace', namespace];
const tmp = mkdtempSync(join(tmpdir(), 'chart-node-helm-test-'));
const TEST_TIMEOUT_SECONDS = 10;

interface ContainerStatus {
  name: string;
  ready?: boolean;
  state: { running?: object; terminated?: { exitCode: number } };
}
interface Pod {
  metadata: { name: string };
  spec: PodSpec & { nodeName?: string };
  status: { phase: string; containerStatuses?: ContainerStatus[] };
}
interface EndpointSlice {
  endpoints?: { addresses: string[] }[];
}

const falcoPods = async () =>
  (await tools.kubectlJson<{ items: Pod[] }>(['get', 'pods', ...ns, '-l', `app.kubernetes.io/instance=${release},app.kubernetes.io/component!=test`])).items;
const serviceEndpoints = async () =>
  (await tools.kubectlJson<{ items: EndpointSlice[] }>(['get', 'endpointslices', ...ns, '-l', `kubernetes.io/service-name=${fullname}`])).items.flatMap(
    (slice) => slice.endpoints ?? [],
  );

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, state?: () => Promise<string>): Promise<T> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await sleep(500);
  }
  throw new Error(`timed out waiting for ${what}${state ? `: ${await state()}` : ''}`);
}

/** The real `helm test`, timed; helm's own timeout bounds it, the process timeout only guards the test run. */
async function helmTest(): Promise<{ code: number; output: string; seconds: number }> {
  const started = Date.now();
  const result = await tools.helm(['test', release, ...ns, '--logs', '--timeout', '2m'], { timeoutMs: 180_000 });
  return { code: result.code, output: result.stdout + result.stderr, seconds: (Date.now() - started) / 1000 };
}

/** The digest the registry holds under the tag: the node keeps an older image of the same tag until told otherwise. */
async function manifestDigest(registry: string, repository: string, tag: string): Promise<string> {
  const response = await fetch(`http://${registry}/v2/${repository}/manifests/${tag}`, {
    method: 'HEAD',
    headers: { accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' },
    signal: AbortSignal.timeout(10_000),
  });
  const digest = response.headers.get('docker-content-digest');
  if (!response.ok || !digest) throw new Error(`registry ${registry} has no manifest for ${repository}:${tag} (HTTP ${response.status})`);
  return digest;
}

let releaseLock: () => void;

beforeAll(async () => {
  // Keeps the node up meanwhile: the testbed's own node test takes it down and up again.
  releaseLock = await holdTestbedLock('shared', env);
  const { stdout } = await run(process.execPath, [join(repoRoot, 'tools/fixtures/images/build.ts'), '--push'], { maxBuffer: 16 << 20 });
  const [, registry, repository, tag] = /^pushed ([^/\s]+)\/(\S+\/falco-standin):(\S+)$/m.exec(stdout)!;
  const digest = await manifestDigest(registry!, repository!, tag!);
  await tools.ensureNamespace(namespace);
  const values = join(tmp, 'values.yaml');
  writeFileSync(
    values,
    stringify({
      pluginStrategy: 'none',
      image: { registry, repository, digest },
      // The webserver, its Service and the test stay on, as by default.
      falco: { rules_files: ['/etc/falco/falco_rules.yaml'] },
      test: { timeoutSeconds: TEST_TIMEOUT_SECONDS },
      nodeSelector: { 'kubernetes.io/hostname': env.TESTBED_NODE_NAME },
      tolerations: [{ key: env.TESTBED_NODE_TAINT, operator: 'Exists', effect: 'NoSchedule' }],
      collectors: {
        containerEngine: {
          engines: { containerd: { sockets: [env.TESTBED_NODE_CONTAINERD] }, cri: { sockets: [env.TESTBED_NODE_CONTAINERD] }, podman: { enabled: false } },
        },
      },
    }),
  );
  const install = await tools.helm(['install', release, chartPath, ...ns, '-f', values, '--wait', '--timeout', '3m']);
  expect(install.stderr).toBe('');
  expect(install.code).toBe(0);
  // helm's --wait accepts a DaemonSet with maxUnavailable pods down; the test wants Falco ready behind the Service.
  await waitFor(
    'Falco ready on the real node behind the Service',
    async () => {
      const pods = await falcoPods();
      const ready = pods.length === 1 && pods[0]!.status.containerStatuses?.every((c) => c.ready);
      return ready && (await serviceEndpoints()).length === 1 ? pods : undefined;
    },
    async () => JSON.stringify((await falcoPods()).map((p) => p.status)),
  );
}, 600_000);

afterAll(async () => {
  await tools.helm(['uninstall', release, ...ns, '--wait', '--ignore-not-found']);
  // Test pods are hooks: uninstall leaves the last one behind, the namespace takes it along.
  await tools.kubectl(['delete', 'namespace', namespace, '--wait=false', '--ignore-not-found']);
  releaseLock?.();
  tools.cleanup();
  rmSync(tmp, { recursive: true, force: true });
});

describe('helm test on the real node', () => {
  it("passes while Falco serves its health endpoint, and prints the endpoint's answer", async () => {
    const falco = (await falcoPods())[0]!;
    expect(falco.spec.nodeName).toBe(env.TESTBED_NODE_NAME);

    const result = await helmTest();
    expect(result.output).toMatch(new RegExp(`TEST SUITE: +${fullname}-test-health\\n(.*\\n)*?Phase: +Succeeded`));
    expect(result.output).toContain(`POD LOGS: ${fullname}-test-health\n{"status": "ok"}`);
    expect(result.code, result.output).toBe(0);
    const testPod = await tools.kubectlJson<Pod>(['get', 'pod', `${fullname}-test-health`, ...ns]);
    expect(testPod.spec.nodeName).toBe(env.TESTBED_NODE_NAME);
    expect(testPod.status.containerStatuses?.[0]?.state.terminated?.exitCode).toBe(0);
  });

  it('fails within test.timeoutSeconds when no Falco pod serves the endpoint', async () => {
    // Falco's nodes are gone from its nodeSelector: the DaemonSet removes its pod and the Service has no endpoint left.
    const patch = { spec: { template: { spec: { nodeSelector: { 'kubernetes.io/hostname': `no-such-node-${randomBytes(3).toString('hex')}` } } } } };
    const patched = await tools.kubectl(['patch', 'daemonset', fullname, ...ns, '--type', 'merge', '--patch', JSON.stringify(patch)]);
    expect(patched.code, patched.stderr).toBe(0);
    await waitFor('the Falco pod to go', async () => ((await falcoPods()).length === 0 && (await serviceEndpoints()).length === 0 ? true : undefined));

    const result = await helmTest();
    expect(result.code, result.output).not.toBe(0);
    expect(result.output).toMatch(new RegExp(`TEST SUITE: +${fullname}-test-health\\n(.*\\n)*?Phase: +Failed`));
    // curl's retries end at test.timeoutSeconds; the rest is starting the pod and helm's polling.
    expect(result.seconds).toBeLessThan(TEST_TIMEOUT_SECONDS + 50);

    // The test pod stays for inspection: it ran on the real node, and curl could not connect (exit code 7).
    const testPod = await tools.kubectlJson<Pod>(['get', 'pod', `${fullname}-test-health`, ...ns]);
    expect(testPod.spec.nodeName).toBe(env.TESTBED_NODE_NAME);
    expect(testPod.status.phase).toBe('Failed');
    expect(testPod.status.containerStatuses?.[0]?.state.terminated?.exitCode).toBe(7);
    const logs = await tools.kubectl(['logs', `${fullname}-test-health`, ...ns]);
    expect(logs.stdout + logs.stderr).toMatch(/Failed to connect to .* port 8765/);
  });
});

import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { compilePlugin } from '@falco-airgap/fixtures';
import { chartPath, testbedTools, writeFixtureLock, type FixtureLock } from '@falco-airgap/test-support';
import { holdTestbedLock, repoRoot, requireTestbed } from '@falco-airgap/testbed/env';
import { containerOf, type PodSpec } from './test-support/manifests.ts';

// The chart's sidecar pod on the testbed's real node (containerd + kubelet): the plugin-loader image that
// `falco-airgap build` makes from a lock delivers the container plugin and the locked rules files, and the
// Falco stand-in reports what it was given; inside the running pod the test checks that every path Falco
// would open (runtime socket under HOST_ROOT, tracefs, plugins, rules) is there, and the env and args.

const run = promisify(execFile);
const env = requireTestbed('TESTBED_REGISTRY', 'TESTBED_DOCKER_HOST', 'TESTBED_NODE_NAME', 'TESTBED_NODE_TAINT', 'TESTBED_NODE_CONTAINERD');
const tools = testbedTools();
const release = 'it-node-sidecar';
const namespace = 'falco-airgap-it-node-sidecar';
const ns = ['--namespace', namespace];
const tmp = mkdtempSync(join(tmpdir(), 'chart-node-sidecar-'));
const RULES = '- list: node_sidecar_binaries\n  items: [sh]\n';

interface Pod {
  metadata: { name: string };
  spec: PodSpec & { nodeName: string };
  status: { phase: string; containerStatuses?: { name: string; restartCount: number; state: { running?: object } }[] };
}

const livePods = async () => (await tools.kubectlJson<{ items: Pod[] }>(['get', 'pods', ...ns, '-l', `app.kubernetes.io/instance=${release}`])).items;
const logs = async (pod: string, container: string) => (await tools.kubectl(['logs', pod, ...ns, '-c', container])).stdout;
async function exec(pod: string, script: string): Promise<string> {
  const result = await tools.kubectl(['exec', pod, ...ns, '-c', 'falco', '--', 'sh', '-c', script]);
  if (result.code !== 0) throw new Error(`exec ${script} in ${pod} failed: ${result.stderr}`);
  return result.stdout.trim();
}
const imageValues = (ref: string) => {
  const [, registry, repository, tag] = /^([^/]+)\/(.+):([^:]+)$/.exec(ref)!;
  return { registry: registry!, repository: repository!, tag: tag! };
};

let lock: FixtureLock;
let falcoImage: string;
let pluginLoaderImage: string;
let pod: Pod;
let falcoLog: string[];
let releaseLock: () => void;

beforeAll(async () => {
  releaseLock = await holdTestbedLock('shared', env);
  // The Falco stand-in (with its upstream plugin loader) and the AlmaLinux stand-in, pushed to the testbed registry.
  const standins = await run(process.execPath, [join(repoRoot, 'tools/fixtures/images/build.ts'), '--push'], { maxBuffer: 16 << 20 });
  falcoImage = /^pushed (\S+\/falco-standin:\S+)$/m.exec(standins.stdout)![1]!;

  // A lock holding the container plugin and one rules file, built into a plugin-loader image by the CLI.
  const container = compilePlugin({ name: 'container', version: '0.7.1', apiVersion: '3.11.0', platforms: ['linux/amd64'] });
  lock = await writeFixtureLock(tmp, {
    falcoVersion: '0.44.1',
    plugins: [{ name: 'container', version: '0.7.1', platforms: ['linux/amd64'], bytes: () => Buffer.from(container[0]!.library) }],
    rulesfiles: [{ name: 'falco-rules', version: '5.1.0', files: [{ file: 'falco_rules.yaml', text: RULES }] }],
  });
  const registry = `${env.TESTBED_REGISTRY}/falco-airgap-it-node`;
  const cli = join(repoRoot, 'apps/orchestrator/bin/falco-airgap.js');
  const built = await run(
    process.execPath,
    [
      cli,
      '--json',
      'build',
      '--images',
      'plugin-loader',
      '--registry',
      registry,
      '--push',
      '--plain-http',
      env.TESTBED_REGISTRY!,
      '--lock',
      lock.lockPath,
      '--base-image',
      'falco-airgap-fixtures/almalinux-standin:9',
      '--docker-dir',
      join(repoRoot, 'docker'),
    ],
    { cwd: tmp, env: { ...process.env, DOCKER_HOST: env.TESTBED_DOCKER_HOST, DOCKER_CONFIG: join(tmp, 'docker-config') }, maxBuffer: 64 << 20 },
  );
  const result = JSON.parse(built.stdout.trim().split('\n').at(-1)!) as { data: { images: { image: string; references: string[] }[] } };
  pluginLoaderImage = result.data.images.find((i) => i.image === 'plugin-loader')!.references.find((r) => r.endsWith(':0.44.1'))!;

  await tools.ensureNamespace(namespace);
  await tools.helm(['uninstall', release, ...ns, '--wait', '--ignore-not-found']);
}, 600_000);

afterAll(async () => {
  await tools.helm(['uninstall', release, ...ns, '--wait', '--ignore-not-found']);
  releaseLock?.();
  tools.cleanup();
  rmSync(tmp, { recursive: true, force: true });
});

describe('the sidecar pod on the real node', () => {
  it('starts Falco with the plugins and rules files the plugin loader delivered, and the arguments and environment the values ask for', async () => {
    const values = join(tmp, 'values.yaml');
    writeFileSync(
      values,
      stringify({
        pluginStrategy: 'sidecar',
        image: imageValues(falcoImage),
        pluginLoader: { image: imageValues(pluginLoaderImage) },
        lockedRules: { files: ['falco_rules.yaml'] },
        // No webserver, so no probes, Service or helm test: chart-node-helm-test.integ.test.ts covers those.
        falco: { webserver: { enabled: false }, rules_files: ['/etc/falco/locked-rules.d', '/etc/falco/rules.d'] },
        service: { enabled: false },
        test: { enabled: false },
        nodeSelector: { 'kubernetes.io/hostname': env.TESTBED_NODE_NAME },
        tolerations: [{ key: env.TESTBED_NODE_TAINT, operator: 'Exists', effect: 'NoSchedule' }],
        // The node's containerd listens in a directory of its own; no other engine is mounted onto the host.
        collectors: {
          containerEngine: {
            engines: {
              containerd: { enabled: false },
              podman: { enabled: false },
              cri: { sockets: [env.TESTBED_NODE_CONTAINERD] },
            },
          },
        },
        extra: { env: [{ name: 'FALCO_HOSTNAME', value: '{{ .Release.Name }}-on-{{ .Release.Namespace }}' }], args: ['-o', 'log_level=debug'] },
      }),
    );
    const result = await tools.helm(['install', release, chartPath, ...ns, '-f', values, '--wait', '--timeout', '3m']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);

    const deadline = Date.now() + 90_000;
    let pods = await livePods();
    while (
      Date.now() < deadline &&
      !(pods.length === 1 && pods[0]!.status.containerStatuses?.[0]?.state.running && (await logs(pods[0]!.metadata.name, 'falco')).includes('running;'))
    ) {
      await sleep(500);
      pods = await livePods();
    }
    expect(pods.map((p) => p.spec.nodeName)).toEqual([env.TESTBED_NODE_NAME]);
    pod = pods[0]!;
    expect(pod.status.containerStatuses).toEqual([expect.objectContaining({ name: 'falco', restartCount: 0, state: { running: expect.anything() } })]);

    expect(await logs(pod.metadata.name, 'plugin-loader')).toContain(
      'installed 2 files checked against plugins-lock.yaml: 1 plugins into /mnt/plugins, 1 rules files into /mnt/rules',
    );
    falcoLog = (await logs(pod.metadata.name, 'falco')).split('\n');
    // Extra arguments follow Falco's own: the container's command is Falco itself.
    expect(falcoLog).toContain('falco-standin 0.44.1: argv: /usr/bin/falco -o log_level=debug');
    expect(falcoLog.find((l) => l.startsWith('falco-standin: loaded plugin container '))).toContain('from /usr/share/falco/plugins/libcontainer.so');
    expect(falcoLog).toContain('falco-standin: rules file /etc/falco/locked-rules.d/falco_rules.yaml');
  });

  it('gives the container plugin a socket path that, under HOST_ROOT, is the node runtime socket', async () => {
    const initConfig = JSON.parse(
      falcoLog.find((l) => l.startsWith('falco-standin: initialised plugin container with init_config '))!.replace(/^.*init_config /, ''),
    ) as { engines: Record<string, { enabled: boolean; sockets?: string[] }> };
    expect(initConfig.engines.cri).toEqual({ enabled: true, sockets: [env.TESTBED_NODE_CONTAINERD] });
    // The plugin joins HOST_ROOT and the socket path, as Falco's container plugin does.
    expect(await exec(pod.metadata.name, `test -S "$HOST_ROOT${env.TESTBED_NODE_CONTAINERD}" && echo "$HOST_ROOT"`)).toBe('/host');
    expect(await exec(pod.metadata.name, `test -e "$HOST_ROOT$HOST_ROOT${env.TESTBED_NODE_CONTAINERD}" || echo absent`)).toBe('absent');
  });

  it("mounts the host's /sys/kernel read-only, so tracefs is where libbpf looks for it", async () => {
    const mountinfo = await exec(pod.metadata.name, 'cat /proc/self/mountinfo');
    const sysKernel = mountinfo.split('\n').find((line) => line.split(' ')[4] === '/sys/kernel');
    expect(sysKernel, mountinfo).toBeDefined();
    expect(sysKernel!.split(' ')[5]!.split(',')).toContain('ro');
    expect((await exec(pod.metadata.name, 'ls /sys/kernel')).split('\n').sort()).toEqual(readdirSync('/sys/kernel').sort());
    expect(await exec(pod.metadata.name, 'test -d /sys/kernel/tracing && echo tracing')).toBe('tracing');
    const tracepoint = '/sys/kernel/tracing/events/syscalls/sys_enter_connect/id';
    if (existsSync(tracepoint)) expect(await exec(pod.metadata.name, `cat ${tracepoint}`)).toBe(readFileSync(tracepoint, 'utf8').trim());
  });

  it('sets the environment Falco reads: FALCO_HOSTNAME from extra.env only, HOST_ROOT, the node name', async () => {
    const falco = containerOf(pod.spec, 'falco');
    expect(falco.env!.filter((e) => e.name === 'FALCO_HOSTNAME')).toHaveLength(1);
    expect(await exec(pod.metadata.name, 'echo "$FALCO_HOSTNAME $HOST_ROOT $FALCO_K8S_NODE_NAME"')).toBe(
      `${release}-on-${namespace} /host ${env.TESTBED_NODE_NAME}`,
    );
  });

  it('holds the rules files of the lock, byte for byte, read-only', async () => {
    const file = lock.lock.rulesfiles[0]!.files[0]!;
    expect(await exec(pod.metadata.name, 'sha256sum /etc/falco/locked-rules.d/falco_rules.yaml')).toBe(
      `${file.sha256}  /etc/falco/locked-rules.d/falco_rules.yaml`,
    );
    expect(await exec(pod.metadata.name, 'touch /etc/falco/locked-rules.d/x 2>/dev/null && echo writable || echo read-only')).toBe('read-only');
  });
});

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { holdTestbedLock, repoRoot, requireTestbed } from '../env.ts';

// The real node: containerd and a kubelet that run what they are given, next to the kwok nodes.

const run = promisify(execFile);
const env = requireTestbed(
  'TESTBED_DIR',
  'TESTBED_KUBECONFIG',
  'TESTBED_KUBECTL',
  'TESTBED_DOCKER_HOST',
  'TESTBED_DOCKER_CLI',
  'TESTBED_REGISTRY',
  'TESTBED_REGISTRY_LOG',
  'TESTBED_NODE_NAME',
  'TESTBED_NODE_TAINT',
  'TESTBED_NODE_STATE',
  'TESTBED_NODE_BRIDGE',
  'TESTBED_NODE_CGROUP',
  'TESTBED_NODE_POD_CIDR',
  'TESTBED_NODE_S3_ENDPOINT',
  'TESTBED_PORT_NODE_PROXY_HEALTHZ',
);
const nodeName = env.TESTBED_NODE_NAME!;
const namespace = `node-integ-${randomBytes(4).toString('hex')}`;
const tmp = mkdtempSync(join(tmpdir(), 'node-integ-'));
const repository = 'testbed-integ/node-busybox';
const tag = randomBytes(4).toString('hex');
const image = `${env.TESTBED_REGISTRY}/${repository}:${tag}`;
const testbed = join(repoRoot, 'tools/testbed/testbed');

const docker = (...args: string[]) =>
  run(env.TESTBED_DOCKER_CLI!, args, {
    env: { ...process.env, DOCKER_HOST: env.TESTBED_DOCKER_HOST, DOCKER_CONFIG: join(tmp, 'client') },
    maxBuffer: 16 << 20,
  });

async function kubectl(args: string[], stdin?: string): Promise<string> {
  const child = run(env.TESTBED_KUBECTL!, ['--kubeconfig', env.TESTBED_KUBECONFIG!, ...args], { maxBuffer: 16 << 20 });
  if (stdin !== undefined) child.child.stdin!.end(stdin);
  return (await child).stdout;
}
const getJson = async <T>(...args: string[]): Promise<T> => JSON.parse(await kubectl(['get', '-o', 'json', ...args])) as T;
const apply = (object: unknown) => kubectl(['apply', '-f', '-'], JSON.stringify(object));

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await sleep(250);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

interface Condition {
  type: string;
  status: string;
}
interface Node {
  metadata: { name: string; labels: Record<string, string> };
  spec: { taints?: { key: string; effect: string }[] };
  status: { conditions: Condition[]; nodeInfo: { containerRuntimeVersion: string; kubeletVersion: string } };
}
interface ContainerStatus {
  name: string;
  imageID: string;
  state: { running?: object; terminated?: { exitCode: number } };
}
interface Pod {
  metadata: { name: string };
  spec: { nodeName: string };
  status: { phase: string; podIP?: string; containerStatuses?: ContainerStatus[]; initContainerStatuses?: ContainerStatus[] };
}

const isReady = (conditions: Condition[] = []) => conditions.some((c) => c.type === 'Ready' && c.status === 'True');
const toleration = { key: env.TESTBED_NODE_TAINT, operator: 'Exists', effect: 'NoSchedule' };
const onRealNode = { nodeSelector: { 'kubernetes.io/hostname': nodeName }, tolerations: [toleration] };

function pod(name: string, spec: Record<string, unknown>) {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace }, spec: { ...onRealNode, terminationGracePeriodSeconds: 0, ...spec } };
}

const runningPod = (name: string) =>
  waitFor(`pod ${name} running on ${nodeName}`, async () => {
    const p = await getJson<Pod>('pod', name, '-n', namespace);
    return p.status.phase === 'Running' && p.status.containerStatuses?.every((c) => c.state.running) ? p : undefined;
  });

const exec = (name: string, ...command: string[]) => kubectl(['exec', name, '-n', namespace, '--', ...command]);

// What a node could leave on the host: processes, mounts, its bridge, cgroups, iptables chains and rewritten sysctls.
function nodeProcesses(): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))) continue;
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      // The kubelet, containerd and its shims name the state directory; pod sandboxes are our pause binary.
      const relayProcess = argv[0] === 'socat' && argv.some((arg) => arg.includes(`bind=${relay.hostname},`));
      const proxyProcess = basename(argv[0]!) === 'kube-proxy';
      if (argv[0] === '/pause' || relayProcess || proxyProcess || argv.some((arg) => arg.includes(env.TESTBED_NODE_STATE!)))
        found.push(`${pid}: ${argv.join(' ')}`);
    } catch {
      continue; // the process ended while we looked
    }
  }
  return found;
}
// The S3 relay and kube-proxy, seen from the host: a listening socket on their ports.
const relay = new URL(env.TESTBED_NODE_S3_ENDPOINT!);
const listening = (port: number) =>
  readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .some(([, local, , state]) => state === '0A' && local?.endsWith(`:${port.toString(16).toUpperCase().padStart(4, '0')}`));
const relayListening = () => listening(Number(relay.port));
const proxyListening = () => listening(Number(env.TESTBED_PORT_NODE_PROXY_HEALTHZ));
// kube-proxy's chains (KUBE-*) in every table of both families, and the jumps into them.
async function proxyRules(): Promise<string[]> {
  const rules: string[] = [];
  for (const save of ['iptables-save', 'ip6tables-save']) {
    const { stdout } = await run(save, [], { maxBuffer: 16 << 20 });
    rules.push(
      ...stdout
        .split('\n')
        .filter((line) => /^:KUBE-|-j KUBE-/.test(line))
        .map((line) => `${save}: ${line}`),
    );
  }
  return rules;
}
const nodeMounts = () =>
  readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    .filter((target) => target === env.TESTBED_NODE_STATE || target.startsWith(`${env.TESTBED_NODE_STATE}/`));
const nodeCgroups = () =>
  readdirSync('/sys/fs/cgroup')
    .map((hierarchy) => join('/sys/fs/cgroup', hierarchy, env.TESTBED_NODE_CGROUP!))
    .filter((dir) => existsSync(dir));
// Counters and per-boot values move on their own; everything else must come back as it was.
const VOLATILE_SYSCTLS =
  /^(fs\.(dentry-state|file-nr|inode-nr|inode-state|aio-nr|quota\.)|kernel\.(ns_last_pid|random\.|pty\.nr)|net\.netfilter\.nf_conntrack_count)/;
async function sysctls(): Promise<Map<string, string>> {
  const { stdout } = await run('sysctl', ['-a'], { maxBuffer: 16 << 20 });
  const values = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const m = /^(\S+) = (.*)$/.exec(line);
    // Interfaces come and go with pods; their keys are checked through the bridge and the processes.
    if (m && !VOLATILE_SYSCTLS.test(m[1]!) && !/^net\.ipv[46]\.(conf|neigh)\.(?!all\.|default\.)/.test(m[1]!)) values.set(m[1]!, m[2]!);
  }
  return values;
}

const testbedLocked = (...args: string[]) => run(testbed, args, { env: { ...process.env, FALCO_AIRGAP_TESTBED_LOCKED: '1' } });

beforeAll(async () => {
  const context = join(tmp, 'context');
  mkdirSync(context);
  copyFileSync('/bin/busybox', join(context, 'busybox'));
  writeFileSync(
    join(context, 'Dockerfile'),
    'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "--install", "-s", "/bin"]\nENTRYPOINT ["/bin/busybox"]\n',
  );
  await docker('build', '--quiet', '--tag', image, context);
  await docker('push', '--quiet', image);
  await kubectl(['create', 'namespace', namespace]);
});

afterAll(async () => {
  await kubectl(['delete', 'namespace', namespace, '--ignore-not-found', '--wait=false']);
  await docker('image', 'rm', '--force', image);
  rmSync(tmp, { recursive: true, force: true });
});

describe('node', () => {
  it('is Ready with containerd, tainted, beside the two kwok nodes', async () => {
    const node = await getJson<Node>('node', nodeName);
    expect(isReady(node.status.conditions)).toBe(true);
    expect(node.status.nodeInfo.containerRuntimeVersion).toMatch(/^containerd:\/\/1\./);
    expect(node.spec.taints).toContainEqual({ key: env.TESTBED_NODE_TAINT, effect: 'NoSchedule' });
    const kwok = await getJson<{ items: Node[] }>('nodes', '-l', 'type=kwok');
    expect(kwok.items.map((n) => [n.metadata.name, isReady(n.status.conditions)])).toEqual([
      ['kwok-node-0', true],
      ['kwok-node-1', true],
    ]);
  });

  it('runs an init container whose file the main container reads, with logs and exec through the API server', async () => {
    const message = `written by init ${randomBytes(4).toString('hex')}`;
    const shared = [{ name: 'shared', mountPath: '/shared' }];
    await apply(
      pod('init-then-main', {
        initContainers: [{ name: 'init', image, command: ['sh', '-c', `echo "${message}" > /shared/message`], volumeMounts: shared }],
        containers: [{ name: 'main', image, command: ['sh', '-c', 'cat /shared/message && exec sleep 3600'], volumeMounts: shared }],
        volumes: [{ name: 'shared', emptyDir: {} }],
      }),
    );
    const running = await runningPod('init-then-main');
    expect(running.spec.nodeName).toBe(nodeName);
    expect(running.status.initContainerStatuses?.[0]?.state.terminated?.exitCode).toBe(0);
    expect(running.status.podIP).toMatch(/^10\.244\.100\.\d+$/);

    const logs = await waitFor('the main container to log the message', async () => {
      const out = await kubectl(['logs', 'init-then-main', '-n', namespace, '-c', 'main']);
      return out.trim() ? out : undefined;
    });
    expect(logs.trim()).toBe(message);
    expect((await exec('init-then-main', 'cat', '/shared/message')).trim()).toBe(message);
    expect((await exec('init-then-main', 'sh', '-c', 'echo $(id -u) $(hostname)')).trim()).toBe('0 init-then-main');
  });

  it('pulled the image through the CRI from the testbed registry', async () => {
    const { stdout } = await docker('image', 'inspect', '--format', '{{range .RepoDigests}}{{println .}}{{end}}', image);
    const digest = stdout
      .split('\n')
      .find((d) => d.startsWith(`${env.TESTBED_REGISTRY}/${repository}@`))!
      .split('@')[1]!;
    const running = await getJson<Pod>('pod', 'init-then-main', '-n', namespace);
    expect(running.status.containerStatuses![0]!.imageID).toBe(`${env.TESTBED_REGISTRY}/${repository}@${digest}`);
    const pulls = readFileSync(env.TESTBED_REGISTRY_LOG!, 'utf8')
      .split('\n')
      .filter((line) => line.includes(`"GET /v2/${repository}/manifests/${digest} `) && /"containerd\/[^"]*"$/.test(line));
    expect(pulls.length).toBeGreaterThan(0);
  });

  it("lets a pod reach the testbed's S3 server, which listens on loopback only, through the relay on the bridge", async () => {
    expect(relay.hostname).not.toBe('127.0.0.1');
    await apply(
      pod('s3-client', {
        restartPolicy: 'Never',
        containers: [{ name: 'main', image, command: ['sh', '-c', `wget -q -S -O /dev/null ${relay.origin}/minio/health/live 2>&1 | head -n 1`] }],
      }),
    );
    const done = await waitFor('pod s3-client to finish', async () => {
      const p = await getJson<Pod>('pod', 's3-client', '-n', namespace);
      return p.status.phase === 'Succeeded' || p.status.phase === 'Failed' ? p : undefined;
    });
    expect(done.status.phase).toBe('Succeeded');
    expect((await kubectl(['logs', 's3-client', '-n', namespace])).trim()).toBe('HTTP/1.1 200 OK');
  });

  it('reaches a pod through a ClusterIP Service, from another pod and from the backend itself, by the variables the kubelet sets', async () => {
    const page = `served by web ${randomBytes(4).toString('hex')}`;
    // The Service first: the kubelet hands pods created after it WEB_SERVICE_HOST and WEB_SERVICE_PORT_HTTP.
    await apply({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace },
      spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
    });
    const web = pod('web', {
      containers: [{ name: 'main', image, command: ['sh', '-c', `mkdir /www && echo "${page}" > /www/index.html && exec httpd -f -p 8080 -h /www`] }],
    });
    await apply({ ...web, metadata: { ...web.metadata, labels: { app: 'web' } } });
    await runningPod('web');
    await apply(
      pod('web-client', {
        restartPolicy: 'Never',
        enableServiceLinks: true,
        // Kubernetes expands $(VAR); the retries cover the moment before kube-proxy has the new endpoint (busybox's wget -T crashes).
        // A timed-out try runs with stderr closed: the shell's "Terminated" for it is not the page.
        containers: [
          {
            name: 'main',
            image,
            command: [
              'sh',
              '-c',
              'for try in 1 2 3 4 5 6 7 8 9 10; do { timeout 5 wget -q -O - "http://$(WEB_SERVICE_HOST):$(WEB_SERVICE_PORT_HTTP)/"; } 2>/dev/null && exit 0; sleep 1; done; exit 1',
            ],
          },
        ],
      }),
    );
    const done = await waitFor('pod web-client to finish', async () => {
      const p = await getJson<Pod>('pod', 'web-client', '-n', namespace);
      return p.status.phase === 'Succeeded' || p.status.phase === 'Failed' ? p : undefined;
    });
    expect((await kubectl(['logs', 'web-client', '-n', namespace])).trim()).toBe(page);
    expect(done.status.phase).toBe('Succeeded');
    // Hairpin: the backend reaches itself through its Service, which the masquerade to the bridge makes work.
    expect((await exec('web', 'sh', '-c', 'timeout 5 wget -q -O - "http://$WEB_SERVICE_HOST:$WEB_SERVICE_PORT_HTTP/"')).trim()).toBe(page);
  });

  it('schedules a DaemonSet that tolerates the taint on the real node and on both kwok nodes', async () => {
    await apply({
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'everywhere', namespace },
      spec: {
        selector: { matchLabels: { app: 'everywhere' } },
        template: {
          metadata: { labels: { app: 'everywhere' } },
          spec: {
            tolerations: [toleration],
            terminationGracePeriodSeconds: 0,
            containers: [{ name: 'agent', image, command: ['sh', '-c', 'echo agent on $(hostname) && exec sleep 3600'] }],
          },
        },
      },
    });
    await waitFor('DaemonSet everywhere to be Ready on 3 nodes', async () => {
      const { status } = await getJson<{ status: { desiredNumberScheduled?: number; numberReady?: number } }>('daemonset', 'everywhere', '-n', namespace);
      return status.desiredNumberScheduled === 3 && status.numberReady === 3 ? status : undefined;
    });
    const pods = await getJson<{ items: Pod[] }>('pods', '-n', namespace, '-l', 'app=everywhere');
    expect(pods.items.map((p) => p.spec.nodeName).sort()).toEqual(['kwok-node-0', 'kwok-node-1', nodeName].sort());
    const real = pods.items.find((p) => p.spec.nodeName === nodeName)!;
    expect((await kubectl(['logs', real.metadata.name, '-n', namespace])).trim()).toBe(`agent on ${real.metadata.name}`);
  });

  it("gives a privileged pod in the host's PID namespace the host's /proc and /sys/kernel", async () => {
    await apply(
      pod('privileged', {
        hostPID: true,
        containers: [
          {
            name: 'main',
            image,
            command: ['sleep', '3600'],
            securityContext: { privileged: true },
            volumeMounts: [
              { name: 'proc', mountPath: '/host/proc', readOnly: true },
              { name: 'sys-kernel', mountPath: '/host/sys/kernel', readOnly: true },
            ],
          },
        ],
        volumes: [
          { name: 'proc', hostPath: { path: '/proc' } },
          { name: 'sys-kernel', hostPath: { path: '/sys/kernel' } },
        ],
      }),
    );
    await runningPod('privileged');
    const kubeletPid = readFileSync(join(env.TESTBED_DIR!, 'run', 'node-kubelet.pid'), 'utf8').trim();
    expect((await exec('privileged', 'cat', `/proc/${kubeletPid}/comm`)).trim()).toBe('kubelet');
    expect((await exec('privileged', 'cat', '/host/proc/sys/kernel/random/boot_id')).trim()).toBe(
      readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim(),
    );
    const btf = existsSync('/sys/kernel/btf/vmlinux');
    expect((await exec('privileged', 'sh', '-c', 'test -s /host/sys/kernel/btf/vmlinux && echo yes || echo no')).trim()).toBe(btf ? 'yes' : 'no');
    // Privileged means every capability the node itself holds (this VM withholds some, e.g. CAP_SYS_RESOURCE).
    const capEff = (status: string) => /^CapEff:\s+(\S+)$/m.exec(status)![1];
    expect(capEff(await exec('privileged', 'cat', '/proc/self/status'))).toBe(capEff(readFileSync(`/proc/${kubeletPid}/status`, 'utf8')));
  });

  // Last: it takes the node down and brings it back, so the tests above must not need it meanwhile.
  it('goes down leaving no process, mount, bridge, cgroup, iptables chain, Node or changed sysctl behind, and comes back Ready', async () => {
    const cycle = async () => {
      await testbedLocked('down', 'node');
      expect(nodeProcesses()).toEqual([]);
      expect(nodeMounts()).toEqual([]);
      expect(existsSync(`/sys/class/net/${env.TESTBED_NODE_BRIDGE}`)).toBe(false);
      expect(nodeCgroups()).toEqual([]);
      expect(relayListening()).toBe(false);
      expect(proxyListening()).toBe(false);
      expect(await proxyRules()).toEqual([]);
      expect(await kubectl(['get', 'node', nodeName, '--ignore-not-found', '-o', 'name'])).toBe('');
      return sysctls();
    };
    const up = async () => {
      await testbedLocked('up', 'node');
      const { stdout } = await testbedLocked('status', 'node');
      expect(stdout).toMatch(new RegExp(`^node +healthy +${nodeName} Ready .*S3 for pods ${relay.origin}\\)$`, 'm'));
      expect(relayListening()).toBe(true);
      expect(proxyListening()).toBe(true);
      // Services are in place as soon as up returns.
      expect(await proxyRules()).toContain('iptables-save: :KUBE-SERVICES - [0:0]');
    };

    const release = await holdTestbedLock('exclusive', env);
    try {
      const before = await cycle();
      await up();
      // While up, the kubelet holds the kernel to its own tunables.
      expect((await sysctls()).get('vm.overcommit_memory')).toBe('1');
      const after = await cycle();
      const changed = [...before]
        .filter(([key, value]) => after.has(key) && after.get(key) !== value)
        .map(([key, value]) => `${key}: ${value} -> ${after.get(key)}`);
      expect(changed).toEqual([]);
    } finally {
      await up();
      release();
    }
  });
});

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { compilePlugin } from '@falco-airgap/fixtures';
import {
  chartPath,
  ensureTestbedImageBases,
  openTestbedBucket,
  testbedTools,
  writeFixtureLock,
  type FixtureLock,
  type TestbedBucket,
} from '@falco-airgap/test-support';
import { holdTestbedLock, repoRoot, requireTestbed } from '@falco-airgap/testbed/env';

// The chart's s3 strategy on the testbed's real node: the CLI publishes a release to MinIO and builds the
// falco-s3-loader image; in the pod the loader fetches the release through the node's S3 relay (MinIO listens
// on loopback only), verifies and installs it, then execs the Falco stand-in, which loads what was installed.

const run = promisify(execFile);
const env = requireTestbed(
  'TESTBED_REGISTRY',
  'TESTBED_DOCKER_HOST',
  'TESTBED_NODE_NAME',
  'TESTBED_NODE_TAINT',
  'TESTBED_NODE_CONTAINERD',
  'TESTBED_NODE_S3_ENDPOINT',
);
const tools = testbedTools();
const release = 'it-node-s3';
const namespace = 'falco-airgap-it-node-s3';
const ns = ['--namespace', namespace];
const prefix = 'falco-airgap';
const channel = 'node';
const tmp = mkdtempSync(join(tmpdir(), 'chart-node-s3-'));
const cli = join(repoRoot, 'apps/orchestrator/bin/falco-airgap.js');
const RULES = '- list: node_s3_binaries\n  items: [sh]\n';

interface Pod {
  metadata: { name: string };
  spec: { nodeName: string };
  status: { containerStatuses?: { name: string; restartCount: number; state: { running?: object } }[] };
}
interface LoaderLine {
  event: string;
  release?: string;
  [key: string]: unknown;
}

const livePods = async () => (await tools.kubectlJson<{ items: Pod[] }>(['get', 'pods', ...ns, '-l', `app.kubernetes.io/instance=${release}`])).items;
const logs = async (pod: string) => (await tools.kubectl(['logs', pod, ...ns, '-c', 'falco'])).stdout;
async function exec(pod: string, script: string): Promise<string> {
  const result = await tools.kubectl(['exec', pod, ...ns, '-c', 'falco', '--', 'sh', '-c', script]);
  if (result.code !== 0) throw new Error(`exec ${script} in ${pod} failed: ${result.stderr}`);
  return result.stdout.trim();
}
const imageValues = (ref: string) => {
  const [, registry, repository, tag] = /^([^/]+)\/(.+):([^:]+)$/.exec(ref)!;
  return { registry: registry!, repository: repository!, tag: tag! };
};
async function falcoAirgap(...args: string[]): Promise<{ data: Record<string, unknown> }> {
  const { stdout } = await run(process.execPath, [cli, '--json', ...args], {
    cwd: tmp,
    env: {
      ...process.env,
      DOCKER_HOST: env.TESTBED_DOCKER_HOST,
      DOCKER_CONFIG: join(tmp, 'docker-config'),
      AWS_ACCESS_KEY_ID: bucket.env.AWS_ACCESS_KEY_ID,
      AWS_SECRET_ACCESS_KEY: bucket.env.AWS_SECRET_ACCESS_KEY,
    },
    maxBuffer: 64 << 20,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as { data: Record<string, unknown> };
}

let bucket: TestbedBucket;
let lock: FixtureLock;
let loaderImage: string;
let releaseId: string;
let pod: Pod;
let podLog: string[];
let releaseLock: () => void;

beforeAll(async () => {
  releaseLock = await holdTestbedLock('shared', env);
  bucket = await openTestbedBucket('chart-node-s3');
  const bases = await ensureTestbedImageBases();

  // The container plugin (a real shared object the stand-in's loader opens) and one rules file.
  const container = compilePlugin({ name: 'container', version: '0.7.1', apiVersion: '3.11.0', platforms: ['linux/amd64'] });
  lock = await writeFixtureLock(tmp, {
    falcoVersion: '0.44.1',
    plugins: [{ name: 'container', version: '0.7.1', platforms: ['linux/amd64'], bytes: () => Buffer.from(container[0]!.library) }],
    rulesfiles: [{ name: 'falco-rules', version: '5.1.0', files: [{ file: 'falco_rules.yaml', text: RULES }] }],
  });
  const [published, built] = await Promise.all([
    falcoAirgap(
      'publish',
      '--bucket',
      bucket.bucket,
      '--prefix',
      prefix,
      '--channel',
      channel,
      '--endpoint',
      bucket.endpoint,
      '--region',
      bucket.region,
      '--lock',
      lock.lockPath,
      '--extracted',
      lock.extractedDir,
    ),
    falcoAirgap(
      'build',
      '--images',
      's3-loader',
      '--registry',
      `${env.TESTBED_REGISTRY}/falco-airgap-it-node-s3`,
      '--push',
      '--plain-http',
      env.TESTBED_REGISTRY!,
      '--lock',
      lock.lockPath,
      '--base-image',
      bases.base,
      '--falco-image',
      bases.falco,
      '--docker-dir',
      join(repoRoot, 'docker'),
      '--s3-loader-binary',
      join(repoRoot, 'apps/s3-loader/dist/falco-s3-loader'),
    ),
  ]);
  releaseId = (published.data as { release: string }).release;
  const images = (built.data as { images: { image: string; references: string[] }[] }).images;
  loaderImage = images.find((i) => i.image === 's3-loader')!.references.find((r) => r.endsWith(':0.44.1'))!;

  await tools.ensureNamespace(namespace);
  const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's3-credentials', namespace }, stringData: bucket.env };
  const applied = await tools.kubectl(['apply', '-f', '-'], { input: JSON.stringify(secret) });
  if (applied.code !== 0) throw new Error(`cannot create the S3 credentials Secret: ${applied.stderr}`);
}, 600_000);

afterAll(async () => {
  await tools.helm(['uninstall', release, ...ns, '--wait', '--ignore-not-found']);
  await tools.kubectl(['delete', 'namespace', namespace, '--ignore-not-found', '--wait=false']);
  await bucket?.destroy();
  releaseLock?.();
  tools.cleanup();
  rmSync(tmp, { recursive: true, force: true });
});

describe('the s3 pod on the real node', () => {
  it('fetches the release its channel points to through the node relay, installs it, then execs Falco, which loads it', async () => {
    const values = join(tmp, 'values.yaml');
    writeFileSync(
      values,
      stringify({
        pluginStrategy: 's3',
        s3: {
          image: imageValues(loaderImage),
          bucket: bucket.bucket,
          prefix,
          channel,
          region: bucket.region,
          endpoint: env.TESTBED_NODE_S3_ENDPOINT,
          forcePathStyle: true,
          existingSecret: 's3-credentials',
          // No hostPath on the machine that runs the tests: nothing may stay behind on it.
          cacheHostPath: '',
          timeoutSeconds: 10,
        },
        lockedRules: { files: ['falco_rules.yaml'] },
        // No webserver, so no probes, Service or helm test: chart-node-helm-test.integ.test.ts covers those.
        falco: { webserver: { enabled: false }, rules_files: ['/etc/falco/locked-rules.d', '/etc/falco/rules.d'] },
        service: { enabled: false },
        test: { enabled: false },
        nodeSelector: { 'kubernetes.io/hostname': env.TESTBED_NODE_NAME },
        tolerations: [{ key: env.TESTBED_NODE_TAINT, operator: 'Exists', effect: 'NoSchedule' }],
        collectors: {
          containerEngine: { engines: { containerd: { enabled: false }, podman: { enabled: false }, cri: { sockets: [env.TESTBED_NODE_CONTAINERD] } } },
        },
      }),
    );
    const result = await tools.helm(['install', release, chartPath, ...ns, '-f', values, '--wait', '--timeout', '3m']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);

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
    podLog = (await logs(pod.metadata.name)).split('\n');

    // The loader's JSON lines: the channel's release, each file downloaded, installed; then Falco's own lines.
    const loader = podLog.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as LoaderLine);
    expect(loader.map((l) => l.event)).toEqual(['start', 'release', 'downloaded', 'downloaded', 'installed']);
    expect(loader.find((l) => l.event === 'release')).toMatchObject({ release: releaseId });
    expect(podLog).toContain('falco-standin 0.44.1: argv: /usr/bin/falco');
    expect(podLog.find((l) => l.startsWith('falco-standin: loaded plugin container '))).toContain('from /usr/share/falco/plugins/libcontainer.so');
    expect(podLog).toContain('falco-standin: rules file /etc/falco/locked-rules.d/falco_rules.yaml');
    expect(podLog.indexOf('falco-standin 0.44.1: argv: /usr/bin/falco')).toBeGreaterThan(podLog.findIndex((l) => l.includes('"event":"installed"')));
  });

  it('holds the files of the release byte for byte, and Falco is the container’s first process', async () => {
    const plugin = lock.lock.plugins[0]!.platforms[0]!;
    const rules = lock.lock.rulesfiles[0]!.files[0]!;
    expect(await exec(pod.metadata.name, 'sha256sum /usr/share/falco/plugins/libcontainer.so /etc/falco/locked-rules.d/falco_rules.yaml')).toBe(
      `${plugin.sha256}  /usr/share/falco/plugins/libcontainer.so\n${rules.sha256}  /etc/falco/locked-rules.d/falco_rules.yaml`,
    );
    expect(JSON.parse(await exec(pod.metadata.name, 'cat /usr/share/falco/plugins/.falco-s3-loader.json'))).toMatchObject({ release: releaseId, source: 's3' });
    // exec, not a child: signals reach Falco and its exit code is the container's.
    expect(await exec(pod.metadata.name, "tr '\\0' ' ' < /proc/1/cmdline")).toBe('/usr/bin/falco');
  });
});

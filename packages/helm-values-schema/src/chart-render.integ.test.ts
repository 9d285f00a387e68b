import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  allImages,
  containerOf,
  type Container,
  envOf,
  falcoYamlOf,
  mountsOf,
  objectsOfKind,
  podAnnotationsOf,
  podSpecOf,
  type PodSpec,
  theOne,
  workloadOf,
} from './test-support/manifests.ts';
import { chartPath, parseManifests, testbedTools, type K8sObject } from '@falco-airgap/test-support';
import { validateValues } from './validate.ts';

// The render matrix (strategy x controller/driver x serviceMonitor, least-privileged as a driver variant), asserted object
// by object, then every rendered manifest through server-side dry-run on the testbed API server.

const tools = testbedTools();
const scratch = mkdtempSync(join(tmpdir(), 'falco-airgap-render-'));
const namespace = 'falco-airgap-matrix';
const registry = 'registry.matrix.internal:5000/falco-airgap';
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
  tools.cleanup();
});

const STRATEGIES = ['sidecar', 's3', 'none'] as const;
const WORKLOADS = ['modern_ebpf', 'modern_ebpf-least-privileged', 'kmod', 'auto', 'deployment'] as const;
type Strategy = (typeof STRATEGIES)[number];
type Workload = (typeof WORKLOADS)[number];

interface Variant {
  release: string;
  strategy: Strategy;
  workload: Workload;
  serviceMonitor: boolean;
}

const variants: Variant[] = STRATEGIES.flatMap((strategy) =>
  WORKLOADS.flatMap((workload) =>
    [false, true].map((serviceMonitor) => ({
      release: `${strategy}-${workload.replace('modern_ebpf', 'mebpf').replace('-least-privileged', '-lp')}${serviceMonitor ? '-sm' : ''}`,
      strategy,
      workload,
      serviceMonitor,
    })),
  ),
);

function valuesFor(variant: Variant): Record<string, unknown> {
  const values: Record<string, unknown> = { pluginStrategy: variant.strategy, global: { imageRegistry: registry, imagePullSecrets: [{ name: 'regcred' }] } };
  if (variant.strategy === 's3') {
    values.s3 = { bucket: 'acme-falco-plugins', channel: 'prod', region: 'eu-west-1', irsaRoleArn: 'arn:aws:iam::123456789012:role/falco-plugins-reader' };
  }
  if (variant.workload === 'deployment') {
    values.controller = { kind: 'deployment' };
    values.driver = { enabled: false };
    values.services = [{ name: 'k8saudit-webhook', type: 'NodePort', ports: [{ port: 9765, nodePort: 30765 }] }];
    values.falco = {
      rules_files: ['/etc/falco/k8s_audit_rules.yaml'],
      load_plugins: ['k8saudit', 'json'],
      plugins: [
        { name: 'k8saudit', library_path: 'libk8saudit.so', open_params: 'http://:9765/k8s-audit', init_config: { maxEventSize: 262144 } },
        { name: 'json', library_path: 'libjson.so' },
      ],
    };
  } else {
    values.driver = { kind: variant.workload.replace('-least-privileged', ''), modernEbpf: { leastPrivileged: variant.workload.endsWith('least-privileged') } };
  }
  if (variant.serviceMonitor) {
    values.metrics = { enabled: true, interval: '30m' };
    values.serviceMonitor = { create: true, labels: { release: 'kube-prometheus-stack' } };
  }
  return values;
}

const rendered = new Map<string, { stream: string; objects: K8sObject[] }>();

async function render(variant: Variant): Promise<{ stream: string; objects: K8sObject[] }> {
  const file = join(scratch, `${variant.release}.yaml`);
  writeFileSync(file, JSON.stringify(valuesFor(variant)));
  const result = await tools.template(variant.release, namespace, ['-f', file]);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return { stream: result.stdout, objects: parseManifests(result.stdout) };
}

beforeAll(async () => {
  await tools.ensureNamespace(namespace);
  const crd = await tools.kubectl(['apply', '-f', join(import.meta.dirname, '..', 'test-fixtures', 'servicemonitor-crd.yaml')]);
  expect(crd.stderr).toBe('');
  const established = await tools.kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd/servicemonitors.monitoring.coreos.com']);
  expect(established.code).toBe(0);
});

describe('helm lint', () => {
  it('passes with the chart defaults, strict', async () => {
    const result = await tools.helm(['lint', chartPath, '--strict', '--kube-version', tools.kubeVersion]);
    expect(result.stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
    expect(result.code).toBe(0);
  });

  for (const platform of ['values-minikube.yaml', 'values-eks.yaml']) {
    it(`passes with ${platform} under each environment layer`, async () => {
      for (const environment of ['dev', 'staging', 'prod']) {
        const result = await tools.helm([
          'lint',
          chartPath,
          '--strict',
          '--kube-version',
          tools.kubeVersion,
          '-f',
          join(chartPath, platform),
          '-f',
          join(chartPath, 'environments', `${environment}.yaml`),
        ]);
        expect(result.code, `${platform} + ${environment}: ${result.stdout}${result.stderr}`).toBe(0);
      }
    });
  }
});

type TestPod = K8sObject & {
  spec: PodSpec & { restartPolicy: string; enableServiceLinks?: boolean; nodeSelector?: Record<string, string> };
};
const testPodOf = (objects: readonly K8sObject[]) => theOne(objects, 'Pod') as unknown as TestPod;
/** The value following a curl option in the container's args. */
function optionOf(container: Container, option: string): string | undefined {
  const at = container.args?.indexOf(option) ?? -1;
  return at < 0 ? undefined : container.args![at + 1];
}

describe.each(variants)('render $release', (variant) => {
  const fullname = `${variant.release}-falco-airgap`;
  const daemonset = variant.workload !== 'deployment';
  let objects: K8sObject[];

  beforeAll(async () => {
    const result = await render(variant);
    rendered.set(variant.release, result);
    objects = result.objects;
  });

  it('is accepted by validateValues() as it is by helm', () => {
    expect(validateValues(valuesFor(variant))).toEqual([]);
  });

  it('renders exactly the expected objects', () => {
    const expected = [
      'ServiceAccount',
      'ConfigMap',
      'ClusterRole',
      'ClusterRoleBinding',
      'Service',
      ...(daemonset ? [] : ['Service']),
      daemonset ? 'DaemonSet' : 'Deployment',
      ...(variant.serviceMonitor ? ['Service', 'ServiceMonitor'] : []),
      'Pod',
    ];
    expect(objects.map((o) => o.kind).sort()).toEqual(expected.sort());
    for (const object of objects.filter((o) => !o.kind.startsWith('Cluster')))
      expect(object.metadata.namespace, `${object.kind} ${object.metadata.name}`).toBe(namespace);
  });

  it('pulls every image from the private registry, at the Falco version', () => {
    const images = allImages(objects);
    expect(images.length).toBeGreaterThan(1);
    for (const image of images) expect(image).toMatch(new RegExp(`^${registry.replaceAll('.', '\\.')}/falco(-plugin-loader|-s3-loader)?:0\\.44\\.1$`));
    const spec = podSpecOf(workloadOf(objects));
    expect(spec.imagePullSecrets).toEqual([{ name: 'regcred' }]);
  });

  it('runs the Falco container from the image the strategy needs', () => {
    const spec = podSpecOf(workloadOf(objects));
    const falco = containerOf(spec, 'falco');
    expect(falco.image).toBe(`${registry}/${variant.strategy === 's3' ? 'falco-s3-loader' : 'falco'}:0.44.1`);
    const mounts = mountsOf(falco);
    expect(mounts['/etc/falco/falco.yaml']).toBe('falco-yaml');
    if (variant.strategy === 'none') {
      expect(mounts['/usr/share/falco/plugins']).toBeUndefined();
      expect(spec.volumes?.find((v) => v.name === 'plugins')).toBeUndefined();
    } else {
      expect(mounts['/usr/share/falco/plugins']).toBe('plugins');
      expect(spec.volumes?.find((v) => v.name === 'plugins')).toEqual({ name: 'plugins', emptyDir: {} });
    }
  });

  it('fills the plugin directory the way the strategy says', () => {
    const spec = podSpecOf(workloadOf(objects));
    const initNames = (spec.initContainers ?? []).map((c) => c.name);
    const falcoEnv = envOf(containerOf(spec, 'falco'));
    const serviceAccount = theOne(objects, 'ServiceAccount');
    if (variant.strategy === 'sidecar') {
      const loader = containerOf(spec, 'plugin-loader');
      expect(loader.image).toBe(`${registry}/falco-plugin-loader:0.44.1`);
      expect(mountsOf(loader)).toEqual({ '/mnt/plugins': 'plugins', '/mnt/rules': 'locked-rules' });
      expect(envOf(loader)).toEqual({ FALCO_PLUGIN_LOADER_DEST: '/mnt/plugins', FALCO_PLUGIN_LOADER_RULES_DEST: '/mnt/rules' });
      expect(loader.securityContext).toMatchObject({ capabilities: { drop: ['ALL'] } });
      expect(loader.securityContext?.privileged).toBeUndefined();
    } else expect(initNames).not.toContain('plugin-loader');
    if (variant.strategy === 's3') {
      expect(falcoEnv).toMatchObject({
        FALCO_S3_LOADER_BUCKET: 'acme-falco-plugins',
        FALCO_S3_LOADER_PREFIX: 'falco-airgap',
        FALCO_S3_LOADER_CHANNEL: 'prod',
        FALCO_S3_LOADER_REGION: 'eu-west-1',
        FALCO_S3_LOADER_DEST: '/usr/share/falco/plugins',
        FALCO_S3_LOADER_RULES_DEST: '/etc/falco/locked-rules.d',
        FALCO_S3_LOADER_ON_UNAVAILABLE: 'fail',
        FALCO_S3_LOADER_CACHE_DIR: '/var/cache/falco-airgap/plugins',
      });
      expect(falcoEnv.FALCO_S3_LOADER_RELEASE).toBeUndefined();
      expect(serviceAccount.metadata.annotations).toEqual({ 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/falco-plugins-reader' });
      expect(spec.volumes?.find((v) => v.name === 'plugin-cache')?.hostPath).toEqual({ path: '/var/lib/falco-airgap/plugin-cache', type: 'DirectoryOrCreate' });
    } else {
      expect(Object.keys(falcoEnv).filter((k) => k.startsWith('FALCO_S3_LOADER'))).toEqual([]);
      expect(serviceAccount.metadata.annotations).toBeUndefined();
    }
  });

  it('gives the driver exactly the privileges it needs', () => {
    const spec = podSpecOf(workloadOf(objects));
    const security = containerOf(spec, 'falco').securityContext;
    const hostPaths = (spec.volumes ?? []).flatMap((v) => (v.hostPath ? [v.hostPath.path] : []));
    const initNames = (spec.initContainers ?? []).map((c) => c.name);
    switch (variant.workload) {
      case 'deployment':
        expect(security).toEqual({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
        expect(hostPaths.filter((p) => p !== '/var/lib/falco-airgap/plugin-cache')).toEqual([]);
        expect(initNames).not.toContain('driver-loader');
        break;
      case 'modern_ebpf-least-privileged':
        expect(security?.privileged).toBe(false);
        expect(security?.capabilities).toEqual({ drop: ['ALL'], add: ['BPF', 'PERFMON', 'SYS_RESOURCE', 'SYS_PTRACE'] });
        expect(security?.seccompProfile).toEqual({ type: 'Unconfined' });
        expect(initNames).not.toContain('driver-loader');
        break;
      case 'modern_ebpf':
        expect(security).toEqual({ privileged: true });
        expect(initNames).not.toContain('driver-loader');
        expect(hostPaths).not.toContain('/lib/modules');
        break;
      case 'kmod':
      case 'auto': {
        expect(security).toEqual({ privileged: true });
        const loader = containerOf(spec, 'driver-loader');
        expect(loader.image).toBe(`${registry}/falco:0.44.1`);
        expect(loader.securityContext).toEqual({ privileged: true });
        // Air gap: no download unless driver.loader.repos names a mirror.
        expect(loader.args?.[0]).toContain('--download=false');
        expect(envOf(loader).FALCOCTL_DRIVER_REPOS).toBe('');
        expect(envOf(loader).FALCOCTL_DRIVER_CONFIG_UPDATE_FALCO).toBe(variant.workload === 'auto' ? 'true' : 'false');
        expect(hostPaths).toEqual(expect.arrayContaining(['/lib/modules', '/usr', '/boot', '/dev', '/proc', '/etc']));
        break;
      }
    }
  });

  it('writes falco.yaml with the engine, plugins, rules and metrics the values ask for', () => {
    const falco = falcoYamlOf(objects, fullname);
    const engine = { modern_ebpf: 'modern_ebpf', 'modern_ebpf-least-privileged': 'modern_ebpf', kmod: 'kmod', auto: 'modern_ebpf', deployment: 'nodriver' }[
      variant.workload
    ];
    expect(falco.engine.kind).toBe(engine);
    expect(falco.config_files).toEqual(['/etc/falco/config.d']);
    const locked = variant.strategy === 'none' ? [] : ['/etc/falco/locked-rules.d'];
    if (daemonset) {
      expect(falco.load_plugins).toEqual(['container']);
      expect(falco.plugins.map((p) => [p.name, p.library_path])).toEqual([['container', 'libcontainer.so']]);
      expect(falco.rules_files).toEqual(['/etc/falco/falco_rules.yaml', ...locked, '/etc/falco/falco_rules.local.yaml']);
    } else {
      expect(falco.rules_files).toEqual([...locked, '/etc/falco/k8s_audit_rules.yaml']);
      expect(falco.load_plugins).toEqual(['k8saudit', 'json']);
      expect(falco.plugins.map((p) => p.name)).toEqual(['k8saudit', 'json']);
      expect(falco.plugins[0]).toMatchObject({ open_params: 'http://:9765/k8s-audit', init_config: { maxEventSize: 262144 } });
    }
    expect(falco.metrics.enabled).toBe(variant.serviceMonitor);
    expect(falco.webserver).toMatchObject({ enabled: true, listen_port: 8765, prometheus_metrics_enabled: variant.serviceMonitor });
    expect(falco).not.toHaveProperty('grpc');
    expect(falco).not.toHaveProperty('grpc_output');
  });

  it('exposes the webserver, and the webhook of a Deployment, through Services the monitor selects', () => {
    const web = theOne(objects, 'Service', fullname) as unknown as {
      spec: { ports: { name: string; port: number }[]; selector: Record<string, string> };
    } & K8sObject;
    expect(web.spec.ports).toEqual([{ name: 'web', port: 8765, targetPort: 'web', protocol: 'TCP' }]);
    const podLabels = (workloadOf(objects) as unknown as { spec: { template: { metadata: { labels: Record<string, string> } } } }).spec.template.metadata
      .labels;
    expect(podLabels).toMatchObject(web.spec.selector);
    const falcoPorts = containerOf(podSpecOf(workloadOf(objects)), 'falco').ports;
    if (!daemonset) {
      const webhook = theOne(objects, 'Service', `${fullname}-k8saudit-webhook`) as unknown as { spec: { type: string; ports: unknown[] } };
      expect(webhook.spec).toMatchObject({ type: 'NodePort', ports: [{ name: 'tcp-9765', port: 9765, targetPort: 9765, nodePort: 30765, protocol: 'TCP' }] });
      expect(falcoPorts).toContainEqual({ name: 'tcp-9765', containerPort: 9765, protocol: 'TCP' });
    }
    const monitors = objectsOfKind(objects, 'ServiceMonitor') as unknown as {
      spec: { selector: { matchLabels: Record<string, string> }; endpoints: unknown[] };
      metadata: { labels: Record<string, string> };
    }[];
    if (variant.serviceMonitor) {
      // Named and labelled as the upstream chart's metrics Service, which the ServiceMonitor selects.
      const metricsService = theOne(objects, 'Service', `${fullname}-metrics`) as unknown as K8sObject & {
        spec: { ports: unknown[]; selector: Record<string, string> };
      };
      expect(metricsService.metadata.labels).toMatchObject({ type: 'falco-metrics' });
      expect(metricsService.spec.ports).toEqual([{ name: 'metrics', port: 8765, targetPort: 8765, protocol: 'TCP' }]);
      expect(podLabels).toMatchObject(metricsService.spec.selector);
      expect(monitors[0]!.metadata.labels.release).toBe('kube-prometheus-stack');
      expect(metricsService.metadata.labels).toMatchObject(monitors[0]!.spec.selector.matchLabels);
      expect(web.metadata.labels).not.toMatchObject(monitors[0]!.spec.selector.matchLabels);
      expect(monitors[0]!.spec.endpoints).toEqual([{ port: 'metrics', path: '/metrics', scheme: 'http', interval: '15s', scrapeTimeout: '10s' }]);
    } else {
      expect(monitors).toEqual([]);
      expect(objectsOfKind(objects, 'Service').map((o) => o.metadata.name)).not.toContain(`${fullname}-metrics`);
    }
  });

  it('binds a ServiceAccount that mounts no API token to a ClusterRole that grants nothing', () => {
    const spec = podSpecOf(workloadOf(objects));
    expect(spec.serviceAccountName).toBe(fullname);
    expect(spec.automountServiceAccountToken).toBe(false);
    expect((theOne(objects, 'ClusterRole') as unknown as { rules: unknown[] }).rules).toEqual([]);
    expect(theOne(objects, 'ClusterRoleBinding')).toMatchObject({
      roleRef: { kind: 'ClusterRole', name: fullname },
      subjects: [{ kind: 'ServiceAccount', name: fullname, namespace }],
    });
  });

  it('restarts the pods when falco.yaml changes (config checksum on the pod template)', () => {
    const annotations = podAnnotationsOf(workloadOf(objects));
    expect(annotations['checksum/config']).toMatch(/^[a-f0-9]{64}$/);
  });

  it('has a helm test hook that asks the webserver Service for the health endpoint, found through the variables the kubelet sets', () => {
    const pod = testPodOf(objects);
    expect(pod.metadata.annotations?.['helm.sh/hook']).toBe('test');
    expect(pod.spec.restartPolicy).toBe('Never');
    expect(pod.spec.enableServiceLinks).toBe(true);
    const container = pod.spec.containers[0]!;
    expect(container.image).toBe(`${registry}/falco:0.44.1`);
    expect(container.command).toEqual(['curl']);
    const service = fullname.toUpperCase().replaceAll('-', '_');
    expect(optionOf(container, '--resolve')).toBe(`${fullname}:$(${service}_SERVICE_PORT_WEB):$(${service}_SERVICE_HOST)`);
    expect(container.args!.at(-1)).toBe(`http://${fullname}:$(${service}_SERVICE_PORT_WEB)/healthz`);
    expect(optionOf(container, '--retry-max-time')).toBe('60');
    // Not one of Falco's pods: the workload's controller would adopt it, and the Service would select it.
    const selector = (workloadOf(objects) as unknown as { spec: { selector: { matchLabels: Record<string, string> } } }).spec.selector.matchLabels;
    expect(Object.entries(selector).every(([key, value]) => pod.metadata.labels?.[key] === value)).toBe(false);
    expect(pod.metadata.labels).toMatchObject({ 'app.kubernetes.io/instance': variant.release, 'app.kubernetes.io/component': 'test' });
  });

  it('passes server-side dry-run on the testbed API server', async () => {
    const { stream } = rendered.get(variant.release)!;
    const result = await tools.kubectl(['apply', '--dry-run=server', '--validate=strict', '-f', '-'], { input: stream });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const accepted = result.stdout.split('\n').filter((line) => line.endsWith('(server dry run)'));
    expect(accepted).toHaveLength(objects.length);
  });
});

describe('rendering details', () => {
  async function renderWith(release: string, args: string[]): Promise<K8sObject[]> {
    const result = await tools.template(release, namespace, args);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const dryRun = await tools.kubectl(['apply', '--dry-run=server', '--validate=strict', '-f', '-'], { input: result.stdout });
    expect(dryRun.stderr).toBe('');
    return parseManifests(result.stdout);
  }

  it('with chart defaults reaches nothing outside the cluster: no public registry, no remote index, no download', async () => {
    const result = await tools.template('defaults', namespace);
    expect(result.code).toBe(0);
    for (const forbidden of ['docker.io', 'ghcr.io', 'quay.io', 'falco.org', 'github', 'falcoctl artifact', 'index.yaml'])
      expect(result.stdout).not.toContain(forbidden);
    const urls = [...result.stdout.matchAll(/https?:\/\/[^\s"']+/g)].map((m) => m[0]);
    expect(urls).toEqual(['http://defaults-falco-airgap:$(DEFAULTS_FALCO_AIRGAP_SERVICE_PORT_WEB)/healthz']);
    for (const image of allImages(parseManifests(result.stdout))) expect(image.startsWith('localhost:5000/')).toBe(true);
  });

  it('runs the test pod where Falco runs, over TLS when the webserver serves it, within test.timeoutSeconds', async () => {
    const file = join(scratch, 'test-pod.yaml');
    const tolerations = [{ key: 'dedicated', operator: 'Equal', value: 'security', effect: 'NoSchedule' }];
    const nodeSelector = { 'kubernetes.io/os': 'linux', pool: 'security' };
    writeFileSync(
      file,
      JSON.stringify({ tolerations, nodeSelector, falco: { webserver: { ssl_enabled: true, listen_port: 9443 } }, test: { timeoutSeconds: 15 } }),
    );
    const objects = await renderWith('tls-test', ['-f', file]);
    const pod = testPodOf(objects);
    expect(pod.spec.tolerations).toEqual(podSpecOf(workloadOf(objects)).tolerations);
    expect(pod.spec.tolerations).toEqual(tolerations);
    expect(pod.spec.nodeSelector).toEqual(nodeSelector);
    const container = pod.spec.containers[0]!;
    expect(container.args).toContain('--insecure');
    expect(container.args!.at(-1)).toBe('https://tls-test-falco-airgap:$(TLS_TEST_FALCO_AIRGAP_SERVICE_PORT_WEB)/healthz');
    expect(optionOf(container, '--retry-max-time')).toBe('15');
    const web = theOne(objects, 'Service', 'tls-test-falco-airgap') as unknown as { spec: { ports: { name: string; port: number }[] } };
    expect(web.spec.ports).toEqual([expect.objectContaining({ name: 'web', port: 9443 })]);
  });

  it('takes digests instead of tags, per image', async () => {
    const digest = `sha256:${'ab'.repeat(32)}`;
    const objects = await renderWith('digests', [
      '--set',
      `image.digest=${digest}`,
      '--set',
      `pluginLoader.image.digest=${digest}`,
      '--set',
      'pluginLoader.image.tag=ignored',
    ]);
    const spec = podSpecOf(workloadOf(objects));
    expect(containerOf(spec, 'falco').image).toBe(`localhost:5000/falco@${digest}`);
    expect(containerOf(spec, 'plugin-loader').image).toBe(`localhost:5000/falco-plugin-loader@${digest}`);
  });

  it('loads customRules after falco.rules_files, in byte order of their names', async () => {
    const file = join(scratch, 'rules.yaml');
    const rules = {
      'b-late.yaml': '- list: b\n  items: []\n',
      'A-upper.yaml': '- list: a\n  items: []\n',
      '9-nine.yaml': '- list: n\n  items: []\n',
      '10-ten.yml': '- list: t\n  items: []\n',
    };
    writeFileSync(file, JSON.stringify({ customRules: rules }));
    const objects = await renderWith('rules', ['-f', file]);
    expect(falcoYamlOf(objects, 'rules-falco-airgap').rules_files).toEqual([
      '/etc/falco/falco_rules.yaml',
      '/etc/falco/locked-rules.d',
      '/etc/falco/falco_rules.local.yaml',
      '/etc/falco/rules.d/10-ten.yml',
      '/etc/falco/rules.d/9-nine.yaml',
      '/etc/falco/rules.d/A-upper.yaml',
      '/etc/falco/rules.d/b-late.yaml',
    ]);
    const configMap = theOne(objects, 'ConfigMap', 'rules-falco-airgap-rules') as unknown as { data: Record<string, string> };
    expect(configMap.data).toEqual(rules);
    expect(mountsOf(containerOf(podSpecOf(workloadOf(objects)), 'falco'))['/etc/falco/rules.d']).toBe('custom-rules');
  });

  it('renders the legacy eBPF probe, gVisor and gRPC for Falco 0.43, and refuses them for 0.44', async () => {
    const legacy = await renderWith('legacy', [
      '--set',
      'falcoVersion=0.43.2',
      '--set',
      'driver.kind=ebpf',
      '--set',
      'driver.ebpf.leastPrivileged=true',
      '--set',
      'falco.grpc.enabled=true',
      '--set',
      'falco.grpc_output.enabled=true',
    ]);
    const falco = falcoYamlOf(legacy, 'legacy-falco-airgap');
    expect(falco.engine).toEqual({ kind: 'ebpf', ebpf: { probe: '${HOME}/.falco/falco-bpf.o', buf_size_preset: 4, drop_failed_exit: false } });
    expect(falco).toMatchObject({ grpc: { enabled: true }, grpc_output: { enabled: true } });
    const spec = podSpecOf(workloadOf(legacy));
    expect(containerOf(spec, 'falco').image).toBe('localhost:5000/falco:0.43.2');
    expect(containerOf(spec, 'falco').securityContext?.capabilities?.add).toEqual(['SYS_ADMIN', 'SYS_RESOURCE', 'SYS_PTRACE']);
    expect(containerOf(spec, 'driver-loader').args?.[0]).toContain('--type=ebpf');

    const gvisor = await renderWith('gvisor', ['--set', 'falcoVersion=0.43.2', '--set', 'driver.kind=gvisor']);
    expect(falcoYamlOf(gvisor, 'gvisor-falco-airgap').engine).toEqual({
      kind: 'gvisor',
      gvisor: { config: '/host/run/containerd/runsc/config.toml', root: '/host/run/containerd/runsc/k8s.io' },
    });

    const notes = await tools.helm([
      'install',
      'legacy',
      chartPath,
      '--namespace',
      namespace,
      '--dry-run=client',
      '--set',
      'falcoVersion=0.43.2',
      '--set',
      'driver.kind=ebpf',
    ]);
    expect(notes.stdout).toContain('WARNING: this release uses options deprecated in Falco 0.43 and removed in 0.44');

    const refused = await tools.template('legacy', namespace, ['--set', 'driver.kind=ebpf', '--set', 'falco.grpc.enabled=true']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('VALUES_REMOVED_OPTION: driver.kind: "ebpf" selects the legacy eBPF probe, which Falco removed in 0.44.0');
    expect(refused.stderr).toContain('VALUES_REMOVED_OPTION: falco.grpc.enabled: true selects the gRPC server');
  });

  it('lets a kmod driver download prebuilt drivers only from the internal mirror it is given', async () => {
    const objects = await renderWith('mirror', ['--set', 'driver.kind=kmod', '--set', 'driver.loader.repos[0]=https://artifacts.internal/falco/driver']);
    const loader = containerOf(podSpecOf(workloadOf(objects)), 'driver-loader');
    expect(loader.args?.[0]).toContain('--download=true');
    expect(envOf(loader).FALCOCTL_DRIVER_REPOS).toBe('https://artifacts.internal/falco/driver');
  });

  it('renders the same bytes twice', async () => {
    const [a, b] = await Promise.all([tools.template('same', namespace), tools.template('same', namespace)]);
    expect(a.stdout).toBe(b.stdout);
  });
});

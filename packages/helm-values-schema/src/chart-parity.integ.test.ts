import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { parseManifests, testbedTools, type K8sObject } from '@falco-airgap/test-support';
import { migrateOfficialValues } from './migrate.ts';
import { containerOf, envOf, falcoYamlOf, mountsOf, objectsOfKind, podSpecOf, theOne, workloadOf, type Container } from './test-support/manifests.ts';
import { upstreamChartValues, upstreamChartValuesFile, upstreamValuesFixtures } from './test-support/upstream-values.ts';
import { validateValues } from './validate.ts';

// What Falco needs from the pod, read against upstream Falco, libs and the container plugin, asserted on
// the rendered objects; and the upstream chart's values, as they are and migrated, through helm.

const tools = testbedTools();
const scratch = mkdtempSync(join(tmpdir(), 'falco-airgap-parity-'));
const namespace = 'falco-airgap-parity';
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
  tools.cleanup();
});
beforeAll(async () => {
  await tools.ensureNamespace(namespace);
  const crd = await tools.kubectl(['apply', '-f', join(import.meta.dirname, '..', 'test-fixtures', 'servicemonitor-crd.yaml')]);
  expect(crd.code).toBe(0);
});

let files = 0;
async function render(values: Record<string, unknown>, release = 'parity', extraArgs: string[] = []): Promise<{ objects: K8sObject[]; stream: string }> {
  const file = join(scratch, `values-${files++}.yaml`);
  writeFileSync(file, stringify(values));
  const result = await tools.template(release, namespace, ['-f', file, ...extraArgs]);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return { objects: parseManifests(result.stdout), stream: result.stdout };
}

async function serverAccepts(stream: string): Promise<void> {
  const result = await tools.kubectl(['apply', '--dry-run=server', '--validate=strict', '-f', '-'], { input: stream });
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
}

interface HostPathVolume {
  name: string;
  hostPath?: { path: string; type?: string };
}
const volumesOf = (objects: K8sObject[]) => (podSpecOf(workloadOf(objects)).volumes ?? []) as HostPathVolume[];
const falcoOf = (objects: K8sObject[]): Container => containerOf(podSpecOf(workloadOf(objects)), 'falco');
const mountOf = (container: Container, path: string) => container.volumeMounts?.find((m) => m.mountPath === path);

interface ContainerPluginConfig {
  engines: Record<string, { enabled: boolean; sockets?: string[] }>;
}

describe('container runtime sockets', () => {
  it('are written as paths on the node, which the container plugin prefixes with HOST_ROOT itself', async () => {
    const { objects } = await render({});
    const plugin = falcoYamlOf(objects, 'parity-falco-airgap').plugins.find((p) => p.name === 'container')!;
    const engines = (plugin.init_config as ContainerPluginConfig).engines;
    expect(engines.cri).toEqual({
      enabled: true,
      sockets: ['/run/containerd/containerd.sock', '/run/crio/crio.sock', '/run/k3s/containerd/containerd.sock', '/run/host-containerd/containerd.sock'],
    });
    expect(engines.containerd).toEqual({ enabled: true, sockets: ['/run/host-containerd/containerd.sock'] });
    expect(engines.podman).toEqual({ enabled: true, sockets: ['/run/podman/podman.sock'] });
    expect(engines.docker!.enabled).toBe(false);
    for (const name of ['lxc', 'libvirt_lxc', 'bpm']) expect(engines[name]).toEqual({ enabled: true });
    for (const socket of Object.values(engines).flatMap((e) => e.sockets ?? [])) expect(socket).not.toMatch(/^\/host\//);
    expect(envOf(falcoOf(objects)).HOST_ROOT).toBe('/host');
  });

  it('are mounted read-only under /host by their own directory, never a whole /run', async () => {
    const { objects } = await render({});
    const sockets = volumesOf(objects).filter((v) => v.name.startsWith('runtime-socket-'));
    expect(sockets.map((v) => v.hostPath)).toEqual([
      { path: '/run/containerd', type: 'DirectoryOrCreate' },
      { path: '/run/crio', type: 'DirectoryOrCreate' },
      { path: '/run/host-containerd', type: 'DirectoryOrCreate' },
      { path: '/run/k3s/containerd', type: 'DirectoryOrCreate' },
      { path: '/run/podman', type: 'DirectoryOrCreate' },
    ]);
    const falco = falcoOf(objects);
    for (const volume of sockets) expect(falco.volumeMounts).toContainEqual({ name: volume.name, mountPath: `/host${volume.hostPath!.path}`, readOnly: true });
  });

  it('mounts a socket that sits directly in /var/run as the file alone', async () => {
    const { objects } = await render({ collectors: { containerEngine: { engines: { docker: { enabled: true } } } } });
    const docker = volumesOf(objects).find((v) => v.hostPath?.path === '/var/run/docker.sock')!;
    expect(docker.hostPath).toEqual({ path: '/var/run/docker.sock' });
    expect(mountOf(falcoOf(objects), '/host/var/run/docker.sock')).toEqual({ name: docker.name, mountPath: '/host/var/run/docker.sock', readOnly: true });
    expect(volumesOf(objects).map((v) => v.hostPath?.path)).not.toContain('/var/run');
  });

  it('mounts no socket when the collectors are off, and loads no container plugin', async () => {
    const { objects } = await render({ collectors: { enabled: false } });
    expect(volumesOf(objects).filter((v) => v.name.startsWith('runtime-socket-'))).toEqual([]);
    expect(falcoYamlOf(objects, 'parity-falco-airgap').load_plugins).toEqual([]);
  });
});

describe('/sys/kernel for the TOCTOU mitigation (tracefs)', () => {
  it.each([
    ['modern_ebpf, privileged', { kind: 'modern_ebpf' }],
    ['modern_ebpf, least privileged', { kind: 'modern_ebpf', modernEbpf: { leastPrivileged: true } }],
    ['auto', { kind: 'auto' }],
  ])('is mounted read-only from the host for %s', async (_name, driver) => {
    const { objects } = await render({ driver });
    expect(volumesOf(objects).find((v) => v.name === 'sys-kernel-fs')).toEqual({ name: 'sys-kernel-fs', hostPath: { path: '/sys/kernel' } });
    expect(mountOf(falcoOf(objects), '/sys/kernel')).toEqual({ name: 'sys-kernel-fs', mountPath: '/sys/kernel', readOnly: true });
  });

  it('mounts only tracefs when driver.sysfsMountPath says so, and nothing with sysfsMount false or without a driver', async () => {
    const tracing = await render({ driver: { sysfsMountPath: '/sys/kernel/tracing' } });
    expect(mountOf(falcoOf(tracing.objects), '/sys/kernel/tracing')).toMatchObject({ readOnly: true });
    expect(mountOf(falcoOf(tracing.objects), '/sys/kernel')).toBeUndefined();
    const off = await render({ driver: { modernEbpf: { sysfsMount: false } } });
    expect(volumesOf(off.objects).find((v) => v.name === 'sys-kernel-fs')).toBeUndefined();
    const deployment = await render({ controller: { kind: 'deployment' }, driver: { enabled: false } });
    expect(volumesOf(deployment.objects).find((v) => v.name === 'sys-kernel-fs')).toBeUndefined();
  });
});

describe('extra.env and extra.args', () => {
  it('an extra.env entry replaces the variable the chart sets, once, through tpl', async () => {
    const { objects } = await render({
      extra: {
        env: [
          { name: 'FALCO_HOSTNAME', value: '{{ .Release.Name }}-eu-west-1' },
          { name: 'TZ', value: 'UTC' },
        ],
      },
    });
    const env = falcoOf(objects).env!;
    expect(env.filter((e) => e.name === 'FALCO_HOSTNAME')).toEqual([{ name: 'FALCO_HOSTNAME', value: 'parity-eu-west-1' }]);
    expect(env.map((e) => e.name)).toEqual(['FALCO_K8S_NODE_NAME', 'HOST_ROOT', 'FALCO_HOSTNAME', 'TZ']);
  });

  it('falcoHostnameEnv false leaves FALCO_HOSTNAME unset', async () => {
    const { objects } = await render({ falcoHostnameEnv: false });
    expect(falcoOf(objects).env!.map((e) => e.name)).toEqual(['FALCO_K8S_NODE_NAME', 'HOST_ROOT']);
  });

  it.each([
    ['sidecar', ['/usr/bin/falco']],
    ['none', ['/usr/bin/falco']],
    ['s3', ['/usr/bin/falco-s3-loader-entrypoint', '/usr/bin/falco']],
  ] as const)("are appended to Falco's own arguments under pluginStrategy %s", async (strategy, command) => {
    const s3 = strategy === 's3' ? { s3: { bucket: 'acme-falco-plugins', channel: 'prod' } } : {};
    const { objects } = await render({ pluginStrategy: strategy, ...s3, extra: { args: ['-o', 'log_level=debug'] } });
    const falco = falcoOf(objects);
    expect(falco.command).toEqual(command);
    expect(falco.args).toEqual(['-o', 'log_level=debug']);
  });
});

describe('rules files of the lock', () => {
  it('sidecar: the plugin loader installs them into a volume Falco reads them from, listed after falco_rules.yaml', async () => {
    const { objects } = await render({ customRules: { '50-site.yaml': '- list: site\n  items: []\n' } });
    const spec = podSpecOf(workloadOf(objects));
    const loader = containerOf(spec, 'plugin-loader');
    expect(envOf(loader).FALCO_PLUGIN_LOADER_RULES_DEST).toBe('/mnt/rules');
    expect(mountOf(loader, '/mnt/rules')).toEqual({ name: 'locked-rules', mountPath: '/mnt/rules' });
    expect(mountOf(falcoOf(objects), '/etc/falco/locked-rules.d')).toEqual({ name: 'locked-rules', mountPath: '/etc/falco/locked-rules.d', readOnly: true });
    expect(spec.volumes).toContainEqual({ name: 'locked-rules', emptyDir: {} });
    expect(falcoYamlOf(objects, 'parity-falco-airgap').rules_files).toEqual([
      '/etc/falco/falco_rules.yaml',
      '/etc/falco/locked-rules.d',
      '/etc/falco/falco_rules.local.yaml',
      '/etc/falco/rules.d/50-site.yaml',
    ]);
  });

  it('s3: the loader in the Falco container installs them (FALCO_S3_LOADER_RULES_DEST)', async () => {
    const { objects } = await render({ pluginStrategy: 's3', s3: { bucket: 'acme-falco-plugins', channel: 'prod' } });
    const falco = falcoOf(objects);
    expect(envOf(falco).FALCO_S3_LOADER_RULES_DEST).toBe('/etc/falco/locked-rules.d');
    expect(mountOf(falco, '/etc/falco/locked-rules.d')).toEqual({ name: 'locked-rules', mountPath: '/etc/falco/locked-rules.d', readOnly: false });
  });

  it('lockedRules.files lists them one by one in load order, where the locked-rules directory is listed', async () => {
    const { objects } = await render({
      lockedRules: { files: ['falco_rules.yaml', 'falco-incubating_rules.yaml'] },
      falco: { rules_files: ['/etc/falco/locked-rules.d', '/etc/falco/rules.d', '/etc/falco/site.yaml'] },
      customRules: { 'b.yaml': '[]', 'a.yaml': '[]' },
    });
    expect(falcoYamlOf(objects, 'parity-falco-airgap').rules_files).toEqual([
      '/etc/falco/locked-rules.d/falco_rules.yaml',
      '/etc/falco/locked-rules.d/falco-incubating_rules.yaml',
      '/etc/falco/rules.d/a.yaml',
      '/etc/falco/rules.d/b.yaml',
      '/etc/falco/site.yaml',
    ]);
  });

  it('are neither delivered nor listed under pluginStrategy none or with lockedRules.enabled false', async () => {
    for (const values of [{ pluginStrategy: 'none' }, { lockedRules: { enabled: false } }]) {
      const { objects } = await render(values);
      expect(JSON.stringify(objects)).not.toContain('locked-rules');
      expect(falcoYamlOf(objects, 'parity-falco-airgap').rules_files).toEqual(['/etc/falco/falco_rules.yaml', '/etc/falco/falco_rules.local.yaml']);
    }
  });
});

describe('keys of the upstream chart', () => {
  it('metrics.service and serviceMonitor.selector, targetLabels and endpointPort', async () => {
    const { objects, stream } = await render({
      metrics: { enabled: true, service: { labels: { team: 'security' }, ports: { metrics: { ipFamilyPolicy: 'PreferDualStack', ipFamilies: ['IPv4'] } } } },
      serviceMonitor: { create: true, selector: { team: 'security' }, targetLabels: ['team'], endpointPort: 'metrics' },
    });
    const service = theOne(objects, 'Service', 'parity-falco-airgap-metrics') as K8sObject & { spec: Record<string, unknown> };
    expect(service.metadata.labels).toMatchObject({ team: 'security', type: 'falco-metrics' });
    expect(service.spec).toMatchObject({ ipFamilyPolicy: 'PreferDualStack', ipFamilies: ['IPv4'] });
    const monitor = theOne(objects, 'ServiceMonitor') as K8sObject & { spec: { selector: { matchLabels: Record<string, string> }; targetLabels: string[] } };
    expect(monitor.spec.selector.matchLabels).toEqual({
      'app.kubernetes.io/name': 'falco-airgap',
      'app.kubernetes.io/instance': 'parity',
      type: 'falco-metrics',
      team: 'security',
    });
    expect(monitor.spec.targetLabels).toEqual(['team']);
    await serverAccepts(stream);
  });

  it('certs: Secrets from PEM text mounted where falco.webserver and falco.http_output look', async () => {
    const { objects, stream } = await render({
      certs: { server: { key: 'KEY\n', crt: 'CRT\n' }, ca: { crt: 'CA\n' }, client: { key: 'CKEY\n', crt: 'CCRT\n' } },
    });
    const secret = theOne(objects, 'Secret', 'parity-falco-airgap-certs') as K8sObject & { data: Record<string, string> };
    expect(Buffer.from(secret.data['falco.pem']!, 'base64').toString()).toBe('KEY\nCRT\n');
    expect(Object.keys((theOne(objects, 'Secret', 'parity-falco-airgap-client-certs') as K8sObject & { data: object }).data).sort()).toEqual([
      'ca.crt',
      'ca.pem',
      'client.crt',
      'client.key',
      'falcoclient.pem',
    ]);
    expect(mountsOf(falcoOf(objects))).toMatchObject({ '/etc/falco/certs': 'certs', '/etc/falco/certs/client': 'client-certs' });
    await serverAccepts(stream);
  });

  it('collectors.kubernetes loads the k8smeta plugin against the k8s-metacollector of the release', async () => {
    const { objects } = await render({ collectors: { kubernetes: { enabled: true } } });
    const falco = falcoYamlOf(objects, 'parity-falco-airgap');
    expect(falco.load_plugins).toEqual(['container', 'k8smeta']);
    expect(falco.plugins.find((p) => p.name === 'k8smeta')).toEqual({
      name: 'k8smeta',
      library_path: 'libk8smeta.so',
      init_config: {
        collectorHostname: `parity-k8s-metacollector.${namespace}.svc`,
        collectorPort: 45000,
        nodeName: '${FALCO_K8S_NODE_NAME}',
        verbosity: 'info',
        hostProc: '/host',
      },
    });
  });

  it('imagePullSecrets, serviceAccount.imagePullSecrets, podHostname and scc (on OpenShift only)', async () => {
    const values = {
      imagePullSecrets: [{ name: 'upstream' }],
      global: { imagePullSecrets: [{ name: 'regcred' }] },
      serviceAccount: { imagePullSecrets: [{ name: 'sa' }] },
      podHostname: 'falco',
    };
    const { objects } = await render(values);
    expect(podSpecOf(workloadOf(objects)).imagePullSecrets).toEqual([{ name: 'regcred' }, { name: 'upstream' }]);
    expect((theOne(objects, 'ServiceAccount') as K8sObject & { imagePullSecrets: unknown }).imagePullSecrets).toEqual([{ name: 'regcred' }, { name: 'sa' }]);
    expect((podSpecOf(workloadOf(objects)) as unknown as { hostname: string }).hostname).toBe('falco');
    expect(objectsOfKind(objects, 'SecurityContextConstraints')).toEqual([]);
    const openshift = await render(values, 'parity', ['--api-versions', 'security.openshift.io/v1']);
    expect(theOne(openshift.objects, 'SecurityContextConstraints')).toMatchObject({
      users: [`system:serviceaccount:${namespace}:parity-falco-airgap`],
      allowPrivilegedContainer: true,
    });
  });

  it('nameOverride falco gives the objects the upstream names and selector labels', async () => {
    const { objects } = await render({ nameOverride: 'falco' }, 'falco');
    const daemonSet = workloadOf(objects) as K8sObject & { spec: { selector: { matchLabels: Record<string, string> } } };
    expect(daemonSet.metadata.name).toBe('falco');
    expect(daemonSet.spec.selector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'falco', 'app.kubernetes.io/instance': 'falco' });
  });
});

describe('the upstream chart values.yaml (falco 9.1.0)', () => {
  it('renders as it is once the keys of what air-gap mode does differently are taken out', async () => {
    const official = upstreamChartValues();
    const refused = new Set(validateValues(official).map((i) => i.path));
    for (const key of Object.keys(official)) if (refused.has(key)) delete official[key];
    const collectors = official.collectors as { containerEngine: Record<string, unknown>; kubernetes: Record<string, unknown> };
    delete collectors.containerEngine.pluginRef;
    delete collectors.kubernetes.pluginRef;
    // The upstream subchart's own keys; this chart's falcosidekick has its own.
    const falcosidekick = official.falcosidekick as Record<string, unknown>;
    delete falcosidekick.fullfqdn;
    delete falcosidekick.listenPort;
    expect(validateValues(official)).toEqual([]);
    const { stream } = await render(official, 'falco');
    await serverAccepts(stream);
  });

  it('migrated, renders what it says, and the server accepts it', async () => {
    const { values } = migrateOfficialValues(parse(readFileSync(upstreamChartValuesFile, 'utf8')));
    const { objects, stream } = await render(values, 'falco');
    expect(workloadOf(objects).metadata.name).toBe('falco');
    expect(falcoYamlOf(objects, 'falco').engine.kind).toBe('modern_ebpf');
    expect(containerOf(podSpecOf(workloadOf(objects)), 'driver-loader').args![0]).toContain('--type=modern_ebpf --type=kmod');
    await serverAccepts(stream);
  });

  it.each(upstreamValuesFixtures())('a realistic upstream values file, $name, migrated, renders and the server accepts it', async (fixture) => {
    const { values } = migrateOfficialValues(parse(fixture.text));
    const { stream } = await render(values, 'falco');
    await serverAccepts(stream);
  });
});

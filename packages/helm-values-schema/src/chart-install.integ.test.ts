import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { containerOf, envOf, type PodSpec } from './test-support/manifests.ts';
import { chartPath, testbedTools, type K8sObject } from '@falco-airgap/test-support';

// helm install, then helm upgrade, of the sidecar and s3 variants against the testbed API server;
// kwok plays the kubelet, so the DaemonSet pods become Ready without pulling any image.

const tools = testbedTools();
afterAll(() => tools.cleanup());

interface Workload extends K8sObject {
  metadata: K8sObject['metadata'] & { generation: number };
  spec: { template: { metadata: { annotations: Record<string, string> }; spec: PodSpec } };
  status: { desiredNumberScheduled: number; numberReady: number; updatedNumberScheduled: number; observedGeneration: number };
}

interface PodList {
  items: (K8sObject & {
    spec: PodSpec & { nodeName: string };
    status: { phase: string; conditions?: { type: string; status: string }[] };
    metadata: K8sObject['metadata'] & { annotations: Record<string, string>; deletionTimestamp?: string };
  })[];
}

const file = (name: string) => join(chartPath, name);

const variants = [
  {
    strategy: 'sidecar',
    install: [file('values-minikube.yaml'), file('environments/dev.yaml')],
    upgrade: [file('values-minikube.yaml'), file('environments/prod.yaml')],
  },
  {
    strategy: 's3',
    install: [file('values-eks.yaml'), file('environments/staging.yaml')],
    upgrade: [file('values-eks.yaml'), file('environments/prod.yaml')],
  },
] as const;

describe.each(variants)('helm install and upgrade, pluginStrategy $strategy', (variant) => {
  const release = `it-${variant.strategy}`;
  const namespace = `falco-airgap-it-${variant.strategy}`;
  const fullname = `${release}-falco-airgap`;
  const valuesArgs = (files: readonly string[]) => files.flatMap((f) => ['-f', f]);
  const ns = ['--namespace', namespace];

  const daemonSet = () => tools.kubectlJson<Workload>(['get', 'daemonset', fullname, ...ns]);
  const falcoYaml = async () =>
    parse((await tools.kubectlJson<{ data: { 'falco.yaml': string } }>(['get', 'configmap', fullname, ...ns])).data['falco.yaml']) as Record<string, unknown>;
  const livePods = async () =>
    (await tools.kubectlJson<PodList>(['get', 'pods', ...ns, '-l', `app.kubernetes.io/instance=${release}`])).items.filter(
      (p) => !p.metadata.deletionTimestamp,
    );
  const ready = (pod: PodList['items'][number]) =>
    pod.status.phase === 'Running' && pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');

  beforeAll(async () => {
    await tools.ensureNamespace(namespace);
    await tools.kubectl(['apply', '-f', join(import.meta.dirname, '..', 'test-fixtures', 'servicemonitor-crd.yaml')]);
    await tools.kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd/servicemonitors.monitoring.coreos.com']);
    // The namespace is reused between runs: start from no release.
    await tools.helm(['uninstall', release, ...ns, '--wait', '--ignore-not-found']);
  });
  afterAll(async () => {
    await tools.helm(['uninstall', release, ...ns, '--wait', '--ignore-not-found']);
  });

  let installedChecksum = '';

  it('installs and waits for the DaemonSet to be ready', async () => {
    const result = await tools.helm(['install', release, chartPath, ...ns, ...valuesArgs(variant.install), '--wait', '--timeout', '3m']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('STATUS: deployed');
    expect(result.stdout).toContain(`Falco 0.44.1 is deployed as a daemonset "${fullname}" in namespace ${namespace}.`);
    expect(result.stdout).toContain('Loaded:  container');
    expect(result.stdout).toContain(
      variant.strategy === 'sidecar'
        ? 'Plugins: from the plugin-loader init container, localhost:5000/falco-plugin-loader:0.44.1'
        : 'Plugins: from s3://acme-falco-plugins/falco-airgap, channel staging (on S3 failure: use-cached)',
    );
  });

  it('leaves the ConfigMap, ServiceAccount, ClusterRole, binding and Service it rendered', async () => {
    const owned = (object: K8sObject) => {
      expect(object.metadata.labels?.['app.kubernetes.io/managed-by']).toBe('Helm');
      expect(object.metadata.annotations?.['meta.helm.sh/release-name']).toBe(release);
    };
    const serviceAccount = await tools.kubectlJson(['get', 'serviceaccount', fullname, ...ns]);
    owned(serviceAccount);
    if (variant.strategy === 's3')
      expect(serviceAccount.metadata.annotations?.['eks.amazonaws.com/role-arn']).toBe('arn:aws:iam::123456789012:role/falco-plugins-reader');
    const role = await tools.kubectlJson<K8sObject & { rules?: unknown[] }>(['get', 'clusterrole', fullname]);
    owned(role);
    expect(role.rules ?? []).toEqual([]);
    const binding = await tools.kubectlJson<K8sObject & { subjects: unknown[] }>(['get', 'clusterrolebinding', fullname]);
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: fullname, namespace }]);
    const service = await tools.kubectlJson<K8sObject & { spec: { ports: { name: string; port: number }[] } }>(['get', 'service', fullname, ...ns]);
    expect(service.spec.ports.map((p) => [p.name, p.port])).toEqual([['web', 8765]]);
    const falco = await falcoYaml();
    expect(falco).toMatchObject({ engine: { kind: 'modern_ebpf' }, load_plugins: ['container'], json_output: true });
    if (variant.strategy === 's3') {
      const monitor = await tools.kubectlJson<K8sObject & { spec: { endpoints: { port: string }[] } }>(['get', 'servicemonitor', fullname, ...ns]);
      expect(monitor.metadata.labels?.release).toBe('kube-prometheus-stack');
      expect(monitor.spec.endpoints[0]!.port).toBe('metrics');
      expect(falco).toMatchObject({ metrics: { enabled: true, interval: '15m' }, webserver: { prometheus_metrics_enabled: true } });
    }
  });

  it('has kwok report one ready Falco pod per node, built as the strategy says', async () => {
    const ds = await daemonSet();
    expect(ds.status).toMatchObject({ desiredNumberScheduled: 2, numberReady: 2, updatedNumberScheduled: 2 });
    installedChecksum = ds.spec.template.metadata.annotations['checksum/config']!;
    const pods = await livePods();
    expect(pods.map((p) => p.spec.nodeName).sort()).toEqual(['kwok-node-0', 'kwok-node-1']);
    for (const pod of pods) {
      expect(ready(pod), pod.metadata.name).toBe(true);
      const falco = containerOf(pod.spec, 'falco');
      if (variant.strategy === 'sidecar') {
        expect(falco.image).toBe('localhost:5000/falco:0.44.1');
        expect(containerOf(pod.spec, 'plugin-loader').image).toBe('localhost:5000/falco-plugin-loader:0.44.1');
      } else {
        expect(falco.image).toBe('123456789012.dkr.ecr.eu-west-1.amazonaws.com/falco-airgap/falco-s3-loader:0.44.1');
        expect(envOf(falco)).toMatchObject({
          FALCO_S3_LOADER_BUCKET: 'acme-falco-plugins',
          FALCO_S3_LOADER_CHANNEL: 'staging',
          FALCO_S3_LOADER_ON_UNAVAILABLE: 'use-cached',
        });
        expect(falco.securityContext?.capabilities?.add).toEqual(['BPF', 'PERFMON', 'SYS_RESOURCE', 'SYS_PTRACE']);
      }
    }
  });

  it('upgrades to the prod layer and rolls every pod onto the new configuration', async () => {
    const result = await tools.helm(['upgrade', release, chartPath, ...ns, ...valuesArgs(variant.upgrade), '--wait', '--timeout', '3m']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('REVISION: 2');

    const rules = await tools.kubectlJson<{ data: Record<string, string> }>(['get', 'configmap', `${fullname}-rules`, ...ns]);
    expect(Object.keys(rules.data)).toEqual(['50-acme-trusted-images.yaml']);
    const falco = await falcoYaml();
    expect(falco).toMatchObject({
      priority: 'notice',
      rules_files: [
        '/etc/falco/falco_rules.yaml',
        '/etc/falco/locked-rules.d',
        '/etc/falco/falco_rules.local.yaml',
        '/etc/falco/rules.d/50-acme-trusted-images.yaml',
      ],
    });

    const ds = await daemonSet();
    expect(ds.status.observedGeneration).toBe(ds.metadata.generation);
    expect(ds.status).toMatchObject({ desiredNumberScheduled: 2, numberReady: 2, updatedNumberScheduled: 2 });
    const checksum = ds.spec.template.metadata.annotations['checksum/config'];
    expect(checksum).not.toBe(installedChecksum);

    // The DaemonSet controller replaces pods one node at a time; wait until only new ones are left.
    let pods = await livePods();
    for (let i = 0; i < 60 && !(pods.length === 2 && pods.every((p) => p.metadata.annotations['checksum/config'] === checksum && ready(p))); i++) {
      await new Promise((r) => setTimeout(r, 1000));
      pods = await livePods();
    }
    expect(pods.map((p) => [p.metadata.annotations['checksum/config'], ready(p)])).toEqual([
      [checksum, true],
      [checksum, true],
    ]);
    const falcoContainer = containerOf(pods[0]!.spec, 'falco');
    expect(falcoContainer.volumeMounts).toContainEqual({ name: 'custom-rules', mountPath: '/etc/falco/rules.d', readOnly: true });
    if (variant.strategy === 's3') expect(envOf(falcoContainer).FALCO_S3_LOADER_CHANNEL).toBe('prod');

    const history = await tools.helm(['history', release, ...ns, '-o', 'json']);
    expect((JSON.parse(history.stdout) as { revision: number; status: string }[]).map((h) => [h.revision, h.status])).toEqual([
      [1, 'superseded'],
      [2, 'deployed'],
    ]);
  });
});

import { parse } from 'yaml';
import type { K8sObject } from '@falco-airgap/test-support';

// Typed views into rendered objects, so the tests read like the objects they check.

export interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: unknown }[];
  envFrom?: { secretRef?: { name: string } }[];
  ports?: { name: string; containerPort: number }[];
  securityContext?: { privileged?: boolean; capabilities?: { add?: string[]; drop?: string[] }; seccompProfile?: { type: string } };
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
  readinessProbe?: unknown;
}

export interface Volume {
  name: string;
  hostPath?: { path: string; type?: string };
  emptyDir?: object;
  configMap?: { name: string };
}

export interface PodSpec {
  serviceAccountName: string;
  automountServiceAccountToken?: boolean;
  hostNetwork?: boolean;
  initContainers?: Container[];
  containers: Container[];
  volumes?: Volume[];
  imagePullSecrets?: { name: string }[];
  tolerations?: unknown[];
}

export function objectsOfKind(objects: readonly K8sObject[], kind: string): K8sObject[] {
  return objects.filter((o) => o.kind === kind);
}

export function theOne(objects: readonly K8sObject[], kind: string, name?: string): K8sObject {
  const found = objectsOfKind(objects, kind).filter((o) => name === undefined || o.metadata.name === name);
  if (found.length !== 1)
    throw new Error(`expected one ${kind}${name ? ` ${name}` : ''}, found ${found.length}: ${found.map((o) => o.metadata.name).join(', ')}`);
  return found[0]!;
}

export function workloadOf(objects: readonly K8sObject[]): K8sObject {
  const workloads = objects.filter((o) => o.kind === 'DaemonSet' || o.kind === 'Deployment');
  if (workloads.length !== 1) throw new Error(`expected one DaemonSet or Deployment, found ${workloads.length}`);
  return workloads[0]!;
}

export function podSpecOf(workload: K8sObject): PodSpec {
  return (workload as unknown as { spec: { template: { spec: PodSpec } } }).spec.template.spec;
}

export function podAnnotationsOf(workload: K8sObject): Record<string, string> {
  return (workload as unknown as { spec: { template: { metadata: { annotations: Record<string, string> } } } }).spec.template.metadata.annotations;
}

export function containerOf(spec: PodSpec, name: string): Container {
  const container = [...(spec.initContainers ?? []), ...spec.containers].find((c) => c.name === name);
  if (!container) throw new Error(`no container ${name}`);
  return container;
}

export function envOf(container: Container): Record<string, string | undefined> {
  return Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value]));
}

export function mountsOf(container: Container): Record<string, string> {
  return Object.fromEntries((container.volumeMounts ?? []).map((m) => [m.mountPath, m.name]));
}

export function allImages(objects: readonly K8sObject[]): string[] {
  const specs = objects.flatMap((o) => {
    if (o.kind === 'Pod') return [(o as unknown as { spec: PodSpec }).spec];
    if (o.kind === 'DaemonSet' || o.kind === 'Deployment') return [podSpecOf(o)];
    return [];
  });
  return specs.flatMap((spec) => [...(spec.initContainers ?? []), ...spec.containers].map((c) => c.image));
}

/** falco.yaml from the chart's ConfigMap, parsed. */
export function falcoYamlOf(
  objects: readonly K8sObject[],
  fullname: string,
): Record<string, unknown> & {
  engine: { kind: string } & Record<string, unknown>;
  load_plugins: string[];
  plugins: { name: string; library_path: string; init_config?: unknown; open_params?: string }[];
  rules_files: string[];
  config_files: string[];
  webserver: Record<string, unknown>;
  metrics: { enabled: boolean } & Record<string, unknown>;
} {
  const configMap = theOne(objects, 'ConfigMap', fullname) as unknown as { data: { 'falco.yaml': string } };
  return parse(configMap.data['falco.yaml']);
}

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseManifests, testbedTools, type K8sObject } from '@falco-airgap/test-support';
import { FALCOSIDEKICK_VERSION } from './schema/falcosidekick.ts';
import { allImages, falcoYamlOf, objectsOfKind, podSpecOf, theOne, type Container, type PodSpec } from './test-support/manifests.ts';

// Falcosidekick as the chart renders it with the testbed's helm, and as the testbed API server accepts it
// (server-side dry-run): Falco's alerts to it as JSON, its webhook to the event ingestor with the cluster's
// token from a Secret, or to a custom webhook instead, least privilege, and images re-pointed like Falco's.

const tools = testbedTools();
const scratch = mkdtempSync(join(tmpdir(), 'falco-airgap-sidekick-'));
const namespace = 'falco-airgap-sidekick';
const registry = 'registry.internal:5000/airgap';
const INGESTOR = 'https://events.fleet.internal/api/v1/events';
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
  tools.cleanup();
});
beforeAll(() => tools.ensureNamespace(namespace));

let files = 0;
async function render(values: Record<string, unknown>): Promise<{ objects: K8sObject[]; stream: string }> {
  const file = join(scratch, `values-${files++}.yaml`);
  writeFileSync(file, stringify(values));
  const result = await tools.template('fleet', namespace, ['-f', file]);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return { objects: parseManifests(result.stdout), stream: result.stdout };
}

async function serverAccepts(objects: K8sObject[]): Promise<string[]> {
  const stream = objects.map((object) => `---\n${stringify(object)}`).join('');
  const result = await tools.kubectl(['apply', '--dry-run=server', '--validate=strict', '-f', '-'], { input: stream });
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return result.stdout.trim().split('\n');
}

const SIDEKICK = 'fleet-falco-airgap-falcosidekick';
const sidekickObjects = (objects: K8sObject[]) => objects.filter((o) => o.metadata.name.startsWith(SIDEKICK));
const deploymentOf = (objects: K8sObject[]) => theOne(objects, 'Deployment', SIDEKICK);
const sidekickContainer = (objects: K8sObject[]): Container & { env: { name: string; value?: string; valueFrom?: unknown }[] } =>
  podSpecOf(deploymentOf(objects)).containers[0] as never;
const envNamed = (objects: K8sObject[]) => Object.fromEntries(sidekickContainer(objects).env.map((e) => [e.name, e.value ?? e.valueFrom]));

describe('falcosidekick.enabled, posting to the event ingestor', () => {
  const values = {
    global: { imageRegistry: registry, imagePullSecrets: [{ name: 'regcred' }] },
    falcosidekick: { enabled: true, ingestor: { url: INGESTOR, tokenSecret: { name: 'fleet-cluster-token', key: 'jwt' } } },
  };

  it('deploys a Deployment, a Service and its own ServiceAccount, accepted by the API server, and no role', async () => {
    const { objects } = await render(values);
    expect(
      sidekickObjects(objects)
        .map((o) => o.kind)
        .sort(),
    ).toEqual(['Deployment', 'Service', 'ServiceAccount']);
    expect((await serverAccepts(sidekickObjects(objects))).every((line) => line.endsWith('(server dry run)'))).toBe(true);
    // The roles the chart renders are Falco's, bound to Falco's ServiceAccount only.
    for (const binding of objectsOfKind(objects, 'ClusterRoleBinding')) {
      expect((binding as unknown as { subjects: { name: string }[] }).subjects.map((s) => s.name)).toEqual(['fleet-falco-airgap']);
    }
    expect(objectsOfKind(objects, 'RoleBinding')).toEqual([]);
  });

  it('runs with least privilege: no API token, non-root, read-only root, no capabilities, bounded resources', async () => {
    const { objects } = await render(values);
    const account = theOne(objects, 'ServiceAccount', SIDEKICK) as unknown as { automountServiceAccountToken: boolean };
    expect(account.automountServiceAccountToken).toBe(false);
    const spec = podSpecOf(deploymentOf(objects)) as PodSpec & { securityContext: Record<string, unknown> };
    expect(spec).toMatchObject({ serviceAccountName: SIDEKICK, automountServiceAccountToken: false, imagePullSecrets: [{ name: 'regcred' }] });
    expect(spec.securityContext).toEqual({ runAsNonRoot: true, runAsUser: 1234, runAsGroup: 1234, seccompProfile: { type: 'RuntimeDefault' } });
    const container = sidekickContainer(objects) as Container & { resources: { limits: Record<string, string> }; securityContext: Record<string, unknown> };
    expect(container.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(container.resources.limits).toEqual({ cpu: '500m', memory: '128Mi' });
  });

  it("posts to the ingestor with the cluster's bearer token read from the Secret, never written into the objects", async () => {
    const { objects } = await render(values);
    const env = envNamed(objects);
    expect(env).toEqual({
      LISTENPORT: '2801',
      WEBHOOK_ADDRESS: INGESTOR,
      WEBHOOK_CHECKCERT: 'true',
      FALCO_AIRGAP_INGESTOR_TOKEN: { secretKeyRef: { name: 'fleet-cluster-token', key: 'jwt' } },
      WEBHOOK_CUSTOMHEADERS: 'Authorization:Bearer $(FALCO_AIRGAP_INGESTOR_TOKEN)',
    });
    // Kubernetes expands $(NAME) only from variables defined before it.
    const names = sidekickContainer(objects).env.map((e) => e.name);
    expect(names.indexOf('FALCO_AIRGAP_INGESTOR_TOKEN')).toBeLessThan(names.indexOf('WEBHOOK_CUSTOMHEADERS'));
    expect(objectsOfKind(objects, 'Secret')).toEqual([]);
  });

  it('creates the token Secret from falcosidekick.ingestor.token when no existing Secret is named', async () => {
    const { objects } = await render({ falcosidekick: { enabled: true, ingestor: { url: INGESTOR, token: 'eyJhbGciOiJFUzI1NiJ9.e30.c2ln' } } });
    const secret = theOne(objects, 'Secret', `${SIDEKICK}-token`) as unknown as { data: Record<string, string> };
    expect(Buffer.from(secret.data.token!, 'base64').toString()).toBe('eyJhbGciOiJFUzI1NiJ9.e30.c2ln');
    expect(envNamed(objects).FALCO_AIRGAP_INGESTOR_TOKEN).toEqual({ secretKeyRef: { name: `${SIDEKICK}-token`, key: 'token' } });
    await serverAccepts(sidekickObjects(objects));
  });

  it('points Falco at the Service with JSON alerts', async () => {
    const { objects } = await render(values);
    const falco = falcoYamlOf(objects, 'fleet-falco-airgap');
    expect(falco).toMatchObject({
      json_output: true,
      json_include_output_property: true,
      http_output: { enabled: true, url: `http://${SIDEKICK}.${namespace}.svc:2801/` },
    });
    const service = theOne(objects, 'Service', SIDEKICK) as unknown as { spec: { type: string; selector: Record<string, string>; ports: unknown[] } };
    expect(service.spec).toMatchObject({ type: 'ClusterIP', ports: [{ name: 'http', port: 2801, targetPort: 'http', protocol: 'TCP' }] });
    // Its pods are apart from Falco's: neither selector matches the other's pods.
    const falcoSelector = (theOne(objects, 'DaemonSet') as unknown as { spec: { selector: { matchLabels: Record<string, string> } } }).spec.selector
      .matchLabels;
    expect(service.spec.selector).not.toEqual(falcoSelector);
    expect(service.spec.selector).toEqual((deploymentOf(objects) as unknown as { spec: { selector: { matchLabels: unknown } } }).spec.selector.matchLabels);
  });

  it('re-points its image with global.imageRegistry like every other image, and honours a digest', async () => {
    const { objects } = await render(values);
    expect(sidekickContainer(objects).image).toBe(`${registry}/falcosidekick:${FALCOSIDEKICK_VERSION}`);
    for (const image of allImages(objects)) expect(image.startsWith(`${registry}/`)).toBe(true);
    const digest = `sha256:${'ab'.repeat(32)}`;
    const pinned = await render({ ...values, falcosidekick: { ...values.falcosidekick, image: { digest } } });
    expect(sidekickContainer(pinned.objects).image).toBe(`${registry}/falcosidekick@${digest}`);
  });
});

describe('falcosidekick.customWebhook', () => {
  it('sends the alerts there instead: no ingestor URL, no token, no Secret anywhere in the render', async () => {
    const { objects, stream } = await render({
      falcosidekick: {
        enabled: true,
        ingestor: { url: INGESTOR, tokenSecret: { name: 'fleet-cluster-token' } },
        customWebhook: { address: 'https://siem.example.internal/falco', customHeaders: { 'X-Tenant': 'eu-1', 'X-Api-Key': 'c2VjcmV0' }, checkCerts: false },
      },
    });
    expect(envNamed(objects)).toEqual({
      LISTENPORT: '2801',
      WEBHOOK_ADDRESS: 'https://siem.example.internal/falco',
      WEBHOOK_CHECKCERT: 'false',
      WEBHOOK_CUSTOMHEADERS: 'X-Api-Key:c2VjcmV0,X-Tenant:eu-1',
    });
    expect(stream).not.toContain(INGESTOR);
    expect(stream).not.toContain('fleet-cluster-token');
    expect(stream).not.toContain('Authorization');
    expect(objectsOfKind(objects, 'Secret')).toEqual([]);
    await serverAccepts(sidekickObjects(objects));
  });

  it('lets extraEnv replace a variable the chart sets and add another output', async () => {
    const { objects } = await render({
      falcosidekick: {
        enabled: true,
        customWebhook: { address: 'https://siem.example.internal/falco' },
        minimumPriority: 'warning',
        extraEnv: [
          { name: 'WEBHOOK_CHECKCERT', value: 'false' },
          { name: 'CUSTOMFIELDS', value: 'cluster:eu-1' },
        ],
      },
    });
    expect(envNamed(objects)).toEqual({
      LISTENPORT: '2801',
      WEBHOOK_ADDRESS: 'https://siem.example.internal/falco',
      WEBHOOK_MINIMUMPRIORITY: 'warning',
      WEBHOOK_CHECKCERT: 'false',
      CUSTOMFIELDS: 'cluster:eu-1',
    });
  });
});

describe('falcosidekick disabled (the default)', () => {
  it('renders nothing of it and leaves http_output alone', async () => {
    const { objects } = await render({});
    expect(sidekickObjects(objects)).toEqual([]);
    expect(falcoYamlOf(objects, 'fleet-falco-airgap')).toMatchObject({ json_output: false, http_output: { enabled: false, url: '' } });
  });
});

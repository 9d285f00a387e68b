import { repoRoot } from '@falco-airgap/testbed/env';
import { parseManifests, testbedTools, type K8sObject, type TestbedTools } from '@falco-airgap/test-support';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import packageJson from '../package.json' with { type: 'json' };
import { parseIngestorArgs } from './config.ts';
import { createKeyRing, type KeyRing } from './test-support/harness.ts';

const CHART = join(repoRoot, 'helm', 'falco-event-ingestor');
let tools: TestbedTools;
let keys: KeyRing;
let dir: string;
let valuesFile: string;
const namespace = `ingestor-chart-${randomBytes(3).toString('hex')}`;

interface Container {
  image: string;
  env: { name: string; value?: string; valueFrom?: { secretKeyRef: { name: string; key: string } } }[];
  securityContext: Record<string, unknown>;
  livenessProbe: { httpGet: { path: string } };
  readinessProbe: { httpGet: { path: string } };
  startupProbe: { httpGet: { path: string } };
  volumeMounts: { name: string; mountPath: string }[];
}
interface PodSpec {
  automountServiceAccountToken: boolean;
  serviceAccountName: string;
  securityContext: Record<string, unknown>;
  containers: Container[];
  volumes: { name: string; secret?: { secretName: string } }[];
}

beforeAll(async () => {
  tools = testbedTools();
  keys = await createKeyRing(['k1']);
  dir = await mkdtemp(join(tmpdir(), 'ingestor-chart-'));
  valuesFile = join(dir, 'values.yaml');
  // JSON is YAML: helm reads it as a values file.
  await writeFile(
    valuesFile,
    JSON.stringify({
      database: { url: 'postgres://ingestor:secret@db.example:5432/falco_events' },
      jwks: { content: await readFile(keys.jwksFile, 'utf8') },
      operatorTokens: { content: JSON.stringify({ operators: [{ name: 'secops', token: 'x'.repeat(40), clusters: ['*'] }] }) },
    }),
  );
});

afterAll(async () => {
  await tools?.kubectl(['delete', 'namespace', namespace, '--wait=false', '--ignore-not-found']);
  tools?.cleanup();
  await keys?.remove();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function render(args: string[] = []): Promise<K8sObject[]> {
  const result = await tools.template('events', namespace, ['--values', valuesFile, ...args], CHART);
  if (result.code !== 0) throw new Error(`helm template failed: ${result.stderr}`);
  return parseManifests(result.stdout);
}

const find = (objects: K8sObject[], kind: string) => objects.filter((o) => o.kind === kind);
const podSpec = (objects: K8sObject[]) => (find(objects, 'Deployment')[0] as unknown as { spec: { template: { spec: PodSpec } } }).spec.template.spec;

describe('helm/falco-event-ingestor', () => {
  it('lints clean', async () => {
    const result = await tools.helm(['lint', CHART, '--strict', '--values', valuesFile]);
    expect(result.stderr + result.stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
    expect(result.code).toBe(0);
  });

  it('renders a least-privilege Deployment with probes, an HPA, a Service, and its inputs from Secrets', async () => {
    const objects = await render();
    expect(objects.map((o) => o.kind).sort()).toEqual(['Deployment', 'HorizontalPodAutoscaler', 'Secret', 'Secret', 'Secret', 'Service', 'ServiceAccount']);
    const deployment = find(objects, 'Deployment')[0] as unknown as { spec: { replicas?: number } };
    // The HPA owns the replica count.
    expect(deployment.spec.replicas).toBeUndefined();
    expect((find(objects, 'HorizontalPodAutoscaler')[0] as unknown as { spec: { minReplicas: number } }).spec.minReplicas).toBe(2);
    const pod = podSpec(objects);
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(find(objects, 'ServiceAccount')[0]).toMatchObject({ automountServiceAccountToken: false });
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: 'RuntimeDefault' } });
    const [container] = pod.containers as [Container];
    expect(container.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      privileged: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    expect([container.livenessProbe.httpGet.path, container.readinessProbe.httpGet.path, container.startupProbe.httpGet.path]).toEqual([
      '/healthz',
      '/readyz',
      '/healthz',
    ]);
    expect(container.image).toBe(`localhost:5000/falco-event-ingestor:${packageJson.version}`);
    expect(container.env.find((e) => e.name === 'FALCO_EVENT_INGESTOR_DATABASE_URL')).toEqual({
      name: 'FALCO_EVENT_INGESTOR_DATABASE_URL',
      valueFrom: { secretKeyRef: { name: 'events-falco-event-ingestor-database', key: 'url' } },
    });
    expect(pod.volumes.filter((v) => v.secret).map((v) => v.secret!.secretName)).toEqual([
      'events-falco-event-ingestor-jwks',
      'events-falco-event-ingestor-operatortokens',
    ]);
    expect(find(objects, 'ServiceMonitor')).toEqual([]);
  });

  it('sets only variables the ingestor reads, to values it accepts', async () => {
    const [container] = podSpec(await render()).containers as [Container];
    const env = Object.fromEntries(container.env.map((e) => [e.name, e.value ?? 'postgres://from-the-secret:5432/db']));
    const parsed = parseIngestorArgs([], env);
    expect(parsed).toMatchObject({
      kind: 'run',
      config: {
        jwksFile: '/etc/falco-event-ingestor/jwks/jwks.json',
        operatorTokensFile: '/etc/falco-event-ingestor/operators/operators.json',
        retentionDays: 30,
        port: 8080,
        viewSecureCookie: 'auto',
        viewSignInFailuresPerOperator: 5,
        viewSignInFailuresPerAddress: 20,
        viewSignInWindowSeconds: 900,
      },
    });
    const mounts = container.volumeMounts.map((m) => m.mountPath);
    expect(mounts).toEqual(expect.arrayContaining(['/etc/falco-event-ingestor/jwks', '/etc/falco-event-ingestor/operators']));
  });

  it('honours global.imageRegistry and a digest, uses existing Secrets, and adds a ServiceMonitor on request', async () => {
    const digest = `sha256:${'ab'.repeat(32)}`;
    const objects = await render([
      '--set',
      'global.imageRegistry=registry.corp.example/mirror',
      '--set',
      `image.digest=${digest}`,
      '--set',
      'database.existingSecret=pg-url',
      '--set',
      'jwks.existingSecret=fleet-jwks',
      '--set',
      'operatorTokens.existingSecret=view-operators',
      '--set',
      'serviceMonitor.enabled=true',
      '--set',
      'autoscaling.enabled=false',
      '--set',
      'replicaCount=3',
    ]);
    expect(find(objects, 'Secret')).toEqual([]);
    expect(find(objects, 'HorizontalPodAutoscaler')).toEqual([]);
    expect((find(objects, 'Deployment')[0] as unknown as { spec: { replicas: number } }).spec.replicas).toBe(3);
    const pod = podSpec(objects);
    expect(pod.containers[0]!.image).toBe(`registry.corp.example/mirror/falco-event-ingestor@${digest}`);
    expect(pod.volumes.filter((v) => v.secret).map((v) => v.secret!.secretName)).toEqual(['fleet-jwks', 'view-operators']);
    expect(find(objects, 'ServiceMonitor')[0]).toMatchObject({ spec: { endpoints: [{ port: 'http', path: '/metrics' }] } });
  });

  it('refuses to render without a database or a JWKS, saying what to set', async () => {
    const bare = await tools.template('events', namespace, [], CHART);
    expect(bare.code).not.toBe(0);
    expect(bare.stderr).toContain('set database.existingSecret');
    const noJwks = await tools.template('events', namespace, ['--set', 'database.existingSecret=pg-url'], CHART);
    expect(noJwks.stderr).toContain('set jwks.existingSecret');
  });

  it('passes a server-side dry run against the testbed API server', async () => {
    await tools.ensureNamespace(namespace);
    const result = await tools.helm(['template', 'events', CHART, '--namespace', namespace, '--values', valuesFile, '--set', 'serviceMonitor.enabled=true']);
    expect(result.code).toBe(0);
    const applied = await tools.kubectl(['apply', '--dry-run=server', '-n', namespace, '-f', '-'], { input: result.stdout });
    expect(applied.stderr).toBe('');
    expect(applied.code).toBe(0);
    for (const kind of ['deployment.apps', 'horizontalpodautoscaler.autoscaling', 'service', 'servicemonitor.monitoring.coreos.com', 'serviceaccount'])
      expect(applied.stdout).toContain(`${kind}/events-falco-event-ingestor created (server dry run)`);
  });
});

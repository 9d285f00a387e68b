import { parseValuesFile } from '@falco-airgap/helm-values-schema';
import { describe, expect, it } from 'vitest';
import type { ChartInfo } from './chart.ts';
import { computedValuesLayer, deployFingerprint, formatDeployPlan, planDeploy, valuesDigest, type DeployPlanInput } from './deploy-plan.ts';
import type { HelmRevision } from './helm.ts';

const chart: ChartInfo = { ref: 'helm/falco-airgap', name: 'falco-airgap', version: '0.1.0', appVersion: '0.44.1', digest: 'sha256:aaaa' };
const DIGEST = `sha256:${'b'.repeat(64)}`;

const file = (name: string, text: string) => {
  const parsed = parseValuesFile(text, name);
  return { name, values: parsed.values, file: parsed };
};

const input = (overrides: Partial<DeployPlanInput> = {}): DeployPlanInput => ({
  release: 'falco',
  namespace: 'falco',
  chart,
  cluster: 'kube context minikube',
  timeoutSeconds: 300,
  layers: [file('values-minikube.yaml', 'global:\n  imageRegistry: localhost:5000\npluginStrategy: sidecar\n')],
  ...overrides,
});

const revision = (n: number, status: string, description: string): HelmRevision => ({
  revision: n,
  status,
  description,
  chart: 'falco-airgap-0.1.0',
  appVersion: '0.44.1',
  updated: '',
});

describe('computedValuesLayer', () => {
  it('pins the images just pushed by digest, in the chart keys of the strategy', () => {
    expect(
      computedValuesLayer({
        pluginStrategy: 's3',
        falcoVersion: '0.44.1',
        images: {
          falco: { registry: '123456789012.dkr.ecr.eu-west-1.amazonaws.com', repository: 'falco-airgap/falco', digest: DIGEST },
          s3Loader: { registry: '123456789012.dkr.ecr.eu-west-1.amazonaws.com', repository: 'falco-airgap/falco-s3-loader', digest: DIGEST },
        },
        s3: { bucket: 'acme-falco-plugins', channel: 'prod' },
      }),
    ).toEqual({
      pluginStrategy: 's3',
      falcoVersion: '0.44.1',
      image: { registry: '123456789012.dkr.ecr.eu-west-1.amazonaws.com', repository: 'falco-airgap/falco', digest: DIGEST },
      s3: {
        image: { registry: '123456789012.dkr.ecr.eu-west-1.amazonaws.com', repository: 'falco-airgap/falco-s3-loader', digest: DIGEST },
        bucket: 'acme-falco-plugins',
        channel: 'prod',
        release: '',
      },
    });
  });

  it('a pinned release clears the channel a values file set, since the chart takes one or the other', () => {
    expect(computedValuesLayer({ s3: { release: 'falco-0.44.1-0123456789abcdef' } })).toEqual({
      s3: { release: 'falco-0.44.1-0123456789abcdef', channel: '' },
    });
  });

  it("lists the environment's rule sets in load order and switches the overrides", () => {
    expect(computedValuesLayer({ rules: { lockedFiles: ['falco_rules.yaml', 'falco-sandbox_rules.yaml'], overrides: false } })).toEqual({
      lockedRules: { files: ['falco_rules.yaml', 'falco-sandbox_rules.yaml'] },
      rulesOverrides: { enabled: false },
    });
  });
});

describe('planDeploy', () => {
  it('installs a release that does not exist, with the files then the computed values layered', () => {
    const plan = planDeploy(input({ computed: { images: { falco: { registry: 'localhost:5000', repository: 'falco', digest: DIGEST } } } }));
    expect(plan).toMatchObject({ action: 'install', currentRevision: undefined, issues: [], atomic: true });
    expect(plan.layers).toEqual([
      { name: 'values-minikube.yaml', keys: ['global', 'pluginStrategy'] },
      { name: 'computed', keys: ['image'] },
    ]);
    expect(plan.values).toEqual({
      global: { imageRegistry: 'localhost:5000' },
      pluginStrategy: 'sidecar',
      image: { registry: 'localhost:5000', repository: 'falco', digest: DIGEST },
    });
    expect(plan.helmCommand.join(' ')).toBe(
      `helm upgrade falco helm/falco-airgap --install --namespace falco --values <the merged values> --timeout 300s --wait --atomic --description ${plan.fingerprint}`,
    );
  });

  it('is unchanged when the deployed revision was made from the same chart and values, whatever their key order', () => {
    const first = planDeploy(input());
    const reordered = planDeploy(
      input({
        layers: [file('values-minikube.yaml', 'pluginStrategy: sidecar\nglobal:\n  imageRegistry: localhost:5000\n')],
        history: [revision(1, 'superseded', 'x'), revision(2, 'deployed', first.fingerprint)],
      }),
    );
    expect(reordered).toMatchObject({ action: 'unchanged', currentRevision: 2, reason: 'revision 2 was made from this chart and these values' });
  });

  it('upgrades when the values, the chart content or the release state differ', () => {
    const deployed = planDeploy(input()).fingerprint;
    const history = [revision(1, 'deployed', deployed)];
    expect(planDeploy(input({ history, computed: { falcoVersion: '0.44.0' } })).action).toBe('upgrade');
    expect(planDeploy(input({ history, chart: { ...chart, digest: 'sha256:changed' } })).action).toBe('upgrade');
    const failed = planDeploy(input({ history: [revision(1, 'deployed', deployed), revision(2, 'failed', deployed)] }));
    expect(failed).toMatchObject({ action: 'upgrade', reason: 'revision 2 is failed' });
    expect(planDeploy(input({ history: [revision(1, 'uninstalled', deployed)] })).action).toBe('install');
  });

  it('reports invalid values with the file and line that set them, and computed ones without a file', () => {
    const plan = planDeploy(
      input({
        layers: [file('env/prod.yaml', 'pluginStrategy: s3\ns3:\n  bucket: acme-falco-plugins\n  channel: prod\ndriver:\n  kind: ebpff\n')],
        computed: { images: { falco: { registry: 'localhost:5000', repository: 'Falco', digest: 'sha256:short' } } },
      }),
    );
    const byPath = Object.fromEntries(plan.issues.map((i) => [i.path, i]));
    expect(byPath['driver.kind']).toMatchObject({ code: 'VALUES_NOT_ALLOWED', position: { file: 'env/prod.yaml', line: 6, column: 9 } });
    const computedIssues = plan.issues.filter((i) => i.path.startsWith('image.'));
    expect(computedIssues.length).toBeGreaterThan(0);
    for (const issue of computedIssues) expect(issue.position).toBeUndefined();
    expect(formatDeployPlan(plan).some((line) => line.startsWith('  refused: env/prod.yaml:6:9: driver.kind'))).toBe(true);
  });

  it('fingerprints chart and values, and the values digest ignores key order', () => {
    expect(valuesDigest({ a: 1, b: { c: [1, 2], d: null } })).toBe(valuesDigest({ b: { d: null, c: [1, 2] }, a: 1 }));
    expect(valuesDigest({ a: [1, 2] })).not.toBe(valuesDigest({ a: [2, 1] }));
    expect(deployFingerprint(chart, { a: 1 })).toMatch(/^falco-airgap falco-airgap-0\.1\.0 chart [0-9a-f]{16} values [0-9a-f]{16}$/);
  });
});

import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { badValuesFixtures } from './test-support/bad-values.ts';
import { chartPath, parseManifests, testbedTools } from '@falco-airgap/test-support';
import { chartDefaults } from './defaults.ts';
import { coalesceValues, mergeValues } from './merge.ts';
import { RULE_CODES } from './rules.ts';
import { validateValues } from './validate.ts';
import { parsePath } from './value-path.ts';

// What helm itself does with values: it rejects every bad values file validateValues() rejects, and
// layers values files exactly as mergeValues() + coalesceValues() do.

const tools = testbedTools();
const scratch = mkdtempSync(join(tmpdir(), 'falco-airgap-values-'));
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
  tools.cleanup();
});

/** How helm's schema validation names a value: the JSON pointer of the value, or the key it refuses or misses. */
function helmMentions(stderr: string, path: string): boolean {
  const segments = parsePath(path);
  const pointer = `/${segments.join('/')}`;
  const key = String(segments.at(-1));
  return stderr.includes(`at '${pointer}'`) || stderr.includes(`'${key}'`);
}

describe.each(badValuesFixtures())('bad values $name', (fixture) => {
  const rule = RULE_CODES.includes(fixture.code as never);

  it(`validateValues() reports ${fixture.code} at ${fixture.path} with a hint`, () => {
    const [first] = validateValues(parse(fixture.text) as Record<string, unknown>);
    expect(first).toMatchObject({ code: fixture.code, path: fixture.path });
    expect(first!.hint).not.toBe('');
  });

  it('helm template refuses it, naming the same problem', async () => {
    const result = await tools.template('bad', 'default', ['-f', fixture.file]);
    expect(result.code).not.toBe(0);
    expect(result.stdout).toBe('');
    if (rule) expect(result.stderr).toContain(`${fixture.code}: ${fixture.path}: `);
    else {
      expect(result.stderr).toContain("values don't meet the specifications of the schema");
      expect(helmMentions(result.stderr, fixture.path), result.stderr).toBe(true);
    }
  });

  it('helm lint refuses it too', async () => {
    const result = await tools.helm(['lint', chartPath, '--kube-version', tools.kubeVersion, '-f', fixture.file]);
    expect(result.code).not.toBe(0);
    const output = result.stdout + result.stderr;
    expect(output).toContain('1 chart(s) failed');
    if (rule) expect(output).toContain(`${fixture.code}: ${fixture.path}: `);
    else expect(helmMentions(output, fixture.path), output).toBe(true);
  });
});

describe('layering values files', () => {
  // A copy of the chart with one extra template that prints the values the templates see.
  const probeChart = join(scratch, 'falco-airgap');
  cpSync(chartPath, probeChart, { recursive: true });
  writeFileSync(
    join(probeChart, 'templates', 'zz-values-probe.yaml'),
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: values-probe\ndata:\n  values.json: {{ toJson .Values | quote }}\n',
  );

  async function helmValues(files: string[]): Promise<unknown> {
    const result = await tools.template(
      'probe',
      'default',
      [...files.flatMap((file) => ['-f', file]), '--show-only', 'templates/zz-values-probe.yaml'],
      probeChart,
    );
    expect(result.stderr).toBe('');
    const [probe] = parseManifests(result.stdout) as unknown as { data: { 'values.json': string } }[];
    return JSON.parse(probe!.data['values.json']);
  }

  const layer = (file: string) => parse(readFileSync(file, 'utf8')) as Record<string, unknown>;

  it.each([
    ['values-eks.yaml', 'environments/prod.yaml'],
    ['values-minikube.yaml', 'environments/dev.yaml'],
    ['values-eks.yaml', 'environments/staging.yaml'],
  ])('%s + %s: mergeValues() gives what helm gives', async (platform, environment) => {
    const files = [join(chartPath, platform), join(chartPath, environment)];
    const ours = coalesceValues(chartDefaults(), mergeValues(...files.map(layer)));
    expect(await helmValues(files)).toEqual(ours);
  });

  it('null deletes a default, lists are replaced whole, maps merge, later layers win', async () => {
    const first = join(scratch, 'first.yaml');
    const second = join(scratch, 'second.yaml');
    writeFileSync(
      first,
      'resources:\n  limits: null\ntolerations: [{key: dedicated, operator: Exists}]\ncontroller:\n  daemonset:\n    updateStrategy:\n      rollingUpdate: null\npodAnnotations: {team: security}\n',
    );
    writeFileSync(second, 'tolerations: [{key: gpu, operator: Exists}]\npodAnnotations: {owner: platform}\ns3: {channel: staging}\n');
    const ours = coalesceValues(chartDefaults(), mergeValues(layer(first), layer(second)));
    expect(ours).toMatchObject({
      resources: { requests: { cpu: '100m', memory: '512Mi' } },
      tolerations: [{ key: 'gpu', operator: 'Exists' }],
      podAnnotations: { team: 'security', owner: 'platform' },
    });
    expect(ours.resources).not.toHaveProperty('limits');
    expect(await helmValues([first, second])).toEqual(ours);
  });
});

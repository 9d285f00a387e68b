import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { chartDir, generatedFiles } from '../scripts/chart-paths.ts';
import { renderValuesTypes } from '../scripts/render-types.ts';
import { renderSchemaJson, renderValuesYaml, TABLE_END, TABLE_START, valuesTableRows, withValuesTable } from './chart-files.ts';
import { chartDefaults } from './defaults.ts';
import { DEFAULT_FALCO_VERSION } from './schema/falco-version.ts';

const read = (file: string) => readFileSync(file, 'utf8');
const rebuild = 'run npm run build -w @falco-airgap/helm-values-schema when this fails';

describe('files generated from the values schema', () => {
  it(`helm/falco-airgap/values.schema.json is current (${rebuild})`, () => {
    expect(read(generatedFiles.chartSchema)).toBe(renderSchemaJson());
  });

  it('the package ships the same values.schema.json as the chart', () => {
    expect(read(generatedFiles.packageSchema)).toBe(read(generatedFiles.chartSchema));
  });

  it(`helm/falco-airgap/values.yaml is current (${rebuild})`, () => {
    expect(read(generatedFiles.chartValues)).toBe(renderValuesYaml());
  });

  it('values.yaml holds exactly the schema defaults, every key with a description comment', () => {
    const text = read(generatedFiles.chartValues);
    expect(parse(text)).toEqual(chartDefaults());
    const lines = text.split('\n');
    const topLevel = lines.flatMap((line, i) => (/^[A-Za-z_][\w-]*:/.test(line) ? [{ line, comment: lines[i - 1] ?? '' }] : []));
    expect(topLevel.length).toBe(Object.keys(chartDefaults()).length);
    for (const { line, comment } of topLevel) expect(comment, line).toMatch(/^# -- \S/);
  });

  it(`the values table of helm/falco-airgap/README.md is current (${rebuild})`, () => {
    const readme = read(generatedFiles.chartReadme);
    expect(readme).toContain(TABLE_START);
    expect(readme).toContain(TABLE_END);
    expect(readme).toBe(withValuesTable(readme));
  });

  it('the README table lists every leaf value once, with its default', () => {
    const rows = valuesTableRows();
    const keys = rows.map((row) => row.key);
    expect(new Set(keys).size).toBe(keys.length);
    expect(rows.find((row) => row.key === 'driver.kind')).toMatchObject({
      default: 'modern_ebpf',
      type: '"modern_ebpf" | "kmod" | "auto" | "ebpf" | "gvisor"',
    });
    expect(rows.find((row) => row.key === 's3.image.repository')).toMatchObject({ default: 'falco-s3-loader', type: 'string' });
    expect(keys).toEqual(
      expect.arrayContaining([
        'global.imageRegistry',
        'pluginStrategy',
        'controller.kind',
        'serviceMonitor.create',
        'customRules',
        'falco.webserver.listen_port',
      ]),
    );
  });

  it(`src/generated/values.ts (FalcoAirgapValues) is current (${rebuild})`, async () => {
    expect(read(generatedFiles.types)).toBe(await renderValuesTypes());
  });

  it("Chart.yaml's appVersion is the default Falco version of the schema", () => {
    const chart = parse(read(join(chartDir, 'Chart.yaml'))) as { appVersion: string; name: string };
    expect(chart).toMatchObject({ name: 'falco-airgap', appVersion: DEFAULT_FALCO_VERSION });
  });

  it('the published schema is plain draft-07: no hint annotations, no lookaround patterns helm cannot compile', () => {
    const text = renderSchemaJson();
    expect(JSON.parse(text).$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(text).not.toMatch(/"x-(hint|example|code)"/);
    // helm compiles patterns with Go's RE2, which has no lookarounds or backreferences.
    expect(text).not.toMatch(/\(\?[=!<]|\\\\[1-9]/);
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chartDir } from '../scripts/chart-paths.ts';
import { LEGACY_OPTIONS } from './legacy-options.ts';
import { RULE_CODES } from './rules.ts';
import { FALCOSIDEKICK_VERSION } from './schema/falcosidekick.ts';

// The chart repeats the cross-value checks in Go templates; these tests keep the two sides in step.
const template = readFileSync(join(chartDir, 'templates', '_validate.tpl'), 'utf8');

describe("the chart's _validate.tpl", () => {
  it.each(RULE_CODES)('reports %s like validateValues()', (code) => {
    expect(template).toContain(`"${code}: `);
  });

  it('reports no code validateValues() does not know', () => {
    const codes = new Set([...template.matchAll(/"(VALUES_[A-Z0-9_]+): /g)].map((m) => m[1]));
    expect([...codes].filter((code) => !RULE_CODES.includes(code as never))).toEqual([]);
  });

  it('gates the same legacy options at the same Falco releases, with the same advice', () => {
    const rows = [
      ...template.matchAll(
        /\(dict "path" "([^"]+)" "value" "([^"]+)" .*? "what" "([^"]+)" "deprecatedIn" "([^"]+)" "removedIn" "([^"]+)" "instead" "([^"]+)"\)/g,
      ),
    ].map((m) => ({
      path: m[1],
      value: m[2],
      what: m[3],
      deprecatedIn: m[4],
      removedIn: m[5],
      instead: m[6],
    }));
    expect(rows).toEqual(LEGACY_OPTIONS.map((option) => ({ ...option, value: String(option.value) })));
  });

  it(`deploys Falcosidekick ${FALCOSIDEKICK_VERSION} for an empty falcosidekick.image.tag, as FALCOSIDEKICK_VERSION says`, () => {
    const helpers = readFileSync(join(chartDir, 'templates', '_helpers.tpl'), 'utf8');
    expect(helpers).toContain(`{{- define "falco-airgap.falcosidekick.defaultTag" -}}${FALCOSIDEKICK_VERSION}{{- end }}`);
  });
});

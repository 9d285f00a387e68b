import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { chartDir } from '../scripts/chart-paths.ts';
import { badValuesFixtures } from './test-support/bad-values.ts';
import { chartDefaults } from './defaults.ts';
import { ValuesError, ValuesErrorCode } from './errors.ts';
import { mergeValues } from './merge.ts';
import { RULE_CODES } from './rules.ts';
import { resolveValues, validateValues } from './validate.ts';

const chartFile = (name: string) => parse(readFileSync(join(chartDir, name), 'utf8')) as Record<string, unknown>;

describe('validateValues', () => {
  it('accepts the chart defaults and an empty values file', () => {
    expect(validateValues(chartDefaults(), { applyDefaults: false })).toEqual([]);
    expect(validateValues({})).toEqual([]);
  });

  for (const platform of ['values-minikube.yaml', 'values-eks.yaml']) {
    for (const environment of ['dev', 'staging', 'prod']) {
      it(`accepts ${platform} layered with environments/${environment}.yaml`, () => {
        expect(validateValues(mergeValues(chartFile(platform), chartFile(`environments/${environment}.yaml`)))).toEqual([]);
      });
    }
  }

  const fixtures = badValuesFixtures();
  it('has at least fifteen bad values files', () => expect(fixtures.length).toBeGreaterThanOrEqual(15));

  for (const fixture of fixtures) {
    it(`rejects ${fixture.name} with ${fixture.code} at ${fixture.path}, and a hint`, () => {
      const issues = validateValues(parse(fixture.text) as Record<string, unknown>);
      expect(issues.length, JSON.stringify(issues)).toBeGreaterThan(0);
      expect(issues[0]).toMatchObject({ code: fixture.code, path: fixture.path });
      for (const issue of issues) expect(issue.hint.length, issue.path).toBeGreaterThan(10);
    });
  }

  it('every cross-value code is exercised by a bad values file', () => {
    const used = new Set(fixtures.map((f) => f.code));
    expect(RULE_CODES.filter((code) => !used.has(code))).toEqual([]);
  });

  it('renders legacy options for Falco releases that still have them', () => {
    const legacy = { falcoVersion: '0.43.2', driver: { kind: 'ebpf' }, falco: { grpc: { enabled: true }, grpc_output: { enabled: true } } };
    expect(validateValues(legacy)).toEqual([]);
    expect(validateValues({ ...legacy, falcoVersion: '0.44.0-rc.1' }).map((i) => i.path)).toEqual([
      'driver.kind',
      'falco.grpc.enabled',
      'falco.grpc_output.enabled',
    ]);
    expect(validateValues({ falcoVersion: '0.43.0', driver: { kind: 'gvisor' } })).toEqual([]);
  });

  it('reports every problem at once, in path order, with a suggestion for typos', () => {
    const issues = validateValues({ driver: { kind: 'kmodd', loader: { resources: {} } }, pluginStrategy: 'S3', imagePullSecrets: [{ name: 'regcred' }] });
    expect(issues.map((i) => [i.code, i.path])).toEqual([
      ['VALUES_NOT_ALLOWED', 'driver.kind'],
      ['VALUES_UNKNOWN_KEY', 'driver.loader.resources'],
      ['VALUES_NOT_ALLOWED', 'pluginStrategy'],
    ]);
    expect(issues[0]!.hint).toBe('did you mean "kmod"?');
    expect(issues[1]!.hint).toBe('use driver.loader.initContainer.resources');
    expect(issues[2]!.hint).toBe('did you mean "s3"?');
  });

  it('checks cross-value rules only once the shape is right, as helm does', () => {
    expect(validateValues({ pluginStrategy: 's3', tty: 'yes' }).map((i) => i.code)).toEqual([ValuesErrorCode.WrongType]);
  });

  it('refuses values that are not a map', () => {
    expect(validateValues(['a'])[0]!.code).toBe(ValuesErrorCode.NotAMapping);
  });
});

describe('resolveValues', () => {
  it('returns the complete values helm renders with', () => {
    const values = resolveValues({ pluginStrategy: 's3', s3: { bucket: 'acme-falco-plugins', channel: 'prod' } });
    expect(values.s3).toMatchObject({ bucket: 'acme-falco-plugins', channel: 'prod', prefix: 'falco-airgap', onUnavailable: 'fail' });
    expect(values.driver.kind).toBe('modern_ebpf');
  });

  it('throws a ValuesError (input category) carrying every issue', () => {
    const error = (() => {
      try {
        resolveValues({ driver: { kind: 'ebpf' }, pluginStrategy: 's3' });
      } catch (err) {
        return err;
      }
      throw new Error('accepted');
    })();
    expect(error).toBeInstanceOf(ValuesError);
    const valuesError = error as ValuesError;
    expect(valuesError.category).toBe('input');
    expect(valuesError.code).toBe('VALUES_REMOVED_OPTION');
    expect(valuesError.issues.map((i) => i.code)).toEqual(['VALUES_REMOVED_OPTION', 'VALUES_S3_BUCKET_REQUIRED', 'VALUES_S3_CHANNEL_OR_RELEASE']);
    expect(valuesError.message).toMatch(/^driver\.kind: "ebpf" selects the legacy eBPF probe, which Falco removed in 0\.44\.0 .* \(and 2 more\)$/);
  });
});

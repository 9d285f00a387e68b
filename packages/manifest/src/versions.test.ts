import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { isFalcoAirgapError } from '@falco-airgap/core';
import { ManifestError } from './errors.ts';
import { shippedVersionsCode } from '../scripts/shipped-versions-code.ts';
import { loadVersionsCatalogue, parseVersionsCatalogue } from './versions.ts';

const shippedFile = join(import.meta.dirname, '..', 'versions.yaml');
const header = 'apiVersion: falco-airgap/v1alpha1\nkind: FalcoVersions\nversions:\n';
const entry = (lines: string) =>
  `  - version: 0.44.1\n${lines}    libsVersion: 0.25.4\n    pluginApiVersion: 3.12.0\n    engineVersion: 0.62.0\n    rules:\n      falco-rules: 5.1.0\n`;

function issues(text: string): { code: string; at: string }[] {
  try {
    parseVersionsCatalogue(text, 'versions.yaml');
  } catch (error) {
    if (!(error instanceof ManifestError)) throw error;
    return error.issues.map((issue) => ({ code: issue.code, at: `${issue.position.line}:${issue.position.column}` }));
  }
  return [];
}

describe('the versions catalogue', () => {
  it('shipped with the package is valid, lists 0.44.1 as supported with what upstream builds it with, and every entry satisfies the schema', async () => {
    const catalogue = await loadVersionsCatalogue();
    expect(catalogue.versions.find((v) => v.version === '0.44.1')).toEqual({
      version: '0.44.1',
      classification: 'supported',
      releaseDate: '2026-06-10',
      libsVersion: '0.25.4',
      pluginApiVersion: '3.12.0',
      engineVersion: '0.62.0',
      rules: { 'falco-rules': '5.1.0', 'falco-incubating-rules': '5.0.1', 'falco-sandbox-rules': '5.0.1' },
      plugins: { container: '0.7.1' },
      falcosidekick: '2.34.1',
    });
    const schema = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'schema', 'falco-versions.schema.json'), 'utf8')) as object;
    const validate = new Ajv2020({ strict: true }).compile(schema);
    expect(validate(parse(readFileSync(shippedFile, 'utf8')))).toBe(true);
    expect(catalogue.file).toBe('versions.yaml (shipped)');
  });

  it('is built in as versions.yaml says (run npm run build -w @falco-airgap/manifest when this fails)', () => {
    expect(readFileSync(join(import.meta.dirname, '..', 'schema', 'shipped-versions.js'), 'utf8')).toBe(shippedVersionsCode(readFileSync(shippedFile, 'utf8')));
  });

  it('reads deprecated versions with their expiry and plugins as an empty map when none are listed', () => {
    const catalogue = parseVersionsCatalogue(`${header}${entry('    classification: deprecated\n    expirationDate: 2027-01-31\n')}`);
    expect(catalogue.versions[0]).toMatchObject({ classification: 'deprecated', expirationDate: '2027-01-31', plugins: {} });
    expect(catalogue.file).toBe('versions.yaml');
  });

  it.each([
    [
      'an unknown key, with a suggestion',
      `${header}${entry('    classification: supported\n    pluginApi: 3.12.0\n')}`,
      [{ code: 'MANIFEST_UNKNOWN_KEY', at: '6:5' }],
    ],
    ['a classification that does not exist', `${header}${entry('    classification: stable\n')}`, [{ code: 'VERSIONS_BAD_CLASSIFICATION', at: '5:21' }]],
    ['a deprecated version without expiry', `${header}${entry('    classification: deprecated\n')}`, [{ code: 'VERSIONS_BAD_LIFECYCLE', at: '5:21' }]],
    [
      'a supported version with an expiry',
      `${header}${entry('    classification: supported\n    expirationDate: 2027-01-31\n')}`,
      [{ code: 'VERSIONS_BAD_LIFECYCLE', at: '6:21' }],
    ],
    [
      'a day that is not in the calendar',
      `${header}${entry('    classification: deprecated\n    expirationDate: 2027-02-30\n')}`,
      [{ code: 'VERSIONS_BAD_DATE', at: '6:21' }],
    ],
    [
      'a date in another format',
      `${header}${entry('    classification: deprecated\n    expirationDate: 31.01.2027\n')}`,
      [{ code: 'VERSIONS_BAD_DATE', at: '6:21' }],
    ],
    [
      'a version YAML reads as a number',
      `${header}${entry('    classification: supported\n').replace('pluginApiVersion: 3.12.0', 'pluginApiVersion: 3.12')}`,
      [{ code: 'MANIFEST_WRONG_TYPE', at: '7:23' }],
    ],
    [
      'a version with a leading v',
      `${header}${entry('    classification: supported\n').replace('- version: 0.44.1', '- version: v0.44.1')}`,
      [{ code: 'MANIFEST_BAD_SEMVER', at: '4:14' }],
    ],
    [
      'a version listed twice',
      `${header}${entry('    classification: supported\n')}${entry('    classification: supported\n')}`,
      [{ code: 'VERSIONS_DUPLICATE_VERSION', at: '11:14' }],
    ],
    [
      'no falco-rules version',
      `${header}${entry('    classification: supported\n').replace('falco-rules: 5.1.0', 'falco-sandbox-rules: 5.0.1')}`,
      [{ code: 'MANIFEST_MISSING_KEY', at: '10:7' }],
    ],
    [
      'another kind of file, listing no versions',
      `apiVersion: falco-airgap/v1alpha1\nkind: PluginsManifest\nversions: []\n`,
      [
        { code: 'MANIFEST_BAD_KIND', at: '2:7' },
        { code: 'MANIFEST_EMPTY', at: '3:11' },
      ],
    ],
  ])('refuses %s at its line and column', (_, text, expected) => {
    expect(issues(text)).toEqual(expected);
  });

  it('names the file it cannot read and what to do', async () => {
    const error = await loadVersionsCatalogue('/nonexistent/versions.yaml', 'versions.yaml').catch((e: unknown) => e);
    expect(isFalcoAirgapError(error) && error.code).toBe('MANIFEST_READ_FAILED');
    expect((error as Error).message).toContain('versions.yaml');
  });
});

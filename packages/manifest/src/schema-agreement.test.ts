import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { isSemver, parseReference } from '@falco-airgap/core';
import { ManifestError } from './errors.ts';
import { parseManifest } from './manifest.ts';
import { inlineManifests } from './test-support/manifest-texts.ts';

// The schema file as shipped to editors, not the TypeScript source it is generated from.
const shippedSchema = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'schema', 'plugins-manifest.schema.json'), 'utf8')) as {
  $defs: Record<string, { pattern: string }>;
};
const validate = new Ajv2020({ allErrors: true, strict: true, strictRequired: false }).compile(shippedSchema);

const badDir = join(import.meta.dirname, '..', 'test-fixtures', 'bad');
const shipped = join(import.meta.dirname, '..', '..', '..', 'plugins', 'plugins-manifest.yaml');

// What only parseManifest can refuse: JSON Schema cannot ask for names unique within a list.
const ONLY_THE_PARSER_REFUSES: Record<string, string> = { '03-duplicate-name.yaml': 'MANIFEST_DUPLICATE_NAME' };

const cases: [string, string][] = [
  ['plugins/plugins-manifest.yaml', readFileSync(shipped, 'utf8')],
  ...readdirSync(badDir)
    .filter((f) => f.endsWith('.yaml'))
    .map((f): [string, string] => [f, readFileSync(join(badDir, f), 'utf8')]),
  ...Object.entries(inlineManifests),
];

function parserVerdict(text: string): { valid: boolean; codes: string[] } {
  try {
    parseManifest(text, 'm.yaml');
    return { valid: true, codes: [] };
  } catch (err) {
    if (!(err instanceof ManifestError)) throw err;
    return { valid: false, codes: err.issues.map((i) => i.code) };
  }
}

function yamlData(text: string): { ok: true; data: unknown } | { ok: false; error: unknown } {
  try {
    return { ok: true, data: parse(text, { uniqueKeys: true, strict: true, logLevel: 'error' }) };
  } catch (error) {
    return { ok: false, error };
  }
}

describe('the shipped manifest schema and parseManifest', () => {
  it('see every bad fixture and inline manifest', () => expect(cases.length).toBeGreaterThan(35));

  it.each(cases)('agree on %s', (name, text) => {
    const parser = parserVerdict(text);
    const yaml = yamlData(text);
    if (!yaml.ok) {
      // Not YAML at all: there is nothing for a schema to look at.
      expect(parser.codes.every((code) => code === 'MANIFEST_YAML_SYNTAX' || code === 'MANIFEST_DUPLICATE_KEY')).toBe(true);
      expect(parser.valid).toBe(false);
      return;
    }
    const schemaValid = validate(yaml.data);
    const onlyParser = ONLY_THE_PARSER_REFUSES[name];
    if (onlyParser) {
      expect({ schemaValid, parser }).toEqual({ schemaValid: true, parser: { valid: false, codes: [onlyParser] } });
    } else {
      expect(schemaValid).toBe(parser.valid);
    }
  });

  it.each([
    ['a reference with junk after the tag', '22-reference-with-junk.yaml'],
    ['an uppercase repository', '19-bad-repository.yaml'],
    ['an image path with ".." segments', '23-image-path-with-dot-segments.yaml'],
    ['a prerelease with a leading zero', '24-prerelease-leading-zero.yaml'],
  ])('both refuse %s', (_what, fixture) => {
    const text = readFileSync(join(badDir, fixture), 'utf8');
    expect(validate(parse(text))).toBe(false);
    expect(parserVerdict(text).valid).toBe(false);
  });
});

describe('the shipped manifest schema and @falco-airgap/core', () => {
  const reference = new RegExp(shippedSchema.$defs.reference!.pattern, 'u');
  const semver = new RegExp(shippedSchema.$defs.semver!.pattern, 'u');

  it.each([
    'ghcr.io/falcosecurity/plugins/plugin/k8saudit:0.18.0',
    `ghcr.io/falcosecurity/plugins/plugin/json:0.7.4@sha256:${'a'.repeat(64)}`,
    `ghcr.io/a/b@sha512:${'b'.repeat(128)}`,
    'localhost:5000/falcosecurity/falco:0.44.1-debian',
    'localhost/falco:1',
    'localhost:5000',
    'falcosecurity/falco:0.44.1',
    'alpine:3',
    'a.b/c:1',
    'GHCR.IO/a:1',
    `[::1]:5000/a/b@sha256:${'f'.repeat(64)}`,
    'a__b/c---d/e.f_g:1',
    'ghcr.io/x:1.0@@@ junk',
    'ghcr.io/FalcoSecurity/plugins/plugin/json:0.7.4',
    'Foo/bar:1',
    'a_b.io/c:1',
    'ghcr.io/a//b:1',
    'ghcr.io/a/b:-bad',
    'ghcr.io/a/b',
    'ghcr.io/a/b@sha256:1234',
    `ghcr.io/a/b@sha256:${'A'.repeat(64)}`,
    'ghcr.io/a/b:',
    'ghcr.io/a/b:1 ',
    '',
  ])('agree whether "%s" is a pinned reference', (value) => {
    expect(reference.test(value)).toBe(parseReference(value).ok);
  });

  it.each(['0.18.0', '1.0.0-rc.1', '1.0.0-0a', '1.0.0-x-y.0', '1.0.0+01', '1.0.0-01', '01.0.0', '1.0', 'v1.0.0', '1.0.0-', '1.0.0-a..b', '1.0.0+'])(
    'agree whether "%s" is a semantic version',
    (value) => {
      expect(semver.test(value)).toBe(isSemver(value));
    },
  );
});

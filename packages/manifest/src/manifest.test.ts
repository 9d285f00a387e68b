import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManifestError } from './errors.ts';
import { parseManifest, readManifestFile } from './manifest.ts';
import { inlineManifests } from './test-support/manifest-texts.ts';

const badDir = join(import.meta.dirname, '..', 'test-fixtures', 'bad');
const shipped = join(import.meta.dirname, '..', '..', '..', 'plugins', 'plugins-manifest.yaml');

function expectation(text: string): { code: string; line: number; column: number } {
  const m = /^# expect: (\S+) (\d+):(\d+)/.exec(text);
  if (!m) throw new Error('fixture lacks "# expect: CODE LINE:COL"');
  return { code: m[1]!, line: Number(m[2]), column: Number(m[3]) };
}

describe('parseManifest', () => {
  it('accepts the shipped manifest with the upstream defaults', () => {
    const manifest = parseManifest(readFileSync(shipped, 'utf8'), shipped);
    expect(manifest.platforms).toEqual(['linux/amd64', 'linux/arm64']);
    expect(manifest.plugins.map((p) => `${p.name}@${p.version}`)).toEqual([
      'k8saudit@0.18.0',
      'json@0.7.4',
      'container@0.7.1',
      'k8smeta@0.4.1',
      'cloudtrail@0.17.1',
    ]);
    expect(manifest.plugins[2]!.from).toEqual({ image: 'docker.io/falcosecurity/falco:0.44.1-debian', path: '/usr/share/falco/plugins/libcontainer.so' });
    expect(manifest.rulesfiles).toEqual([{ name: 'falco-rules', version: '5.1.0', from: { artifact: 'ghcr.io/falcosecurity/rules/falco-rules:5.1.0' } }]);
  });

  const fixtures = readdirSync(badDir).filter((f) => f.endsWith('.yaml'));
  it('has at least twelve bad manifests to check', () => expect(fixtures.length).toBeGreaterThanOrEqual(12));

  for (const fixture of fixtures) {
    it(`rejects ${fixture} with its code and position`, () => {
      const text = readFileSync(join(badDir, fixture), 'utf8');
      const want = expectation(text);
      const error = (() => {
        try {
          parseManifest(text, fixture);
        } catch (err) {
          return err;
        }
        throw new Error(`${fixture} was accepted`);
      })();
      expect(error).toBeInstanceOf(ManifestError);
      const issue = (error as ManifestError).issues[0]!;
      expect({ code: issue.code, line: issue.position.line, column: issue.position.column, file: issue.position.file }).toEqual({ ...want, file: fixture });
      expect(issue.hint.length).toBeGreaterThan(0);
      expect((error as ManifestError).category).toBe('input');
    });
  }

  it('reports every problem of a document, not just the first', () => {
    expect(rejection(inlineManifests.fourProblems).issues.map((i) => i.code)).toEqual([
      'MANIFEST_BAD_SEMVER',
      'MANIFEST_UNSUPPORTED_PLATFORM',
      'MANIFEST_BAD_SEMVER',
      'MANIFEST_REF_NO_TAG_OR_DIGEST',
    ]);
  });

  it('suggests the key the user probably meant', () => {
    const unknown = rejection(inlineManifests.misspeltKey).issues.find((i) => i.code === 'MANIFEST_UNKNOWN_KEY')!;
    expect(unknown).toMatchObject({ path: 'platform', message: 'unknown key "platform" in the document', position: { line: 4, column: 1 } });
    expect(unknown.hint).toContain('did you mean "platforms"');
  });

  it('accepts digest-pinned references', () => {
    expect(parseManifest(inlineManifests.pinnedByDigest).plugins[0]!.from).toEqual({
      artifact: `ghcr.io/falcosecurity/plugins/plugin/json:0.7.4@sha256:${'a'.repeat(64)}`,
    });
  });

  it('accepts a manifest with rulesfiles only', () => {
    expect(parseManifest(inlineManifests.rulesfilesOnly)).toMatchObject({ plugins: [], rulesfiles: [{ name: 'falco-rules' }] });
  });

  it.each([
    ['neitherSource', 'MANIFEST_BAD_SOURCE', 'plugins[0].from', '"from" names neither an artifact nor an image', '{path:'],
    ['artifactWithPath', 'MANIFEST_BAD_SOURCE', 'plugins[0].from.path', '"path" only applies to image sources', '/libjson.so'],
    ['unknownSourceKey', 'MANIFEST_UNKNOWN_KEY', 'plugins[0].from.tag', 'unknown key "tag" in "plugins[0].from"', 'tag:'],
    ['emptyName', 'MANIFEST_WRONG_TYPE', 'plugins[0].name', '"plugins[0].name" must be a non-empty string, got an empty string', '""'],
    ['imageRootPath', 'MANIFEST_BAD_PATH', 'plugins[0].from.path', '"/" is not an absolute, normalised file path', '/}'],
    ['badRulesfileName', 'MANIFEST_BAD_NAME', 'rulesfiles[0].name', 'rulesfile name "Falco_Rules" is not valid', 'Falco_Rules'],
    ['noPlatforms', 'MANIFEST_UNSUPPORTED_PLATFORM', 'platforms', 'platforms is empty', '[]'],
    ['nothingToMirror', 'MANIFEST_EMPTY', '', 'the manifest lists no plugins and no rulesfiles', 'apiVersion'],
    ['notAMapping', 'MANIFEST_NOT_A_MAPPING', '', 'the document must be a mapping', '- '],
    ['collectionKey', 'MANIFEST_WRONG_TYPE', '', 'a mapping has a key that is not a plain string', '[a]'],
  ] as const)('rejects %s with %s at %s', (name, code, path, message, pointsAt) => {
    const text = inlineManifests[name];
    const { issues } = rejection(text);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ code, path, message, position: positionOf(text, pointsAt) });
    expect(issues[0]!.hint.length).toBeGreaterThan(10);
  });

  it('points an image source without a path at its "from" mapping', () => {
    const text = readFileSync(join(badDir, '09-image-without-path.yaml'), 'utf8');
    expect(rejection(text).issues).toEqual([
      expect.objectContaining({ path: 'plugins[0].from.path', message: 'an image source needs "path", the file to take from the image' }),
    ]);
  });

  it('reports a plugin listed twice once per repetition, naming the first line', () => {
    const { issues } = rejection(inlineManifests.entryTwice);
    expect(issues).toEqual([
      expect.objectContaining({ code: 'MANIFEST_DUPLICATE_NAME', path: 'plugins[1].name', message: 'plugin "json" is already declared at line 6' }),
    ]);
  });

  it('explains what is wrong with a reference the schema refuses', () => {
    const junk = rejection(readFileSync(join(badDir, '22-reference-with-junk.yaml'), 'utf8')).issues[0]!;
    expect(junk.message).toContain('cannot be empty or contain whitespace');
    const digest = rejection(readFileSync(join(badDir, '11-bad-digest.yaml'), 'utf8')).issues[0]!;
    expect(digest.message).toContain('is not a sha256:<64 hex> or sha512:<128 hex> digest');
    const pin = rejection(readFileSync(join(badDir, '06-ref-no-tag.yaml'), 'utf8')).issues[0]!;
    expect(pin.hint).toBe('pin it: ghcr.io/falcosecurity/plugins/plugin/json:<version> or ghcr.io/falcosecurity/plugins/plugin/json@sha256:<digest>');
  });

  it('refuses aliases that expand without bound, as a YAML problem', () => {
    expect(rejection(inlineManifests.aliasBomb).issues.map((i) => i.code)).toEqual(['MANIFEST_YAML_SYNTAX']);
  });

  it('quotes at most a short piece of the source in a YAML problem (a binary file given as the manifest)', () => {
    // yaml's own message for this quotes the whole 6 kB scalar after "b:".
    const issues = rejection(`- a\nb: ${'\u0000\u0001junk '.repeat(800)}\n`).issues;
    expect(issues.map((i) => i.code)).toContain('MANIFEST_YAML_SYNTAX');
    for (const issue of issues) {
      expect(issue.message.length).toBeLessThanOrEqual(220);
      expect(issue.message).not.toContain('\n');
    }
  });

  it('suggests dropping a leading "v" from a version', () => {
    expect(rejection(readFileSync(join(badDir, '05-version-with-v.yaml'), 'utf8')).issues[0]!.hint).toBe('drop the leading "v": "0.7.4"');
  });
});

function rejection(text: string): ManifestError {
  try {
    parseManifest(text, 'm.yaml');
  } catch (err) {
    if (err instanceof ManifestError) return err;
    throw err;
  }
  throw new Error('accepted');
}

// Where the first occurrence of `needle` sits in `text`, as a 1-based line and column.
function positionOf(text: string, needle: string): { line: number; column: number } {
  const before = text.slice(0, text.indexOf(needle)).split('\n');
  return { line: before.length, column: before.at(-1)!.length + 1 };
}

describe('readManifestFile', () => {
  it('returns the manifest with the sha256 of its bytes, the value a lock records as manifestSha256', async () => {
    const file = join(import.meta.dirname, '../../../plugins/plugins-manifest.yaml');
    const { manifest, sha256 } = await readManifestFile(file, 'plugins/plugins-manifest.yaml');
    expect(sha256).toBe(createHash('sha256').update(readFileSync(file)).digest('hex'));
    expect(manifest.falco.version).toMatch(/^\d+\.\d+\.\d+$/);
  });
});

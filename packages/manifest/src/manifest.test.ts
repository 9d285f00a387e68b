import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManifestError } from './errors.ts';
import { parseManifest } from './manifest.ts';

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
    const text = [
      'apiVersion: falco-airgap/v1alpha1',
      'kind: PluginsManifest',
      'falco: {version: "1"}',
      'platforms: [linux/mips]',
      'plugins:',
      '  - {name: a, version: x, from: {artifact: "r/a"}}',
    ].join('\n');
    const error = (() => {
      try {
        parseManifest(text, 'm.yaml');
      } catch (err) {
        return err as ManifestError;
      }
      throw new Error('accepted');
    })();
    expect(error.issues.map((i) => i.code)).toEqual([
      'MANIFEST_BAD_SEMVER',
      'MANIFEST_UNSUPPORTED_PLATFORM',
      'MANIFEST_BAD_SEMVER',
      'MANIFEST_REF_NO_TAG_OR_DIGEST',
    ]);
  });

  it('suggests the key the user probably meant', () => {
    const text = ['apiVersion: falco-airgap/v1alpha1', 'kind: PluginsManifest', 'falco: {version: 0.44.1}', 'platform: [linux/amd64]', 'plugins: []'].join(
      '\n',
    );
    expect(() => parseManifest(text)).toThrow(ManifestError);
    try {
      parseManifest(text);
    } catch (err) {
      const unknown = (err as ManifestError).issues.find((i) => i.code === 'MANIFEST_UNKNOWN_KEY')!;
      expect(unknown.hint).toContain('did you mean "platforms"');
    }
  });

  it('accepts digest-pinned references', () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    const text = [
      'apiVersion: falco-airgap/v1alpha1',
      'kind: PluginsManifest',
      'falco: {version: 0.44.1}',
      'platforms: [linux/arm64]',
      'plugins:',
      `  - {name: json, version: 0.7.4, from: {artifact: "ghcr.io/falcosecurity/plugins/plugin/json:0.7.4@${digest}"}}`,
    ].join('\n');
    expect(parseManifest(text).plugins[0]!.from).toEqual({ artifact: `ghcr.io/falcosecurity/plugins/plugin/json:0.7.4@${digest}` });
  });
});

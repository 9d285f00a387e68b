import { describe, expect, it } from 'vitest';
import { declarationError, resolveDeclarations, type ArtifactDeclarations } from './dependencies.ts';
import { checkRequirement, falcoEngineVersion } from './requirements.ts';

const k8sauditRules = (dependencies: ArtifactDeclarations['dependencies'], requirements: ArtifactDeclarations['requirements'] = []): ArtifactDeclarations => ({
  kind: 'rulesfile',
  name: 'k8saudit-rules',
  version: '0.18.0',
  dependencies,
  requirements,
});
const k8sauditOrEks = { name: 'k8saudit', version: '0.18.0', alternatives: [{ name: 'k8saudit-eks', version: '0.10.0' }] };
const json = { name: 'json', version: '0.7.4', alternatives: [] };

describe('resolveDeclarations', () => {
  it('records the plugin that satisfies each dependency, the named one first', () => {
    const resolved = resolveDeclarations(
      [k8sauditRules([k8sauditOrEks, json])],
      [
        { name: 'k8saudit', version: '0.18.0' },
        { name: 'json', version: '0.9.0' },
      ],
      '0.44.1',
    );
    expect(resolved.problems).toEqual([]);
    expect(resolved.dependencies.get('rulesfile/k8saudit-rules')).toEqual([
      { name: 'json', version: '0.7.4', satisfiedBy: 'json' },
      { name: 'k8saudit', version: '0.18.0', satisfiedBy: 'k8saudit' },
    ]);
  });

  it('accepts an alternative the config lists, at its own version', () => {
    const resolved = resolveDeclarations(
      [k8sauditRules([k8sauditOrEks])],
      [
        { name: 'k8saudit-eks', version: '0.10.2' },
        { name: 'json', version: '0.7.4' },
      ],
      '0.44.1',
    );
    expect(resolved.problems).toEqual([]);
    expect(resolved.dependencies.get('rulesfile/k8saudit-rules')).toEqual([{ name: 'k8saudit', version: '0.18.0', satisfiedBy: 'k8saudit-eks' }]);
  });

  it('names a missing plugin, its alternatives and what to add', () => {
    const { problems } = resolveDeclarations([k8sauditRules([k8sauditOrEks, json])], [{ name: 'json', version: '0.7.4' }], '0.44.1');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ code: 'EXTRACT_DEPENDENCY_MISSING', artifact: { kind: 'rulesfile', name: 'k8saudit-rules' } });
    expect(problems[0]!.message).toBe(
      'rulesfile k8saudit-rules 0.18.0 depends on plugin k8saudit 0.18.0 (or a later 0.x), or k8saudit-eks 0.10.0 (or a later 0.x), which the manifest does not have',
    );
    expect(problems[0]!.hint).toBe('add one of them to plugins in the manifest, e.g. name k8saudit, version 0.18.0 or a later 0.x release');
  });

  it('refuses an earlier version and another major, even when an alternative would fit, as Falco does', () => {
    const older = resolveDeclarations([k8sauditRules([json])], [{ name: 'json', version: '0.7.3' }], '0.44.1').problems;
    expect(older[0]).toMatchObject({
      code: 'EXTRACT_DEPENDENCY_INCOMPATIBLE',
      hint: 'set the version of plugin json in the manifest to 0.7.4 or a later 0.x release',
    });
    expect(older[0]!.message).toContain('but the manifest has json 0.7.3');
    const major = resolveDeclarations([k8sauditRules([json])], [{ name: 'json', version: '1.0.0' }], '0.44.1').problems;
    expect(major[0]!.code).toBe('EXTRACT_DEPENDENCY_INCOMPATIBLE');
    const withAlternative = resolveDeclarations(
      [k8sauditRules([k8sauditOrEks])],
      [
        { name: 'k8saudit', version: '1.2.0' },
        { name: 'k8saudit-eks', version: '0.10.0' },
      ],
      '0.44.1',
    ).problems;
    expect(withAlternative[0]!.message).toContain('but the manifest has k8saudit 1.2.0');
  });

  it('checks requirements against the Falco version, a whole number meaning an engine minor', () => {
    const rules = (version: string) =>
      resolveDeclarations(
        [{ kind: 'rulesfile', name: 'falco-rules', version: '5.1.0', dependencies: [], requirements: [{ name: 'engine_version_semver', version }] }],
        [],
        '0.41.3',
      );
    expect(rules('0.50.0').problems).toEqual([]);
    const unmet = rules('0.57.0').problems;
    expect(unmet[0]).toMatchObject({
      code: 'EXTRACT_REQUIREMENT_NOT_MET',
      message: 'rulesfile falco-rules 5.1.0 requires engine_version_semver 0.57.0, but Falco 0.41.3 provides 0.50.0',
    });
    expect(unmet[0]!.hint).toContain('raise falco.version in the manifest');
    expect(checkRequirement({ name: 'engine_version', version: '15' }, '0.44.1')).toEqual({ verdict: 'met', provided: '62' });
    expect(checkRequirement({ name: 'engine_version', version: '63' }, '0.44.1')).toEqual({ verdict: 'not-met', provided: '62' });
    expect(checkRequirement({ name: 'engine_version_semver', version: '57' }, '0.42.0')).toEqual({ verdict: 'met', provided: '0.57.0' });
  });

  it('warns about a requirement it cannot check, and refuses one no Falco provides', () => {
    const unknownFalco = resolveDeclarations(
      [{ kind: 'rulesfile', name: 'falco-rules', version: '5.1.0', dependencies: [], requirements: [{ name: 'engine_version_semver', version: '0.57.0' }] }],
      [],
      '0.30.0',
    );
    expect(unknownFalco.problems).toEqual([]);
    expect(unknownFalco.warnings).toMatchObject([{ code: 'EXTRACT_REQUIREMENT_UNCHECKED', artifact: { name: 'falco-rules' } }]);
    // A Falco newer than the table reports at least the last engine version it knows.
    expect(checkRequirement({ name: 'engine_version_semver', version: '0.57.0' }, '0.45.0')).toMatchObject({ verdict: 'met' });
    expect(checkRequirement({ name: 'engine_version_semver', version: '0.99.0' }, '0.45.0')).toEqual({ verdict: 'unchecked' });
    expect(checkRequirement({ name: 'kernel_version', version: '6.0.0' }, '0.44.1')).toEqual({ verdict: 'unknown-key' });
  });

  it('refuses a plugin needing a later plugin API than Falco provides as a verification failure', () => {
    const { problems } = resolveDeclarations(
      [{ kind: 'plugin', name: 'k8saudit', version: '0.18.0', dependencies: [], requirements: [{ name: 'plugin_api_version', version: '3.13.0' }] }],
      [{ name: 'k8saudit', version: '0.18.0' }],
      '0.44.1',
    );
    expect(problems[0]).toMatchObject({ code: 'EXTRACT_PLUGIN_API_VERSION' });
    expect(declarationError(problems).category).toBe('verification');
  });

  it('joins every problem into one error with the first code, so the manifest is fixed in one go', () => {
    const { problems } = resolveDeclarations(
      [
        k8sauditRules([k8sauditOrEks, json], [{ name: 'engine_version_semver', version: '0.99.0' }]),
        {
          kind: 'rulesfile',
          name: 'falco-rules',
          version: '5.1.0',
          dependencies: [{ name: 'container', version: '0.4.0', alternatives: [] }],
          requirements: [],
        },
      ],
      [],
      '0.44.1',
    );
    expect(problems.map((p) => p.code)).toEqual([
      'EXTRACT_DEPENDENCY_MISSING',
      'EXTRACT_DEPENDENCY_MISSING',
      'EXTRACT_REQUIREMENT_NOT_MET',
      'EXTRACT_DEPENDENCY_MISSING',
    ]);
    const error = declarationError(problems);
    expect(error).toMatchObject({ code: 'EXTRACT_DEPENDENCY_MISSING', category: 'input' });
    expect(error.message).toContain('depends on plugin container 0.4.0');
    expect(error.message).toContain('requires engine_version_semver 0.99.0');
  });

  it('knows the engine version of the Falco releases the manifest may name', () => {
    expect(falcoEngineVersion('0.44.1')).toBe('0.62.0');
    expect(falcoEngineVersion('0.42.0')).toBe('0.57.0');
    expect(falcoEngineVersion('0.35.0')).toBeUndefined();
  });
});

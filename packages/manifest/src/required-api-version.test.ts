import { describe, expect, it } from 'vitest';
import { ManifestError } from './errors.ts';
import { parseManifest } from './manifest.ts';

const manifest = (pluginExtra: string, rulesExtra = '') => `apiVersion: falco-airgap/v1alpha1
kind: PluginsManifest
falco:
  version: 0.44.1
platforms: [linux/amd64]
plugins:
  - name: container
    version: 0.7.1
    from:
      image: docker.io/falcosecurity/falco:0.44.1-debian
      path: /usr/share/falco/plugins/libcontainer.so
${pluginExtra}rulesfiles:
  - name: falco-rules
    version: 5.1.0
    from:
      artifact: ghcr.io/falcosecurity/rules/falco-rules:5.1.0
${rulesExtra}`;

function issues(text: string): { code: string; line: number | undefined }[] {
  try {
    parseManifest(text, 'm.yaml');
    return [];
  } catch (error) {
    if (!(error instanceof ManifestError)) throw error;
    return error.issues.map((i) => ({ code: i.code, line: i.position?.line }));
  }
}

describe('requiredApiVersion on a plugin entry', () => {
  it('is read when stated, and absent otherwise', () => {
    expect(parseManifest(manifest('    requiredApiVersion: 3.11.0\n')).plugins[0]!.requiredApiVersion).toBe('3.11.0');
    expect(parseManifest(manifest('')).plugins[0]!.requiredApiVersion).toBeUndefined();
  });

  it('must be a semantic version, at its line', () => {
    expect(issues(manifest('    requiredApiVersion: "3.11"\n'))).toEqual([{ code: 'MANIFEST_BAD_SEMVER', line: 12 }]);
  });

  it('belongs to plugins only', () => {
    expect(issues(manifest('', '    requiredApiVersion: 3.11.0\n'))).toEqual([{ code: 'MANIFEST_UNKNOWN_KEY', line: 17 }]);
  });
});

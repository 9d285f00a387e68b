import { parseLock, parseManifest, parseVersionsCatalogue } from '@falco-airgap/manifest';
import { describe, expect, it } from 'vitest';
import { ConfigError } from './config-error.ts';
import { parseConfig, selectEnvironment, yamlPositions } from './config-file.ts';
import { TEST_CATALOGUE } from '../testing/versions-catalogue.ts';
import { decideEnvironmentFalco, type FalcoDecisionInput, type FalcoWarning } from './falco-environment.ts';

const catalogue = parseVersionsCatalogue(TEST_CATALOGUE, 'versions.yaml');

const manifestText = `apiVersion: falco-airgap/v1alpha1
kind: PluginsManifest
falco:
  version: 0.44.1
platforms: [linux/amd64]
plugins:
  - name: container
    version: 0.7.1
    requiredApiVersion: 3.12.0
    from: { image: docker.io/falcosecurity/falco:0.44.1-debian, path: /usr/share/falco/plugins/libcontainer.so }
rulesfiles:
  - name: falco-rules
    version: 5.1.0
    from: { artifact: ghcr.io/falcosecurity/rules/falco-rules:5.1.0 }
  - name: falco-incubating-rules
    version: 5.0.0
    from: { artifact: ghcr.io/falcosecurity/rules/falco-incubating-rules:5.0.0 }
`;

function decide(environment: string, options: Partial<FalcoDecisionInput> = {}) {
  const config = parseConfig(
    `apiVersion: falco-airgap/v1\nkind: Config\nenvironments:\n  e:\n    registry: { host: localhost:5000 }\n    cluster: { kubeContext: c }\n${environment}`,
    'envs.yaml',
  );
  const warnings: FalcoWarning[] = [];
  const input: FalcoDecisionInput = {
    catalogue,
    now: new Date('2026-11-30T00:00:00Z'),
    environment: { name: 'e', config: selectEnvironment(config, 'e'), positionOf: (path) => config.positionOf(path) },
    manifest: { manifest: parseManifest(manifestText, 'plugins-manifest.yaml'), positionOf: yamlPositions(manifestText, 'plugins-manifest.yaml') },
    purpose: 'deliver',
    warn: (warning) => warnings.push(warning),
    ...options,
  };
  return { decided: decideEnvironmentFalco(input), warnings };
}

function refused(environment: string, options: Partial<FalcoDecisionInput> = {}): { code: string; location: string; message: string }[] {
  try {
    decide(environment, options);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.issues.map((i) => ({ code: i.code, location: `${i.position.file}:${i.position.line}:${i.position.column}`, message: i.message }));
  }
  throw new Error('not refused');
}

describe('an environment against the versions catalogue', () => {
  it('auto is the latest supported version, and the chart gets it as falcoVersion', () => {
    const { decided, warnings } = decide('    falco: { version: auto }\n');
    expect(decided).toMatchObject({ version: '0.44.1', requested: 'auto', chartValues: { falcoVersion: '0.44.1' } });
    expect(decided!.chartValues.rules).toBeUndefined();
    expect(warnings).toEqual([]);
  });

  it('without falco.version takes the manifest falco.version through the same checks', () => {
    expect(decide('').decided).toMatchObject({ version: '0.44.1', requested: '0.44.1' });
  });

  it('warns about a deprecated version with its expiry, at the line that names it', () => {
    const { decided, warnings } = decide('    falco:\n      version: 0.43.1\n');
    expect(decided!.version).toBe('0.43.1');
    expect(warnings).toContainEqual(
      expect.objectContaining({ code: 'FALCO_VERSION_DEPRECATED', location: 'envs.yaml:8:16', message: expect.stringContaining('expires on 2099-12-31') }),
    );
  });

  it('refuses an expired version at its line, naming the latest supported one', () => {
    expect(refused('    falco:\n      version: 0.41.3\n')).toEqual([
      { code: 'CONFIG_FALCO_VERSION_EXPIRED', location: 'envs.yaml:8:16', message: 'Falco 0.41.3 expired on 2020-01-01 and is no longer deployed' },
    ]);
  });

  it('with autoUpdate moves an expired version to the latest supported one, and says so', () => {
    const { decided, warnings } = decide('    falco: { version: 0.41.3, autoUpdate: true }\n');
    expect(decided).toMatchObject({ version: '0.44.1', movedFrom: { version: '0.41.3', because: 'expired' }, chartValues: { falcoVersion: '0.44.1' } });
    expect(warnings.map((w) => w.code)).toEqual(['FALCO_VERSION_UPDATED']);
  });

  it('refuses a version the catalogue does not list, with the ones it does', () => {
    const [issue] = refused('    falco: { version: 0.40.0 }\n');
    expect(issue).toMatchObject({ code: 'CONFIG_FALCO_VERSION_UNKNOWN', location: 'envs.yaml:7:23' });
  });

  it('refuses a plugin the chosen Falco cannot load, at the manifest line that states its requirement', () => {
    const options = {
      catalogue: { ...catalogue, versions: catalogue.versions.map((v) => (v.version === '0.41.3' ? { ...v, expirationDate: '2099-01-01' } : v)) },
    };
    expect(refused('    falco: { version: 0.41.3 }\n', options)).toEqual([
      {
        code: 'CONFIG_PLUGIN_API_INCOMPATIBLE',
        location: 'plugins-manifest.yaml:9:25',
        message:
          "plugin container 0.7.1 requires plugin API 3.12.0, which Falco 0.41.3 (plugin API 3.11.0) cannot load: Falco's plugin API 3.11.0 is older than the 3.12.0 required",
      },
    ]);
  });

  it('maps the rule sets to the lock files in load order, with the overrides, and warns when the manifest pins another rules version', () => {
    const { decided, warnings } = decide('    rules: { incubating: true, overrides: true }\n');
    expect(decided!.rules).toMatchObject({ falco: true, incubating: true, sandbox: false, overrides: true });
    expect(decided!.chartValues.rules).toEqual({ lockedFiles: ['falco_rules.yaml', 'falco-incubating_rules.yaml'], overrides: true });
    expect(warnings).toEqual([
      expect.objectContaining({
        code: 'RULES_VERSION_DIFFERS',
        location: 'plugins-manifest.yaml:16:14',
        message: expect.stringContaining('catalogue gives 5.0.1'),
      }),
    ]);
  });

  it('refuses a rule set the manifest does not mirror, with the entry to add', () => {
    const [issue] = refused('    rules: { falco: true, sandbox: true }\n');
    expect(issue).toMatchObject({ code: 'CONFIG_RULES_NOT_IN_MANIFEST', location: 'envs.yaml:7:12' });
    expect(issue!.message).toContain('does not mirror falco-sandbox-rules');
  });

  it('without a manifest, checks the lock: its plugins and that it holds each selected rule set', () => {
    const lockText = `apiVersion: falco-airgap/v1alpha1
kind: PluginsLock
generatedAt: '2026-01-01T00:00:00.000Z'
falco: { version: 0.44.1 }
manifestSha256: '${'a'.repeat(64)}'
plugins: []
rulesfiles:
  - name: falco-rules
    version: 5.1.0
    source: { artifact: ghcr.io/falcosecurity/rules/falco-rules:5.1.0 }
    resolvedDigest: sha256:${'1'.repeat(64)}
    manifestDigest: sha256:${'1'.repeat(64)}
    layerDigest: sha256:${'2'.repeat(64)}
    files: [{ file: falco_rules.yaml, sha256: '${'3'.repeat(64)}', size: 10, path: rules/falco_rules.yaml }]
`;
    const lock = { lock: parseLock(lockText, 'plugins-lock.yaml'), positionOf: yamlPositions(lockText, 'plugins-lock.yaml') };
    expect(decide('    falco: { version: auto }\n    rules: { falco: true }\n', { manifest: undefined, lock }).decided!.chartValues.rules).toEqual({
      lockedFiles: ['falco_rules.yaml'],
      overrides: false,
    });
    expect(refused('    falco: { version: auto }\n    rules: { incubating: true }\n', { manifest: undefined, lock })[0]).toMatchObject({
      code: 'CONFIG_RULES_NOT_IN_MANIFEST',
      message: expect.stringContaining('the lock holds no falco-incubating-rules'),
    });
  });

  it('for status says what deploy would refuse as warnings, and still names the version', () => {
    const { decided, warnings } = decide('    falco: { version: 0.41.3 }\n', { purpose: 'inspect' });
    expect(decided!.version).toBe('0.41.3');
    expect(warnings.map((w) => w.code)).toContain('CONFIG_FALCO_VERSION_EXPIRED');
  });
});

import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { migrateOfficialValues } from './migrate.ts';
import { upstreamChartValues, upstreamLeaves, upstreamValuesFixtures } from './test-support/upstream-values.ts';
import { validateValues } from './validate.ts';

// The upstream chart's own values.yaml (9.1.0, a pinned copy) through the schema and through the migration.
const official = upstreamChartValues();
const leaves = upstreamLeaves(official);

/** Whether an issue path names this leaf, something above it, or something inside it. */
function refuses(issuePath: string, leaf: string): boolean {
  const [a, b] = issuePath.length <= leaf.length ? [issuePath, leaf] : [leaf, issuePath];
  return b === a || b.startsWith(`${a}.`) || b.startsWith(`${a}[`) || a === '';
}

describe('the upstream chart values.yaml (falco 9.1.0)', () => {
  const issues = validateValues(official);
  const refused = leaves.filter((leaf) => issues.some((issue) => refuses(issue.path, leaf)));
  const migration = migrateOfficialValues(official);

  it('holds the 249 values the parity review counted', () => {
    expect(leaves).toHaveLength(249);
    expect(migration.steps.map((s) => s.path)).toEqual(leaves);
  });

  it('is accepted by the schema, with the same meaning, except the keys of what air-gap mode does differently', () => {
    expect(issues.map((i) => i.path).sort()).toEqual([
      'collectors.containerEngine.pluginRef',
      'collectors.kubernetes.pluginRef',
      'falco-talon',
      'falcoctl',
      'falcosidekick.fullfqdn',
      'falcosidekick.listenPort',
      'grafana',
      'responseActions',
    ]);
    expect(refused).toHaveLength(42);
  });

  it('names, for every key it refuses, where the setting lives or why air-gap mode has none', () => {
    for (const issue of issues) {
      expect(issue.code).toBe('VALUES_UNKNOWN_KEY');
      expect(issue.hint, issue.path).not.toMatch(/^remove it; /);
      expect(issue.hint.length, issue.path).toBeGreaterThan(40);
    }
    expect(issues.find((i) => i.path === 'falcoctl')!.hint).toMatch(/artifact\.follow is not supported because nothing can be pulled from the internet/);
  });

  it('migrates to values this chart accepts, carrying over at least 95% of the keys accepted or migrated', () => {
    expect(validateValues(migration.values)).toEqual([]);
    const covered = leaves.filter((leaf) => !refused.includes(leaf) || migration.steps.find((s) => s.path === leaf)!.outcome !== 'dropped');
    expect(covered.length / leaves.length).toBeGreaterThanOrEqual(0.95);
    expect(leaves.length - covered.length).toBe(12);
  });

  it('gives every value it does not carry over a reason', () => {
    for (const step of migration.notCarried) expect(step.reason?.length ?? 0, step.path).toBeGreaterThan(20);
    expect(migration.notCarried.map((s) => s.path)).toEqual([
      'image.registry',
      'image.repository',
      'driver.loader.initContainer.image.registry',
      'driver.loader.initContainer.image.repository',
      'collectors.containerEngine.pluginRef',
      'falcoctl.image.registry',
      'falcoctl.image.repository',
      'falcoctl.image.tag',
      'falcoctl.artifact.install.args',
      'falcoctl.artifact.follow.enabled',
      'falcoctl.artifact.follow.args',
      'falcoctl.config.indexes',
      'falcoctl.config.artifact.install.refs',
      'falcoctl.config.artifact.follow.refs',
      'falcoctl.config.artifact.follow.every',
      'falcoctl.config.artifact.follow.falcoversions',
    ]);
    expect(migration.steps.find((s) => s.path === 'falcoctl.artifact.follow.enabled')!.reason).toMatch(/^falcoctl artifact follow is not supported/);
  });

  it('writes only what differs from this chart, keeping the upstream names for an upgrade in place', () => {
    expect(migration.values).toEqual({
      nameOverride: 'falco',
      driver: { kind: 'auto' },
      collectors: { containerEngine: { engines: { docker: { enabled: true } } } },
      falco: { program_output: { program: "jq '{text: .output}' | curl -d @- -X POST https://hooks.slack.com/services/XXX" } },
      healthChecks: { startupProbe: { failureThreshold: 20 } },
    });
    expect(migration.steps.find((s) => s.path === 'falcoctl.artifact.install.enabled')).toMatchObject({ outcome: 'moved', to: 'pluginStrategy' });
    expect(migration.steps.find((s) => s.path === 'falcoctl.config.artifact.allowedTypes')).toMatchObject({ outcome: 'moved', to: 'lockedRules.enabled' });
  });
});

describe('migrateOfficialValues', () => {
  it('points Falco at falcosidekick as the upstream chart did, and says the subchart must be installed', () => {
    const result = migrateOfficialValues({ falcosidekick: { enabled: true, fullfqdn: true } }, { releaseName: 'sec', namespace: 'monitoring' });
    expect(result.values.falco).toEqual({
      json_output: true,
      http_output: { enabled: true, url: 'http://sec-falco-falcosidekick.monitoring.svc.cluster.local:2801' },
    });
    expect(result.steps[0]).toMatchObject({ path: 'falcosidekick.enabled', outcome: 'moved' });
    expect(result.steps[0]!.reason).toContain('install the falcosidekick chart as release sec in monitoring');
    const ownUrl = migrateOfficialValues({ falcosidekick: { enabled: true }, falco: { http_output: { url: 'http://sidekick:2801/' } } });
    expect((ownUrl.values.falco as { http_output: unknown }).http_output).toEqual({ enabled: true, url: 'http://sidekick:2801/' });
  });

  it('turns falcoctl install off into pluginStrategy none and a rulesfile-less allowedTypes into lockedRules off', () => {
    const result = migrateOfficialValues({ falcoctl: { artifact: { install: { enabled: false } }, config: { artifact: { allowedTypes: ['plugin'] } } } });
    expect(result.values).toMatchObject({ pluginStrategy: 'none', lockedRules: { enabled: false } });
  });

  it('keeps an image of a private mirror, and drops the public upstream one', () => {
    expect(migrateOfficialValues({ image: { registry: 'registry.corp.example', repository: 'falcosecurity/falco', tag: '0.44.1' } }).values.image).toEqual({
      registry: 'registry.corp.example',
      repository: 'falcosecurity/falco',
      tag: '0.44.1',
    });
    expect(migrateOfficialValues({ image: { registry: 'docker.io', repository: 'falcosecurity/falco' } }).values.image).toBeUndefined();
  });

  it('steps the container collector aside when falco.plugins configures the container plugin itself, as upstream', () => {
    const plugins = [{ name: 'container', library_path: 'libcontainer.so', init_config: { engines: { cri: { enabled: true } } } }];
    const result = migrateOfficialValues({ falco: { plugins, load_plugins: ['container'] } });
    expect(result.values).toMatchObject({ collectors: { containerEngine: { enabled: false } }, falco: { plugins, load_plugins: ['container'] } });
    expect(validateValues(result.values)).toEqual([]);
  });

  it('renames the old driver kinds and drops the /etc/falco/config.d this chart always loads', () => {
    const result = migrateOfficialValues({ driver: { kind: 'module' }, falco: { config_files: ['/etc/falco/config.d', '/etc/falco/extra.yaml'] } });
    expect(result.values).toMatchObject({ driver: { kind: 'kmod' }, falco: { config_files: ['/etc/falco/extra.yaml'] } });
  });

  it('drops a value this chart refuses, with the refusal as the reason, and keeps the rest', () => {
    const result = migrateOfficialValues({ driver: { kind: 'ebpf' }, tty: true });
    expect(result.values).toMatchObject({ tty: true });
    expect(result.values.driver).toBeUndefined();
    expect(result.notCarried).toEqual([expect.objectContaining({ path: 'driver.kind', outcome: 'dropped' })]);
    expect(result.notCarried[0]!.reason).toContain('Falco removed in 0.44.0');
  });

  it('keeps nameOverride when given and adds it when absent', () => {
    expect(migrateOfficialValues({ nameOverride: 'runtime-security' }).values.nameOverride).toBe('runtime-security');
    const absent = migrateOfficialValues({ tty: true });
    expect(absent.values.nameOverride).toBe('falco');
    expect(absent.notes[0]).toContain('updates the DaemonSet in place');
  });

  it('refuses what is not a map', () => {
    expect(() => migrateOfficialValues(['a'])).toThrow(/must be a map/);
  });

  describe.each(upstreamValuesFixtures())('realistic upstream values $name', (fixture) => {
    it('migrates to values this chart accepts, with a reason for everything left behind', () => {
      const result = migrateOfficialValues(parse(fixture.text));
      expect(validateValues(result.values)).toEqual([]);
      for (const step of result.notCarried) expect(step.reason?.length ?? 0, step.path).toBeGreaterThan(20);
    });
  });
});

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FALCOSIDEKICK_VERSION } from '@falco-airgap/helm-values-schema';
import { latestSupported, loadVersionsCatalogue } from '@falco-airgap/manifest';
import { afterAll, describe, expect, it } from 'vitest';
import { runInMemory } from '../testing/run-in-memory.ts';
import { TEST_CATALOGUE } from '../testing/versions-catalogue.ts';
import { formatTable } from './versions.ts';

const dir = mkdtempSync(join(tmpdir(), 'falco-airgap-versions-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(join(dir, 'versions.yaml'), TEST_CATALOGUE);
writeFileSync(
  join(dir, 'falco-airgap.config.yaml'),
  [
    'apiVersion: falco-airgap/v1',
    'kind: Config',
    'versionsFile: versions.yaml',
    'environments:',
    '  old:',
    '    registry: { host: localhost:5000 }',
    '    cluster: { kubeContext: c }',
    '    falco: { version: 0.41.3 }',
    '  moving:',
    '    registry: { host: localhost:5000 }',
    '    cluster: { kubeContext: c }',
    '    falco: { version: 0.41.3, autoUpdate: true }',
    '',
  ].join('\n'),
);
const run = (...argv: string[]) => runInMemory(argv, { cwd: dir });
const lastLine = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!) as { exitCode: number; data: Record<string, unknown> };

describe('falco-airgap versions', () => {
  it('list prints the catalogue newest first, tab-separated off a terminal, from the file the configuration names', async () => {
    const result = await run('versions', 'list');
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n').slice(0, 4)).toEqual([
      'VERSION\tLIFECYCLE\tLIBS\tPLUGIN API\tFALCO-RULES\tINCUBATING\tSANDBOX\tFALCOSIDEKICK',
      '0.44.1\tsupported (latest)\t0.25.4\t3.12.0\t5.1.0\t5.0.1\t5.0.1\t-',
      '0.43.1\tdeprecated, expires 2099-12-31\t0.23.2\t3.12.0\t5.0.0\t-\t-\t-',
      '0.41.3\texpired 2020-01-01\t0.21.0\t3.11.0\t4.0.0\t-\t-\t-',
    ]);
  });

  it('list --json gives every entry with its state, and --versions-file wins over the configuration', async () => {
    writeFileSync(join(dir, 'other.yaml'), TEST_CATALOGUE.replace('0.44.1', '0.44.2'));
    const result = await run('--json', 'versions', 'list', '--versions-file', 'other.yaml');
    const { data } = lastLine(result.stdout);
    expect(data.catalogue).toBe('other.yaml');
    expect((data.versions as { version: string; expired: boolean }[]).map((v) => [v.version, v.expired])).toEqual([
      ['0.44.2', false],
      ['0.43.1', false],
      ['0.41.3', true],
    ]);
  });

  it('show names the rules artifacts at their versions; auto is the latest supported', async () => {
    const result = await run('versions', 'show', 'auto');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^version +0\.44\.1$/m);
    expect(result.stdout).toContain('ghcr.io/falcosecurity/rules/falco-incubating-rules:5.0.1');
    expect(result.stdout).toMatch(/^image falco +docker\.io\/falcosecurity\/falco:0\.44\.1$/m);
  });

  it('show refuses a version the catalogue does not list, with exit 2', async () => {
    const result = await run('versions', 'show', '0.30.0');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      'error[CLI_UNKNOWN_FALCO_VERSION]: Falco 0.30.0 is not in the versions catalogue versions.yaml — known versions: 0.44.1, 0.43.1, 0.41.3, or auto',
    );
  });

  it('resolve prints the version alone: auto, a deprecated one with a warning, an expired one refused unless it may move', async () => {
    expect((await run('versions', 'resolve')).stdout).toBe('0.44.1\n');
    const deprecated = await run('versions', 'resolve', '0.43.1');
    expect(deprecated.stdout).toBe('0.43.1\n');
    expect(deprecated.stderr).toContain('warning[FALCO_VERSION_DEPRECATED]');
    expect((await run('versions', 'resolve', '0.41.3')).code).toBe(2);
    expect((await run('versions', 'resolve', '0.41.3', '--auto-update')).stdout).toBe('0.44.1\n');
  });

  it('resolve --env refuses an expired environment at its line, and moves one with autoUpdate', async () => {
    const old = await run('versions', 'resolve', '--env', 'old');
    expect(old.code).toBe(2);
    expect(old.stderr).toContain('error[CONFIG_FALCO_VERSION_EXPIRED]: falco-airgap.config.yaml:8:23: Falco 0.41.3 expired on 2020-01-01');
    const moving = await run('--json', 'versions', 'resolve', '--env', 'moving');
    expect(lastLine(moving.stdout)).toMatchObject({ exitCode: 0, data: { version: '0.44.1', movedFrom: { version: '0.41.3', because: 'expired' } } });
  });
});

describe('the shipped catalogue', () => {
  it("pairs its latest supported Falco with the Falcosidekick release the chart deploys, and the chart's appVersion", async () => {
    const latest = latestSupported(await loadVersionsCatalogue());
    expect(latest?.falcosidekick).toBe(FALCOSIDEKICK_VERSION);
    const chart = readFileSync(join(import.meta.dirname, '../../../../helm/falco-airgap/Chart.yaml'), 'utf8');
    expect(chart).toContain(`appVersion: "${latest?.version}"`);
  });
});

describe('formatTable', () => {
  it('aligns columns for a terminal', () => {
    expect(formatTable(['A', 'BB'], [['long', 'x']], true)).toBe('A     BB\nlong  x\n');
  });
});

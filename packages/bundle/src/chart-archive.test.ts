import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeDirectory } from '@falco-airgap/core';
import { unpackChart } from './chart-archive.ts';
import { isBundleError } from './errors.ts';

describe('unpackChart', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'chart-archive-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  /** A .tgz as `helm package` lays it out (one top directory), made by GNU tar. */
  async function chartArchive(chartYaml: string): Promise<Buffer> {
    await makeDirectory(join(root, 'src', 'demo', 'templates'));
    await writeFile(join(root, 'src', 'demo', 'Chart.yaml'), chartYaml);
    await writeFile(join(root, 'src', 'demo', 'templates', 'cm.yaml'), 'kind: ConfigMap\n');
    execFileSync('tar', ['-czf', join(root, 'demo.tgz'), '-C', join(root, 'src'), 'demo']);
    return readFile(join(root, 'demo.tgz'));
  }

  it('unpacks a packaged chart and reads its name and version', async () => {
    const dest = join(root, 'out');
    expect(await unpackChart(await chartArchive('apiVersion: v2\nname: demo\nversion: 1.2.3\n'), dest)).toEqual({ name: 'demo', version: '1.2.3' });
    expect(await readFile(join(dest, 'templates', 'cm.yaml'), 'utf8')).toBe('kind: ConfigMap\n');
  });

  it('refuses a Chart.yaml whose aliases expand without bound as a bad archive, not a crash', async () => {
    const bomb = await readFile(join(import.meta.dirname, '../../../tools/fixtures/yaml-alias-bomb.yaml'), 'utf8');
    const error = await unpackChart(await chartArchive(`name: demo\nversion: 1.0.0\n${bomb}`), join(root, 'out')).catch((e: unknown) => e);
    expect(isBundleError(error) && error.code).toBe('BUNDLE_BAD_ARCHIVE');
    expect((error as Error).message).toMatch(/^the bundle's chart is not a valid packaged chart: its Chart\.yaml is not valid YAML: .*alias/i);
  });
});

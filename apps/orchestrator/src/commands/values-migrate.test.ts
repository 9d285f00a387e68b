import { validateValues } from '@falco-airgap/helm-values-schema';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runInMemory } from '../testing/run-in-memory.ts';

const UPSTREAM = `image:
  registry: docker.io
  repository: falcosecurity/falco
driver:
  kind: modern_ebpf
  modernEbpf:
    leastPrivileged: true
falcoctl:
  artifact:
    follow:
      enabled: true
falcosidekick:
  enabled: true
podPriorityClassName:
`;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'values-migrate-'));
  await writeFile(join(dir, 'upstream.yaml'), UPSTREAM);
  await writeFile(join(dir, 'broken.yaml'), 'driver:\n  kind: [\n');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const lastJson = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!);

describe('falco-airgap values migrate', () => {
  it('writes values this chart accepts, and warns at the line of every value it does not carry over', async () => {
    const result = await runInMemory(['values', 'migrate', 'upstream.yaml', '--out', 'migrated.yaml', '--release', 'sec'], { cwd: dir });
    expect(result.code).toBe(0);
    const written = await readFile(join(dir, 'migrated.yaml'), 'utf8');
    const values = parse(written) as Record<string, unknown>;
    expect(validateValues(values)).toEqual([]);
    expect(values).toMatchObject({
      nameOverride: 'falco',
      driver: { modernEbpf: { leastPrivileged: true } },
      falco: { json_output: true, http_output: { enabled: true, url: 'http://sec-falco-falcosidekick:2801' } },
    });
    expect(written).toMatch(/^# .*migrated from upstream\.yaml/);
    expect(written).toContain('#   falcoctl.artifact.follow.enabled: falcoctl artifact follow is not supported');
    const warnings = result.stderr.split('\n').filter((line) => line.startsWith('warning[VALUES_NOT_CARRIED_OVER]'));
    expect(warnings).toEqual([
      expect.stringMatching(/^warning\[VALUES_NOT_CARRIED_OVER\]: upstream\.yaml:2:13: image\.registry is not carried over — docker\.io is a public registry/),
      expect.stringMatching(/^warning\[VALUES_NOT_CARRIED_OVER\]: upstream\.yaml:3:15: image\.repository is not carried over/),
      expect.stringMatching(/^warning\[VALUES_NOT_CARRIED_OVER\]: upstream\.yaml:11:16: falcoctl\.artifact\.follow\.enabled is not carried over/),
    ]);
    expect(result.stdout).toContain('wrote migrated.yaml: 7 values: 1 kept, 1 moved, 2 already so here, 3 not carried over');
  });

  it('prints the values on stdout without --out, and reports every step with --json', async () => {
    const plain = await runInMemory(['values', 'migrate', 'upstream.yaml'], { cwd: dir });
    expect(plain.code).toBe(0);
    expect(parse(plain.stdout)).toMatchObject({ nameOverride: 'falco' });
    const json = await runInMemory(['--json', 'values', 'migrate', 'upstream.yaml'], { cwd: dir });
    const { data, exitCode } = lastJson(json.stdout);
    expect(exitCode).toBe(0);
    expect(data.counts).toEqual({ kept: 1, moved: 1, unchanged: 2, dropped: 3 });
    expect(data.notCarried.map((s: { path: string }) => s.path)).toEqual(['image.registry', 'image.repository', 'falcoctl.artifact.follow.enabled']);
  });

  it('exits 2 with the file and line on a file that is not YAML, and on a missing file', async () => {
    const broken = await runInMemory(['values', 'migrate', 'broken.yaml'], { cwd: dir });
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/^error\[VALUES_YAML_SYNTAX\]: broken\.yaml:\d+:\d+: /m);
    const missing = await runInMemory(['values', 'migrate', 'absent.yaml'], { cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('error[VALUES_READ_FAILED]');
  });
});

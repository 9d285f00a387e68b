import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../program.ts';
import { runInMemory } from '../testing/run-in-memory.ts';

const repoRoot = resolve(import.meta.dirname, '../../../..');
let scratch: string;

async function run(argv: string[]) {
  return runInMemory(argv, { cwd: repoRoot });
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'cli-extract-usage-'));
});
afterAll(() => rm(scratch, { recursive: true, force: true }));

describe('falco-airgap extract usage', () => {
  it.each([
    [['--via', 'podman'], 'CLI_USAGE'],
    [['--via', 'docker', '--keep-source'], 'CLI_USAGE'],
    [['--platform', 'linux/s390x'], 'CLI_USAGE'],
    [['--max-entries', '-3'], 'CLI_USAGE'],
    [['--manifest', 'packages/manifest/test-fixtures/bad/06-ref-no-tag.yaml'], 'MANIFEST_REF_NO_TAG_OR_DIGEST'],
    [['--manifest', 'nope.yaml'], 'MANIFEST_READ_FAILED'],
    [['--locked'], 'EXTRACT_LOCK_MISSING'],
  ])('exits 2 on %j with %s and writes nothing', async (flags, code) => {
    const out = join(scratch, code);
    const result = await run(['extract', '--out', out, '--cache-dir', join(scratch, 'cache'), ...flags]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`error[${code}]`);
    expect(await readdir(out).catch(() => [])).toEqual([]);
  });

  it('names flags, not library options, in messages and hints', async () => {
    const out = join(scratch, 'flags');
    const locked = await run(['extract', '--out', out, '--locked']);
    expect(locked.stderr).toMatch(
      /error\[EXTRACT_LOCK_MISSING\]: --locked needs .*plugins-lock\.yaml, which does not exist — run extract once without --locked and commit the lock/,
    );
    const manifest = join(scratch, 'amd64-only.yaml');
    await writeFile(
      manifest,
      (await readFile(join(repoRoot, 'plugins/plugins-manifest.yaml'), 'utf8')).replace(/^platforms: .*$/m, 'platforms: [linux/amd64]'),
    );
    const platform = await run(['extract', '--manifest', manifest, '--out', out, '--platform', 'linux/arm64']);
    expect(platform.code).toBe(2);
    expect(platform.stderr).toContain("--platform linux/arm64 is not among the manifest's platforms (linux/amd64)");
    expect(platform.stderr).not.toContain('`');
  });

  it('lists its flags in --help', async () => {
    const stdout = new PassThrough();
    let out = '';
    stdout.on('data', (c) => (out += c));
    const code = await runCli(['extract', '--help'], {
      streams: { stdout, stderr: new PassThrough() },
      cwd: repoRoot,
      env: {},
      signal: new AbortController().signal,
    });
    expect(code).toBe(0);
    for (const flag of [
      '--manifest',
      '--out',
      '--platform',
      '--locked',
      '--via',
      '--keep-source',
      '--ca-file',
      '--plain-http',
      '--cache-dir',
      '--max-uncompressed-bytes',
      '--max-entries',
    ])
      expect(out).toContain(flag);
  });
});

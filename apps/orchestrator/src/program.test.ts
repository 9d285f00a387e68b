import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { runInMemory } from './testing/run-in-memory.ts';

const repoRoot = resolve(import.meta.dirname, '../../..');
const badDir = 'packages/manifest/test-fixtures/bad';

async function run(argv: string[]) {
  return runInMemory(argv, { cwd: repoRoot });
}

describe('falco-airgap manifest validate', () => {
  it('exits 0 on the shipped manifest', async () => {
    const result = await run(['manifest', 'validate']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('plugins/plugins-manifest.yaml is valid: 5 plugins, 1 rulesfile');
  });

  for (const fixture of readdirSync(join(repoRoot, badDir))) {
    it(`exits 2 with FILE:LINE:COL and a code on ${fixture}`, async () => {
      const [, code, position] = /^# expect: (\S+) (\S+)/.exec(readFileSync(join(repoRoot, badDir, fixture), 'utf8'))!;
      const result = await run(['manifest', 'validate', `${badDir}/${fixture}`]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`error[${code}]: ${badDir}/${fixture}:${position}: `);
      expect(result.stderr).toMatch(/ — \S/);
    });
  }

  it('streams JSON events ending with the result', async () => {
    const result = await run(['--json', 'manifest', 'validate', `${badDir}/03-duplicate-name.yaml`]);
    expect(result.code).toBe(2);
    const lines = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines.at(-1)).toMatchObject({
      type: 'result',
      ok: false,
      exitCode: 2,
      error: { code: 'MANIFEST_DUPLICATE_NAME', location: `${badDir}/03-duplicate-name.yaml:11:11` },
    });
    expect(lines.slice(0, -1).every((line) => line.type !== 'result')).toBe(true);
  });

  it('returns the parsed manifest as JSON data on success', async () => {
    const result = await run(['--json', 'manifest', 'validate']);
    const last = JSON.parse(result.stdout.trim().split('\n').at(-1)!);
    expect(last).toMatchObject({ type: 'result', ok: true, data: { falco: { version: '0.44.1' }, platforms: ['linux/amd64', 'linux/arm64'] } });
    expect(last.data.plugins).toHaveLength(5);
  });

  it('exits 2 when the file does not exist', async () => {
    const result = await run(['manifest', 'validate', 'nope.yaml']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('error[MANIFEST_READ_FAILED]: cannot read manifest nope.yaml: ENOENT');
  });
});

describe('falco-airgap usage', () => {
  it('exits 2 on an unknown flag with a usage code', async () => {
    const result = await run(['manifest', 'validate', '--bogus']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("error[CLI_USAGE]: unknown option '--bogus'");
  });

  it.each([[[]], [['manifest']], [['manifest', 'validate']], [['pipeline']]])('prints help for %j', async (argv) => {
    const result = await run([...argv, '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: falco-airgap');
  });

  it('reads --config before the command runs and refuses a missing file', async () => {
    const result = await run(['--config', 'envs.yaml', 'manifest', 'validate']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('error[CONFIG_NOT_FOUND]: envs.yaml:1:1: cannot read envs.yaml');
  });

  it('prints the package version', async () => {
    const result = await run(['--version']);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(JSON.parse(readFileSync(join(repoRoot, 'apps/orchestrator/package.json'), 'utf8')).version);
  });

  it('plans the pipeline as data with --dry-run', async () => {
    const result = await run(['--json', 'pipeline', '--env', 'local', '--strategy', 's3', '--dry-run']);
    expect(result.code).toBe(0);
    const data = JSON.parse(result.stdout.trim().split('\n').at(-1)!).data;
    expect(data.stages.map((s: { stage: string; run: boolean }) => `${s.stage}:${s.run}`)).toEqual([
      'extract:true',
      'publish:true',
      'build:true',
      'push:true',
      'deploy:true',
    ]);
    expect(data.stages[0].items).toHaveLength(11);
  });

  it('checks the deploy flags before any stage touches anything, with exit 2', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'pipeline-'));
    try {
      cpSync(join(repoRoot, 'plugins/plugins-manifest.yaml'), join(cwd, 'manifest.yaml'));
      const result = await runInMemory(['pipeline', '--env', 'local', '--manifest', 'manifest.yaml', '--eks-cluster', 'falco', '--kube-context', 'minikube'], {
        cwd,
      });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('error[CLI_USAGE]: --eks-cluster cannot be combined with --kubeconfig or --kube-context');
      const late = await runInMemory(['pipeline', '--env', 'local', '--manifest', 'manifest.yaml', '--timeout', '0s'], { cwd });
      expect(late.code).toBe(2);
      expect(readdirSync(cwd)).toEqual(['manifest.yaml']);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });

  it('asks for a bucket before running an s3 pipeline', async () => {
    // Outside the repository: its falco-airgap.config.yaml names a bucket for prod.
    const cwd = mkdtempSync(join(tmpdir(), 'pipeline-'));
    cpSync(join(repoRoot, 'plugins/plugins-manifest.yaml'), join(cwd, 'plugins-manifest.yaml'));
    const argv = ['pipeline', '--env', 'prod', '--strategy', 's3', '--no-build', '--no-deploy', '--manifest', 'plugins-manifest.yaml'];
    const result = await runInMemory(argv, { cwd });
    rmSync(cwd, { recursive: true, force: true });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('error[CLI_USAGE]: strategy s3 publishes to S3, but no bucket is set — pass --bucket or set FALCO_AIRGAP_S3_BUCKET');
  });

  it('refuses an unknown strategy with exit 2', async () => {
    const result = await run(['pipeline', '--env', 'local', '--strategy', 'magic', '--dry-run']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('error[CLI_USAGE]');
  });
});

describe('the falco-airgap executable', () => {
  it('runs as a process and exits with the mapped code', async () => {
    const exec = promisify(execFile);
    const bin = ['--conditions=@falco-airgap/source', join(repoRoot, 'apps/orchestrator/src/bin.ts')];
    const ok = await exec(process.execPath, [...bin, 'manifest', 'validate'], { cwd: repoRoot });
    expect(ok.stdout).toContain('is valid');
    const failed = await exec(process.execPath, [...bin, 'manifest', 'validate', `${badDir}/06-ref-no-tag.yaml`], { cwd: repoRoot }).catch((e) => e);
    expect(failed.code).toBe(2);
    expect(failed.stderr).toContain(`error[MANIFEST_REF_NO_TAG_OR_DIGEST]: ${badDir}/06-ref-no-tag.yaml:11:17:`);
  });
});

describe('falco-airgap output contract', () => {
  it('with --json still prints the error as text on stderr, besides the result on stdout', async () => {
    const result = await run(['--json', 'manifest', 'validate', `${badDir}/06-ref-no-tag.yaml`]);
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stdout.trim().split('\n').at(-1)!)).toMatchObject({ type: 'result', error: { code: 'MANIFEST_REF_NO_TAG_OR_DIGEST' } });
    expect(result.stderr).toContain(`error[MANIFEST_REF_NO_TAG_OR_DIGEST]: ${badDir}/06-ref-no-tag.yaml:11:17: `);
  });

  it('plans strategy none without extract or publish', async () => {
    const result = await run(['--json', 'pipeline', '--env', 'local', '--strategy', 'none', '--dry-run']);
    expect(result.code).toBe(0);
    const data = JSON.parse(result.stdout.trim().split('\n').at(-1)!).data;
    expect(data.stages.map((s: { stage: string; run: boolean }) => `${s.stage}:${s.run}`)).toEqual([
      'extract:false',
      'publish:false',
      'build:true',
      'push:true',
      'deploy:true',
    ]);
    expect(data.stages[2].items).toEqual(['falco']);
  });
});

describe('falco-airgap conventions', () => {
  it('version prints the CLI, Node.js and every library it bundles; --json gives them as data', async () => {
    const cli = JSON.parse(readFileSync(join(repoRoot, 'apps/orchestrator/package.json'), 'utf8')) as { version: string; dependencies: Record<string, string> };
    const libraries = Object.keys(cli.dependencies).filter((name) => name.startsWith('@falco-airgap/'));
    const human = await run(['--quiet', 'version']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(new RegExp(`^falco-airgap +${cli.version.replaceAll('.', '\\.')}\nnode +${process.version}\n`));
    for (const library of libraries) expect(human.stdout).toMatch(new RegExp(`\n${library} +\\d+\\.\\d+\\.\\d+`));

    const json = await run(['version', '--json']);
    const result = JSON.parse(json.stdout.trim()) as { data: { cli: string; node: string; libraries: Record<string, string> } };
    expect(result.data.cli).toBe(cli.version);
    expect(result.data.node).toBe(process.version);
    expect(Object.keys(result.data.libraries).sort()).toEqual(libraries.sort());
    for (const library of libraries) {
      const own = JSON.parse(readFileSync(join(repoRoot, 'packages', library.replace('@falco-airgap/', ''), 'package.json'), 'utf8')) as { version: string };
      expect(result.data.libraries[library]).toBe(own.version);
    }
  });

  it('takes --output json, and -o json, as the long form of --json', async () => {
    const json = await run(['--json', 'pipeline', '--env', 'local', '--dry-run']);
    for (const argv of [['--output', 'json'], ['-o', 'json'], ['--output=json']]) {
      const result = await run([...argv, 'pipeline', '--env', 'local', '--dry-run']);
      expect(result.code).toBe(0);
      expect(result.stdout).toBe(json.stdout);
    }
    const text = await run(['--output', 'text', 'pipeline', '--env', 'local', '--dry-run']);
    expect(text.stdout).toContain('pipeline plan for env local');
    const bad = await run(['--output', 'yaml', 'version']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("error[CLI_USAGE]: option '-o, --output <format>' argument 'yaml' is invalid");
  });

  it('reports a usage error as JSON when --output json stood before it', async () => {
    const result = await run(['--output', 'json', 'extract', '--bogus']);
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stdout.trim())).toMatchObject({ type: 'result', ok: false, error: { code: 'CLI_USAGE' } });
  });

  it.each([['extract'], ['releases', 'promote'], ['version'], ['completion']])('lists the global flags in the help of %s', async (...argv) => {
    const result = await run([...argv, '--help']);
    expect(result.code).toBe(0);
    const globals = result.stdout.slice(result.stdout.indexOf('Global Options:'));
    for (const flag of ['--json', '-o, --output <format>', '-q, --quiet', '-v, --verbose', '--no-color']) expect(globals).toContain(flag);
    expect(result.stdout).toContain('FALCO_AIRGAP_CA_FILE');
  });

  it('completion refuses a shell it has no script for', async () => {
    const result = await run(['completion', 'powershell']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("error[CLI_USAGE]: command-argument value 'powershell' is invalid for argument 'shell'");
  });
});

import { execFile, execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { requireTestbed } from '@falco-airgap/testbed/env';
import { publishFixturesTo } from '@falco-airgap/fixtures';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repoRoot = resolve(import.meta.dirname, '../../..');
// Inside the repository, so `npx` finds the workspace's falco-airgap as it does for a user in a checkout; git ignores it.
const scratch = join(repoRoot, '.readme-checks', `commands-${process.pid}`);
const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
const scripts = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;

/** The commands of the README's ```sh blocks, as a user types them: comments dropped, `a && b` as two commands. */
function fencedCommands(): string[] {
  const blocks = [...readme.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
  return blocks
    .flatMap((block) => block.split('\n'))
    .map((line) => line.replace(/(^|\s)#.*$/, '').trim())
    .filter(Boolean)
    .flatMap((line) => line.split('&&').map((part) => part.trim()));
}

/** Commands the README's text quotes inline, e.g. `tools/testbed/testbed up` or `node tools/fixtures/publish.ts`. */
function inlineCommands(): string[] {
  const quoted = /`((?:npm run |npx |node |bash )[^`]+|tools\/[^`\s]+ [^`]+|tools\/[^`\s]+\.(?:sh|ts))`/g;
  return [...readme.matchAll(quoted)].flatMap((m) => m[1]!.split('&&').map((part) => part.trim()));
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** A command line exactly as written, through a shell, in `cwd`. */
async function shell(command: string, cwd: string, env: Record<string, string> = {}): Promise<Run> {
  const path = `${join(repoRoot, 'node_modules/.bin')}:${process.env.PATH}`;
  return promisify(execFile)('bash', ['-c', command], { cwd, env: { ...process.env, PATH: path, NO_COLOR: '1', CI: 'true', ...env }, timeout: 300_000 }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code?: number; stdout?: string; stderr?: string }) => ({ code: error.code ?? -1, stdout: error.stdout ?? '', stderr: error.stderr ?? '' }),
  );
}

/** What the first word of a command is: a file of this checkout, a workspace binary, or a program on PATH. */
function expectRunnable(command: string): void {
  const [program, first] = command.split(/\s+/);
  if (program === 'npm' && first === 'run') {
    const name = command.split(/\s+/)[2]!;
    expect(scripts[name], `package.json has no script "${name}"`).toBeDefined();
    for (const part of scripts[name]!.split('&&')) expectRunnable(part.trim());
  } else if (program === 'bash' || program === 'node') {
    expect(existsSync(join(repoRoot, first!)) && statSync(join(repoRoot, first!)).isFile(), `${first} is not a file of this checkout`).toBe(true);
    if (program === 'bash') execFileSync('bash', ['-n', join(repoRoot, first!)]);
  } else if (program === 'npx') {
    expect(existsSync(join(repoRoot, 'node_modules/.bin', first!)), `npx ${first}: not installed in this workspace`).toBe(true);
  } else if (program!.includes('/')) {
    const path = join(repoRoot, program!);
    expect(existsSync(path) && statSync(path).isFile(), `${program} is not a file (a directory?)`).toBe(true);
    accessSync(path, constants.X_OK);
  } else {
    expect(existsSync(join(repoRoot, 'node_modules/.bin', program!)) || execFileSync('bash', ['-c', `command -v ${program}`]).length > 0).toBe(true);
  }
}

// The executable npx runs is the built one when there is a build: rebuild it when a source is newer, as CI does before the tests.
function freshCli(): void {
  const built = join(repoRoot, 'apps/orchestrator/dist/bin.js');
  let newest = 0;
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(join(dir, entry.name));
      else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(join(dir, entry.name)).mtimeMs);
    }
  };
  for (const project of ['apps/orchestrator', ...readdirSync(join(repoRoot, 'packages')).map((p) => `packages/${p}`)]) {
    if (existsSync(join(repoRoot, project, 'src'))) walk(join(repoRoot, project, 'src'));
  }
  if (existsSync(built) && statSync(built).mtimeMs >= newest) return;
  execFileSync('npm', ['run', 'build', '-w', '@falco-airgap/cli'], {
    cwd: repoRoot,
    stdio: 'pipe',
    env: { ...process.env, PATH: `${join(repoRoot, 'node_modules/.bin')}:${process.env.PATH}` },
  });
}

const testbed = requireTestbed('TESTBED_REGISTRY');

beforeAll(async () => {
  freshCli();
  await mkdir(scratch, { recursive: true });
  await publishFixturesTo({ registry: testbed.TESTBED_REGISTRY!, plainHttp: true });
}, 600_000);
afterAll(() => rm(scratch, { recursive: true, force: true }));

describe("README.md's commands", () => {
  const fenced = fencedCommands();

  it('are the quick start and the connected-machine extract', () => {
    expect(fenced).toEqual(
      expect.arrayContaining(['npm run demo', 'npm run setup', 'npm run test:all', 'npx falco-airgap extract', 'npx falco-airgap extract --locked']),
    );
  });

  it.each([...new Set([...fenced, ...inlineCommands()])])('%s: names a script, file or program this checkout has', (command) => {
    expectRunnable(command);
  });

  it('npx falco-airgap extract and extract --locked run as written, with the manifest pointed at the testbed registry', async () => {
    const cwd = join(scratch, 'testbed');
    await mkdir(join(cwd, 'plugins'), { recursive: true });
    const registry = testbed.TESTBED_REGISTRY!;
    const shipped = readFileSync(join(repoRoot, 'plugins/plugins-manifest.yaml'), 'utf8');
    await writeFile(join(cwd, 'plugins/plugins-manifest.yaml'), shipped.replaceAll('ghcr.io/', `${registry}/`).replaceAll('docker.io/', `${registry}/`));
    // What the README's flags say, set the way Jenkins would: FALCO_AIRGAP_* variables, so the command line stays as written.
    const env = { HOME: cwd, FALCO_AIRGAP_PLAIN_HTTP: registry, FALCO_AIRGAP_CACHE_DIR: join(cwd, 'cache') };
    for (const command of fenced.filter((c) => c.startsWith('npx falco-airgap extract'))) {
      const run = await shell(command, cwd, env);
      expect(run.stderr, command).not.toContain('error[');
      expect(run.code, command).toBe(0);
    }
    expect(existsSync(join(cwd, 'plugins/plugins-lock.yaml'))).toBe(true);
    expect(existsSync(join(cwd, 'plugins/extracted/linux-amd64/libk8saudit.so'))).toBe(true);
  });

  it('npx falco-airgap extract against ghcr.io as shipped succeeds, or fails only for the network', async () => {
    const cwd = join(scratch, 'shipped');
    await mkdir(join(cwd, 'plugins'), { recursive: true });
    await writeFile(join(cwd, 'plugins/plugins-manifest.yaml'), readFileSync(join(repoRoot, 'plugins/plugins-manifest.yaml')));
    const run = await shell('npx falco-airgap extract', cwd, { HOME: cwd, FALCO_AIRGAP_CACHE_DIR: join(cwd, 'cache') });
    expect(run.stderr).not.toMatch(/command not found|E404|404 Not Found|could not determine executable/);
    if (run.code !== 0) {
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/^error\[EXTRACT_(REGISTRY_UNREACHABLE|PROXY_FAILED)\]: ghcr\.io/m);
    }
  });

  it('tools/testbed/testbed, which the README and every test hint name, runs as written', async () => {
    const run = await shell('tools/testbed/testbed status', repoRoot);
    expect(run.code, run.stdout + run.stderr).toBe(0);
  });
});

describe('hints printed by tests and tools', () => {
  it('name the testbed command as it runs: tools/testbed/testbed, never tools/testbed', () => {
    const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard'], { cwd: repoRoot, encoding: 'utf8' }).split('\n').filter(Boolean);
    const stale = files.flatMap((file) => {
      const path = join(repoRoot, file);
      if (!existsSync(path) || statSync(path).size > 1_000_000) return [];
      return readFileSync(path, 'utf8')
        .split('\n')
        .flatMap((line, i) => (/(?<!tools\/testbed\/)tools\/testbed (up|down|status)\b/.test(line) ? [`${file}:${i + 1}: ${line.trim()}`] : []));
    });
    expect(stale).toEqual([]);
  });
});

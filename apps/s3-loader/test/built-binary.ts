import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const appRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = resolve(appRoot, '../..');
export const BUILT_BINARY = join(appRoot, 'dist/falco-s3-loader');
/** The falco-s3-loader image's entrypoint, run here with FALCO_S3_LOADER_BIN pointing at the built executable. */
export const ENTRYPOINT = join(repoRoot, 'docker/base/falco-s3-loader-entrypoint.sh');

function newestSource(): number {
  let newest = 0;
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts') && !entry.name.includes('.test.')) newest = Math.max(newest, statSync(path).mtimeMs);
    }
  };
  for (const dir of ['apps/s3-loader/src', 'apps/s3-loader/scripts', 'packages/s3-plugin-store/src', 'packages/manifest/src', 'packages/core/src'])
    walk(join(repoRoot, dir));
  newest = Math.max(newest, statSync(join(repoRoot, 'apps/s3-loader/tsup.config.ts')).mtimeMs);
  return newest;
}

/**
 * The built single-executable loader, rebuilt first when a source is newer, and copied aside so
 * a concurrent `npm run build` cannot swap it out in the middle of a test.
 */
export function builtLoader(): string {
  if (!existsSync(BUILT_BINARY) || statSync(BUILT_BINARY).mtimeMs < newestSource()) {
    execFileSync('npm', ['run', 'build', '-w', '@falco-airgap/s3-loader'], {
      cwd: repoRoot,
      stdio: 'pipe',
      env: { ...process.env, PATH: `${join(repoRoot, 'node_modules/.bin')}:${process.env.PATH}` },
    });
  }
  const copy = join(mkdtempSync(join(tmpdir(), 'falco-s3-loader-bin-')), 'falco-s3-loader');
  copyFileSync(BUILT_BINARY, copy);
  execFileSync('chmod', ['+x', copy]);
  return copy;
}

export interface LoaderRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  /** The JSON-line log, parsed. */
  logs: Record<string, unknown>[];
  stderr: string;
  ms: number;
}

/** Runs a command with only the given environment (plus PATH), as a container would. */
export function runProcess(
  command: string,
  args: readonly string[],
  env: Record<string, string>,
  options: { onSpawn?: (pid: number) => void } = {},
): Promise<LoaderRun> {
  return new Promise((resolvePromise, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('spawn', () => options.onSpawn?.(child.pid!));
    child.on('close', (code, signal) => {
      const logs = stderr
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      resolvePromise({ code, signal, stdout, stderr, logs, ms: performance.now() - started });
    });
  });
}

import { spawn, type ChildProcess } from 'node:child_process';
import { VerifyError } from './errors.ts';
import { tail } from './release-files.ts';

export interface RunOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  signal: AbortSignal;
}

export interface RunResult {
  command: string;
  code: number | null;
  stdout: string;
  stderr: string;
}

const KILL_GRACE_MS = 5_000;

/**
 * Process groups of every command still running, so an interrupt can end them (and the npm/node
 * processes they spawned) before the temp dirs go away.
 */
export const runningGroups = new Set<number>();

/** Ends a process group: SIGTERM now, SIGKILL if it is still there after the grace period. */
export function killGroup(pid: number, signal: NodeJS.Signals = 'SIGTERM'): void {
  try {
    process.kill(-pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

export function groupIsAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

/** Runs a command in its own process group and collects its output; never throws for a non-zero exit. */
export function run(command: string, args: readonly string[], options: RunOptions): Promise<RunResult> {
  const display = [command, ...args].join(' ');
  return new Promise((resolvePromise, reject) => {
    if (options.signal.aborted) {
      reject(interrupted(display));
      return;
    }
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const pid = child.pid;
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    if (pid !== undefined) runningGroups.add(pid);

    const stop = () => stopGroup(child);
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, options.timeoutMs);
    options.signal.addEventListener('abort', stop, { once: true });

    const settle = () => {
      clearTimeout(timer);
      options.signal.removeEventListener('abort', stop);
      if (pid !== undefined) runningGroups.delete(pid);
    };
    child.on('error', (error) => {
      settle();
      reject(new VerifyError(`cannot run ${display}: ${error.message}`, { code: 'RELEASE_VERIFY_COMMAND_FAILED', cause: error }));
    });
    child.on('close', (code) => {
      settle();
      // Whatever the command left running in its group (build workers, daemons) goes with it.
      if (pid !== undefined && groupIsAlive(pid)) killGroup(pid, 'SIGKILL');
      if (options.signal.aborted) reject(interrupted(display));
      else if (timedOut) {
        reject(
          new VerifyError(`${display} did not finish within ${Math.round(options.timeoutMs / 1000)}s`, {
            code: 'RELEASE_VERIFY_COMMAND_FAILED',
            detail: tail(stdout + stderr) || '(no output)',
          }),
        );
      } else resolvePromise({ command: display, code, stdout, stderr });
    });
  });
}

/** Like run, but a non-zero exit is a VerifyError carrying the end of the output. */
export async function runOk(command: string, args: readonly string[], options: RunOptions): Promise<RunResult> {
  const result = await run(command, args, options);
  if (result.code !== 0) {
    throw new VerifyError(`${result.command} exited with ${result.code}`, {
      code: 'RELEASE_VERIFY_COMMAND_FAILED',
      detail: tail([result.stdout, result.stderr].filter(Boolean).join('\n')) || '(no output)',
    });
  }
  return result;
}

function stopGroup(child: ChildProcess): void {
  const pid = child.pid;
  if (pid === undefined || child.exitCode !== null) return;
  killGroup(pid);
  setTimeout(() => {
    if (groupIsAlive(pid)) killGroup(pid, 'SIGKILL');
  }, KILL_GRACE_MS).unref();
}

function interrupted(display: string): VerifyError {
  return new VerifyError(`interrupted while running ${display}`, { code: 'RELEASE_VERIFY_INTERRUPTED' });
}

import type { Command } from 'commander';
import { parseDuration } from './duration.ts';

/** Adds --lock-timeout: how long a run waits for another one using the same `what` before it gives up. */
export function addLockTimeoutOption(command: Command, what: string): Command {
  return command.option('--lock-timeout <duration>', `how long to wait while another run uses ${what}, e.g. 30s or 10m (0s: fail at once, exit 1)`, '0s');
}

/** --lock-timeout in milliseconds. */
export function lockWaitMs(text: string | undefined): number {
  return parseDuration(text ?? '0s', '--lock-timeout', '30s or 10m (0s fails at once)');
}

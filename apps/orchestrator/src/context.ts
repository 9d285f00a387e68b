import type { Reporter } from './output/reporter.ts';

export interface GlobalOptions {
  config?: string;
  json: boolean;
  quiet: boolean;
  verbose: boolean;
  color: boolean;
}

/** What every command receives: where to report, where it runs, and how to stop early. */
export interface CommandContext {
  reporter: Reporter;
  cwd: string;
  signal: AbortSignal;
  globals: GlobalOptions;
}

/** What a command hands back: data for --json, a summary line for humans. */
export interface CommandOutcome {
  data?: unknown;
  summary?: string;
}

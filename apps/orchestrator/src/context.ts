import type { ConfiguredCredentials } from './config/configured-credentials.ts';
import type { ResolvedEnvironment } from './environment.ts';
import type { Reporter } from './output/reporter.ts';

export interface GlobalOptions {
  config?: string | undefined;
  json: boolean;
  quiet: boolean;
  verbose: boolean;
  color: boolean;
}

/** What every command receives: where to report, where it runs, how to stop early, and the environment read once at start. */
export interface CommandContext {
  reporter: Reporter;
  cwd: string;
  signal: AbortSignal;
  globals: GlobalOptions;
  environment: ResolvedEnvironment;
  /** The registry logins and store keys of the configuration file, resolved when a command first uses them. */
  credentials: ConfiguredCredentials;
  /** Whether stdout is a terminal: tables are aligned for people there, tab-separated for scripts elsewhere. */
  stdoutIsTTY?: boolean | undefined;
}

/** What a command hands back: data for --json, a summary line for humans. */
export interface CommandOutcome {
  data?: unknown;
  summary?: string;
  /** The command's product for humans (a completion script, the versions): written to stdout as it is, even with --quiet. */
  output?: string;
}

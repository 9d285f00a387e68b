import type { CliEvent, ErrorSummary } from './events.ts';

/** Where commands send what they have to say; the CLI picks JSON lines or human text. */
export interface Reporter {
  event(event: CliEvent): void;
  /** Human-readable text while the work goes on (ignored in --json mode, where `result` carries the data). */
  info(text: string): void;
  /** What the command did, once its work is over: printed below the task list, also with --quiet (not with --json). */
  summary(text: string): void;
  /** Final outcome: exactly one per run. */
  result(command: string, exitCode: number, data: unknown, error?: ErrorSummary): void;
}

export interface OutputStreams {
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number; rows?: number };
}

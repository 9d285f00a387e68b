import type { CliEvent, ErrorSummary, ResultEvent } from './events.ts';
import { formatError } from './human-reporter.ts';
import type { OutputStreams, Reporter } from './reporter.ts';
import { createStyle } from './style.ts';

/** --json: one JSON object per line on stdout, ending with the result; human text goes to stderr. */
export class JsonReporter implements Reporter {
  private readonly streams: OutputStreams;
  private readonly quiet: boolean;

  constructor(streams: OutputStreams, quiet: boolean) {
    this.streams = streams;
    this.quiet = quiet;
  }

  event(event: CliEvent): void {
    this.streams.stdout.write(`${JSON.stringify(event)}\n`);
  }

  info(text: string): void {
    if (!this.quiet) this.streams.stderr.write(`${text}\n`);
  }

  summary(text: string): void {
    this.info(text);
  }

  result(command: string, exitCode: number, data: unknown, error?: ErrorSummary): void {
    const result: ResultEvent = { type: 'result', ok: exitCode === 0, command, exitCode };
    if (data !== undefined) result.data = data;
    if (error) result.error = error;
    this.streams.stdout.write(`${JSON.stringify(result)}\n`);
    // A log reader (Jenkins) sees the failure without parsing the JSON.
    if (error) this.streams.stderr.write(formatError(error, createStyle(false)));
  }
}

import type { CliEvent, DiagnosticEvent, ErrorSummary } from './events.ts';
import { LiveRegion } from './live-region.ts';
import type { OutputStreams, Reporter } from './reporter.ts';
import type { Style } from './style.ts';
import { TaskList, formatBytes, renderTaskList, type TaskRow } from './task-list.ts';

export { formatBytes } from './task-list.ts';

export interface HumanReporterOptions {
  streams: OutputStreams;
  style: Style;
  /** Errors and the result only. */
  quiet: boolean;
  verbose: boolean;
  /** Redraw the task list in place (a TTY with colours, not quiet); otherwise one plain line per finished task. */
  live: boolean;
  /** The clock rates are measured with. */
  now?: (() => number) | undefined;
  /** Time between redraws of the live task list. */
  redrawIntervalMs?: number | undefined;
}

/**
 * Human output on stderr (results on stdout). On a TTY, tasks are one live region redrawn in place,
 * with the final frame left as it is and the summary below it; elsewhere every finished task is one
 * plain line, which suits Jenkins logs.
 */
export class HumanReporter implements Reporter {
  readonly #options: HumanReporterOptions;
  readonly #tasks = new TaskList();
  readonly #region: LiveRegion | undefined;
  readonly #now: () => number;

  constructor(options: HumanReporterOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    if (options.live) {
      this.#region = new LiveRegion(
        options.streams.stderr,
        ({ width, height, spinner, final }) => renderTaskList(this.#tasks, { style: options.style, width, height, frame: spinner, now: this.#now(), final }),
        { intervalMs: options.redrawIntervalMs },
      );
    }
  }

  event(event: CliEvent): void {
    const { quiet, verbose, streams, style } = this.#options;
    if (event.type === 'diagnostic') {
      if (!quiet || event.severity === 'error') this.#print(streams.stderr, formatDiagnostic(event, style));
      return;
    }
    if (!this.#tasks.apply(event, this.#now())) return;
    if (this.#region) {
      this.#region.update();
      return;
    }
    if (quiet) return;
    const row = this.#tasks.rows.find((r) => r.id === event.id)!;
    if (event.type === 'task' && (event.status !== 'running' || verbose)) streams.stderr.write(`${renderLine(row, style)}\n`);
    if (event.type === 'retry' && verbose) streams.stderr.write(`${style.yellow('↻')} ${row.title}: attempt ${event.attempt} (${event.reason})\n`);
  }

  info(text: string): void {
    if (!this.#options.quiet) this.#print(this.#options.streams.stdout, `${text}\n`);
  }

  summary(text: string): void {
    this.#region?.finish();
    this.#options.streams.stdout.write(`${text}\n`);
  }

  result(_command: string, _exitCode: number, _data: unknown, error?: ErrorSummary): void {
    this.#region?.finish();
    if (error) this.#options.streams.stderr.write(formatError(error, this.#options.style));
  }

  #print(stream: NodeJS.WritableStream, text: string): void {
    if (this.#region) this.#region.above(stream, text);
    else stream.write(text);
  }
}

// One line per task for logs: what it is and how it ended; bytes while running (with --verbose).
function renderLine(task: TaskRow, style: Style): string {
  const mark =
    task.status === 'done' ? style.green('✔') : task.status === 'failed' ? style.red('✖') : task.status === 'skipped' ? style.dim('↓') : style.yellow('⠋');
  const progress =
    task.status === 'running' && task.loaded !== undefined ? ` ${formatBytes(task.loaded)}${task.total ? ` / ${formatBytes(task.total)}` : ''}` : '';
  const detail = task.detail ? style.dim(` ${task.detail}`) : '';
  return `${mark} ${task.title}${progress}${detail}`;
}

function formatDiagnostic(event: DiagnosticEvent, style: Style): string {
  const label =
    event.severity === 'error'
      ? style.red(`error[${event.code}]`)
      : event.severity === 'warning'
        ? style.yellow(`warning[${event.code}]`)
        : style.dim(`info[${event.code}]`);
  const where = event.location ? `${event.location}: ` : '';
  return `${label}: ${where}${event.message}${event.hint ? ` — ${event.hint}` : ''}\n`;
}

/** `error[CODE]: FILE:LINE:COL: what went wrong — what to do`, one line per problem found. */
export function formatError(error: ErrorSummary, style: Style): string {
  return (error.issues ?? [error])
    .map((line) => `${style.red(`error[${line.code}]`)}: ${line.location ? `${line.location}: ` : ''}${line.message}${line.hint ? ` — ${line.hint}` : ''}\n`)
    .join('');
}

import type { CliEvent, ErrorSummary, TaskEvent } from './events.ts';
import type { OutputStreams, Reporter } from './reporter.ts';
import type { Style } from './style.ts';

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

interface TaskLine {
  title: string;
  status: TaskEvent['status'];
  detail?: string | undefined;
  loaded?: number | undefined;
  total?: number | undefined;
}

export interface HumanReporterOptions {
  streams: OutputStreams;
  style: Style;
  quiet: boolean;
  verbose: boolean;
  /** Draw a live task list (only on a TTY). */
  live: boolean;
}

/**
 * Human output on stderr (results on stdout). On a TTY, running tasks are redrawn in place
 * as a task list; elsewhere every state change is one plain line, which suits Jenkins logs.
 */
export class HumanReporter implements Reporter {
  private readonly options: HumanReporterOptions;
  private readonly tasks = new Map<string, TaskLine>();
  private drawnLines = 0;
  private frame = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(options: HumanReporterOptions) {
    this.options = options;
  }

  event(event: CliEvent): void {
    if (event.type === 'diagnostic') {
      this.clear();
      const { style } = this.options;
      const label =
        event.severity === 'error'
          ? style.red(`error[${event.code}]`)
          : event.severity === 'warning'
            ? style.yellow(`warning[${event.code}]`)
            : style.dim(`info[${event.code}]`);
      const where = event.location ? `${event.location}: ` : '';
      this.options.streams.stderr.write(`${label}: ${where}${event.message}${event.hint ? ` — ${event.hint}` : ''}\n`);
      this.draw();
      return;
    }
    if (event.type === 'progress') {
      const task = this.tasks.get(event.id);
      if (task) {
        task.loaded = event.loaded;
        task.total = event.total;
        this.draw();
      }
      return;
    }
    const task: TaskLine = this.tasks.get(event.id) ?? { title: event.title, status: event.status };
    task.title = event.title;
    task.status = event.status;
    task.detail = event.detail;
    this.tasks.set(event.id, task);
    if (this.options.live) {
      this.ensureTimer();
      this.draw();
    } else if (!this.options.quiet && (event.status !== 'running' || this.options.verbose)) {
      this.options.streams.stderr.write(`${this.render(task)}\n`);
    }
  }

  info(text: string): void {
    if (this.options.quiet) return;
    this.clear();
    this.options.streams.stdout.write(`${text}\n`);
    this.draw();
  }

  result(_command: string, _exitCode: number, _data: unknown, error?: ErrorSummary): void {
    this.stopTimer();
    this.draw();
    this.drawnLines = 0;
    if (error) this.options.streams.stderr.write(formatError(error, this.options.style));
  }

  private render(task: TaskLine): string {
    const { style } = this.options;
    const mark =
      task.status === 'done'
        ? style.green('✔')
        : task.status === 'failed'
          ? style.red('✖')
          : task.status === 'skipped'
            ? style.dim('↓')
            : style.yellow(FRAMES[this.frame % FRAMES.length]!);
    const progress =
      task.status === 'running' && task.loaded !== undefined ? ` ${formatBytes(task.loaded)}${task.total ? ` / ${formatBytes(task.total)}` : ''}` : '';
    const detail = task.detail ? style.dim(` ${task.detail}`) : '';
    return `${mark} ${task.title}${progress}${detail}`;
  }

  private draw(): void {
    if (!this.options.live || this.options.quiet) return;
    this.clear();
    const lines = [...this.tasks.values()].map((t) => this.render(t));
    if (lines.length) this.options.streams.stderr.write(`${lines.join('\n')}\n`);
    this.drawnLines = lines.length;
  }

  private clear(): void {
    if (!this.options.live || this.drawnLines === 0) return;
    this.options.streams.stderr.write(`\u001b[${this.drawnLines}A\u001b[0J`);
    this.drawnLines = 0;
  }

  private ensureTimer(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.frame++;
      if ([...this.tasks.values()].some((t) => t.status === 'running')) this.draw();
    }, 80);
    this.timer.unref();
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

/** `error[CODE]: FILE:LINE:COL: what went wrong — what to do`, one line per problem found. */
export function formatError(error: ErrorSummary, style: Style): string {
  return (error.issues ?? [error])
    .map((line) => `${style.red(`error[${line.code}]`)}: ${line.location ? `${line.location}: ` : ''}${line.message}${line.hint ? ` — ${line.hint}` : ''}\n`)
    .join('');
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

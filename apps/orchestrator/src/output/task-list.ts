import type { CliEvent, TaskEvent } from './events.ts';
import type { Style } from './style.ts';

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
// A rate needs this much time behind it before it means anything.
const RATE_AFTER_MS = 500;

/** One row of the task list, as the events built it. */
export interface TaskRow {
  id: string;
  title: string;
  status: TaskEvent['status'];
  detail?: string | undefined;
  loaded?: number | undefined;
  total?: number | undefined;
  retries: number;
  /** Why the last retry happened, e.g. `ECONNRESET`. */
  retryReason?: string | undefined;
  /** When and at how many bytes the first progress arrived: where the rate is measured from. */
  progressFrom?: { at: number; loaded: number } | undefined;
}

/** The rows of a run in the order they first appeared; `apply` folds the CLI's events into them. */
export class TaskList {
  readonly #rows = new Map<string, TaskRow>();
  #firstProgressAt: number | undefined;

  /** Folds one event in; false when it concerns no row (a diagnostic, or progress of an unknown task). */
  apply(event: CliEvent, now: number): boolean {
    if (event.type === 'diagnostic') return false;
    if (event.type === 'task') {
      const row = this.#rows.get(event.id) ?? { id: event.id, title: event.title, status: event.status, retries: 0 };
      row.title = event.title;
      row.status = event.status;
      row.detail = event.detail;
      this.#rows.set(event.id, row);
      return true;
    }
    const row = this.#rows.get(event.id);
    if (!row) return false;
    if (event.type === 'retry') {
      row.retries++;
      row.retryReason = event.reason;
      return true;
    }
    row.progressFrom ??= { at: now, loaded: event.loaded };
    this.#firstProgressAt ??= now;
    row.loaded = event.loaded;
    row.total = event.total;
    return true;
  }

  get rows(): TaskRow[] {
    return [...this.#rows.values()];
  }

  get running(): boolean {
    return this.rows.some((row) => row.status === 'running');
  }

  /** When the first byte of the run was counted. */
  get firstProgressAt(): number | undefined {
    return this.#firstProgressAt;
  }
}

export interface RenderOptions {
  style: Style;
  /** Columns of the terminal; every line is cut to fit, never wrapped. */
  width: number;
  /** Lines the live region may take; the final frame shows every row. */
  height?: number | undefined;
  /** Spinner frame. */
  frame: number;
  now: number;
  /** The run is over: rows still running were stopped, and rates and spinners go. */
  final: boolean;
}

/** The task list as terminal lines: a row per task, then an overall line when there is more than one. */
export function renderTaskList(list: TaskList, options: RenderOptions): string[] {
  const rows = list.rows;
  const titleWidth = Math.min(Math.max(0, ...rows.map((row) => row.title.length)), Math.max(16, Math.floor(options.width / 2)));
  const lines = visibleRows(rows, options).map((row) => (typeof row === 'string' ? options.style.dim(row) : renderRow(row, titleWidth, options)));
  if (rows.length > 1) lines.push(renderOverall(list, options));
  return lines.map((line) => fitToWidth(line, options.width));
}

// While live, the region must fit on the screen: finished rows give way first, counted on one line.
function visibleRows(rows: TaskRow[], options: RenderOptions): (TaskRow | string)[] {
  const room = options.height === undefined || options.final ? Infinity : options.height - 1 - (rows.length > 1 ? 1 : 0);
  if (rows.length <= room) return rows;
  const slots = Math.max(0, room - 1);
  const active = rows.filter((row) => row.status === 'running' || row.status === 'failed');
  const keep = new Set(slots > 0 ? active.slice(-slots) : []);
  for (const row of [...rows].reverse()) if (keep.size < slots && !keep.has(row)) keep.add(row);
  const hidden = rows.length - keep.size;
  return [`… ${hidden} more ${hidden === 1 ? 'task' : 'tasks'}`, ...rows.filter((row) => keep.has(row))];
}

function renderRow(row: TaskRow, titleWidth: number, { style, frame, now, final }: RenderOptions): string {
  const stopped = final && row.status === 'running';
  const mark =
    row.status === 'done'
      ? style.green('✔')
      : row.status === 'failed'
        ? style.red('✖')
        : row.status === 'skipped'
          ? style.dim('↓')
          : stopped
            ? style.dim('◼')
            : style.yellow(SPINNER[frame % SPINNER.length]!);
  const title = row.title.length > titleWidth ? `${row.title.slice(0, Math.max(0, titleWidth - 1))}…` : row.title;
  const parts = [`${mark} ${row.status === 'failed' ? style.red(title) : title}`];
  if (row.loaded !== undefined) parts.push(bytesOf(row.loaded, row.status === 'running' ? row.total : undefined));
  if (row.status === 'running' && !final && row.progressFrom && row.loaded !== undefined && row.loaded !== row.total) {
    const rate = rateOf(row.loaded - row.progressFrom.loaded, now - row.progressFrom.at);
    if (rate) parts.push(style.dim(rate));
  }
  if (row.retries > 0) {
    const count = `↻ ${row.retries} ${row.retries === 1 ? 'retry' : 'retries'}`;
    parts.push(style.yellow(row.status === 'running' && !final && row.retryReason ? `${count} (${row.retryReason})` : count));
  }
  if (row.status === 'failed') parts.push(style.red(row.detail ? `failed: ${row.detail}` : 'failed'));
  else if (stopped) parts.push(style.dim('stopped'));
  else if (row.detail) parts.push(style.dim(row.detail));
  // Titles padded to one width, so the columns after them line up.
  const padding = ' '.repeat(Math.max(0, titleWidth - title.length));
  return parts.length === 1 ? parts[0]! : `${parts[0]}${padding}  ${parts.slice(1).join('  ')}`;
}

function renderOverall(list: TaskList, { style, now, final }: RenderOptions): string {
  const rows = list.rows;
  const count = (status: TaskEvent['status']) => rows.filter((row) => row.status === status).length;
  const finished = count('done') + count('skipped');
  const counts = [`${finished}/${rows.length} done`];
  if (count('failed')) counts.push(style.red(`${count('failed')} failed`));
  if (count('running')) counts.push(final ? `${count('running')} stopped` : `${count('running')} running`);
  const parts = [counts.join(', ')];
  const loaded = rows.reduce((sum, row) => sum + (row.loaded ?? 0), 0);
  if (loaded > 0) {
    const total = rows.reduce((sum, row) => sum + (row.total ?? row.loaded ?? 0), 0);
    parts.push(bytesOf(loaded, final ? undefined : total));
    const from = list.firstProgressAt;
    const rate =
      !final && list.running && from !== undefined
        ? rateOf(loaded - rows.reduce((sum, row) => sum + (row.progressFrom?.loaded ?? 0), 0), now - from)
        : undefined;
    if (rate) parts.push(rate);
  }
  const retries = rows.reduce((sum, row) => sum + row.retries, 0);
  if (retries) parts.push(style.yellow(`${retries} ${retries === 1 ? 'retry' : 'retries'}`));
  return style.bold(parts.join(' · '));
}

// Only a part still on its way shows a total: "104 B / 104 B" while a layer has not started would say it was done.
function bytesOf(loaded: number, total: number | undefined): string {
  return total !== undefined && total > loaded ? `${formatBytes(loaded)} / ${formatBytes(total)}` : formatBytes(loaded);
}

function rateOf(bytes: number, ms: number): string | undefined {
  if (ms < RATE_AFTER_MS || bytes <= 0) return undefined;
  return `${formatBytes(Math.round((bytes * 1000) / ms))}/s`;
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

// eslint-disable-next-line no-control-regex -- the SGR sequences Style writes
const SGR = /\u001b\[[0-9;]*m/y;

/** Columns `text` takes on a terminal: its characters, without colour sequences. */
export function visibleWidth(text: string): number {
  return [...text.replace(new RegExp(SGR.source, 'g'), '')].length;
}

/** Cuts `text` to one column less than `width` (a full line would make some terminals wrap), ending in `…` and a style reset. */
export function fitToWidth(text: string, width: number): string {
  const room = Math.max(1, width - 1);
  if (visibleWidth(text) <= room) return text;
  let out = '';
  let columns = 0;
  for (let i = 0; i < text.length;) {
    SGR.lastIndex = i;
    const sequence = SGR.exec(text);
    if (sequence) {
      out += sequence[0];
      i += sequence[0].length;
      continue;
    }
    const char = String.fromCodePoint(text.codePointAt(i)!);
    if (columns === room - 1) break;
    out += char;
    columns++;
    i += char.length;
  }
  return `${out}…${text.includes('\u001b[') ? '\u001b[0m' : ''}`;
}

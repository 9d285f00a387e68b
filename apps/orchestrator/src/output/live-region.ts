import { visibleWidth } from './task-list.ts';

const ESC = '\u001b[';
const HIDE_CURSOR = `${ESC}?25l`;
const SHOW_CURSOR = `${ESC}?25h`;
const ERASE_LINE = `${ESC}2K`;
const ERASE_BELOW = `${ESC}0J`;
const up = (rows: number) => (rows > 0 ? `${ESC}${rows}A\r` : '');

/** A terminal stream: a Node TTY write stream, or anything with the same shape. */
export interface TerminalStream extends NodeJS.WritableStream {
  columns?: number;
  rows?: number;
}

/** Draws one frame: the lines of the region for this size, spinner frame and state. */
export type FrameRenderer = (frame: { width: number; height: number; spinner: number; final: boolean }) => string[];

export interface LiveRegionOptions {
  /** Time between redraws; the region is never drawn more often. */
  intervalMs?: number | undefined;
}

/**
 * A block of lines at the bottom of a terminal, redrawn in place on a timer (at most every
 * `intervalMs`), with other output printed above it and the last frame left behind as plain text.
 * The cursor is hidden only inside each redraw, so an interrupt at any moment leaves it visible.
 */
export class LiveRegion {
  readonly #stream: TerminalStream;
  readonly #render: FrameRenderer;
  readonly #intervalMs: number;
  #timer: NodeJS.Timeout | undefined;
  #spinner = 0;
  #dirty = false;
  #finished = false;
  /** Terminal rows the frame on screen takes, and the widths of its lines (for a resize). */
  #drawnRows = 0;
  #drawnWidths: number[] = [];
  #lastFrame = '';
  readonly #onResize = () => this.#resized();

  constructor(stream: TerminalStream, render: FrameRenderer, options: LiveRegionOptions = {}) {
    this.#stream = stream;
    this.#render = render;
    this.#intervalMs = options.intervalMs ?? 100;
  }

  /** Something the region shows has changed: it is redrawn at the next tick. */
  update(): void {
    if (this.#finished) return;
    this.#dirty = true;
    if (this.#timer) return;
    this.#timer = setInterval(() => this.#tick(), this.#intervalMs);
    this.#timer.unref();
    this.#stream.on('resize', this.#onResize);
  }

  /** Prints `text` above the region: the region goes away and comes back at the next tick. */
  above(target: NodeJS.WritableStream, text: string): void {
    this.#erase();
    target.write(text);
    if (this.#timer) this.#dirty = true;
  }

  /** Draws the final frame, which stays as plain lines; whatever is printed next goes below it. */
  finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#stream.off('resize', this.#onResize);
    this.#paint(true);
    this.#drawnRows = 0;
    this.#drawnWidths = [];
  }

  #tick(): void {
    this.#spinner++;
    this.#paint(false);
  }

  #paint(final: boolean): void {
    const width = this.#stream.columns || 80;
    const height = this.#stream.rows || 24;
    const lines = this.#render({ width, height, spinner: this.#spinner, final });
    const frame = lines.map((line) => `${ERASE_LINE}${line}\n`).join('');
    if (!final && !this.#dirty && frame === this.#lastFrame) return;
    if (lines.length === 0 && this.#drawnRows === 0) return;
    this.#stream.write(`${HIDE_CURSOR}${up(this.#drawnRows)}${frame}${ERASE_BELOW}${SHOW_CURSOR}`);
    this.#lastFrame = frame;
    this.#dirty = false;
    this.#drawnRows = lines.length;
    this.#drawnWidths = lines.map(visibleWidth);
  }

  #erase(): void {
    if (this.#drawnRows === 0) return;
    this.#stream.write(`${HIDE_CURSOR}${up(this.#drawnRows)}${ERASE_BELOW}${SHOW_CURSOR}`);
    this.#drawnRows = 0;
    this.#drawnWidths = [];
    this.#lastFrame = '';
  }

  // A narrower terminal rewraps the lines already drawn (most terminals reflow), so the frame may now take more rows.
  #resized(): void {
    const width = this.#stream.columns || 80;
    this.#drawnRows = this.#drawnWidths.reduce((rows, columns) => rows + Math.max(1, Math.ceil(columns / width)), 0);
    this.#dirty = true;
  }
}

/** A unit of work a user sees as one line: one plugin on one platform, one rulesfile. */
export interface ExtractTaskEvent {
  type: 'task';
  id: string;
  title: string;
  status: 'running' | 'done' | 'failed' | 'skipped';
  detail?: string;
}

/** Bytes of one task's blobs that are in the cache so far (downloaded or found there). */
export interface ExtractProgressEvent {
  type: 'progress';
  id: string;
  loaded: number;
  total?: number;
}

export type ExtractEvent = ExtractTaskEvent | ExtractProgressEvent;

/** Sums the progress of a task's blobs and reports it: the first bytes, then every 64 KiB, and the last byte. */
export class TaskProgress {
  readonly #id: string;
  readonly #emit: (event: ExtractEvent) => void;
  readonly #loaded = new Map<string, number>();
  readonly #totals = new Map<string, number>();
  #lastEmitted = -1;

  constructor(id: string, emit: (event: ExtractEvent) => void) {
    this.#id = id;
    this.#emit = emit;
  }

  /** A callback for one blob's progress. */
  blob(digest: string, size: number): (loaded: number, total: number) => void {
    this.#totals.set(digest, size);
    this.#loaded.set(digest, 0);
    return (loaded) => {
      this.#loaded.set(digest, loaded);
      const sum = [...this.#loaded.values()].reduce((a, b) => a + b, 0);
      const total = [...this.#totals.values()].reduce((a, b) => a + b, 0);
      if (sum === total || this.#lastEmitted < 0 || sum - this.#lastEmitted >= 64 * 1024) {
        this.#lastEmitted = sum;
        this.#emit({ type: 'progress', id: this.#id, loaded: sum, total });
      }
    };
  }
}

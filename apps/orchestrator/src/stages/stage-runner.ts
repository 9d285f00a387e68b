import { summarizeError } from '../error-summary.ts';
import type { ErrorSummary } from '../output/events.ts';
import type { Reporter } from '../output/reporter.ts';
import type { StageOutcome } from './stage.ts';

/** `unchanged`: the stage found everything in place and wrote nothing remote. */
export type StageStatus = 'done' | 'unchanged' | 'failed';

export interface StageReport {
  stage: string;
  status: StageStatus;
  durationMs: number;
  summary?: string | undefined;
  data?: unknown;
  error?: ErrorSummary | undefined;
}

/** Runs a pipeline's stages: one task row each, timed, with done / unchanged / failed and what the stage returned. */
export class StageRunner {
  readonly reports: StageReport[] = [];
  readonly #reporter: Reporter;
  readonly #now: () => number;
  readonly #explain: (error: unknown) => Promise<unknown>;
  readonly #started: number;

  /** `explain` turns a stage's failure into what the user should see (e.g. whose credentials were refused). */
  constructor(reporter: Reporter, options: { now?: () => number; explain?: (error: unknown) => Promise<unknown> } = {}) {
    this.#reporter = reporter;
    this.#now = options.now ?? (() => performance.now());
    this.#explain = options.explain ?? (async (error) => error);
    this.#started = this.#now();
  }

  async run<Data>(stage: string, body: () => Promise<StageOutcome<Data>>, isUnchanged: (data: Data) => boolean): Promise<StageOutcome<Data>> {
    const id = `stage:${stage}`;
    const title = `stage ${stage}`;
    const started = this.#now();
    this.#reporter.event({ type: 'task', id, title, status: 'running' });
    try {
      const outcome = await body();
      const durationMs = Math.round(this.#now() - started);
      const status: StageStatus = isUnchanged(outcome.data) ? 'unchanged' : 'done';
      this.reports.push({ stage, status, durationMs, summary: outcome.summary, data: outcome.data });
      this.#reporter.event({ type: 'task', id, title, status: 'done', detail: `${status} in ${seconds(durationMs)}` });
      return outcome;
    } catch (thrown) {
      const error = await this.#explain(thrown);
      const durationMs = Math.round(this.#now() - started);
      this.reports.push({ stage, status: 'failed', durationMs, error: summarizeError(error) });
      this.#reporter.event({ type: 'task', id, title, status: 'failed', detail: `failed after ${seconds(durationMs)}` });
      const finished = this.reports.filter((r) => r.status !== 'failed').map((r) => `${r.stage} ${r.status}`);
      this.#reporter.event({
        type: 'diagnostic',
        severity: 'error',
        code: 'PIPELINE_STAGE_FAILED',
        message: `stage ${stage} failed after ${seconds(durationMs)}${finished.length ? ` (finished before it: ${finished.join(', ')})` : ''}`,
        hint: 'fix the cause below and run the pipeline again: finished stages find their work done and write nothing',
      });
      throw error;
    }
  }

  /** Waits for stages running side by side; once all have settled, rethrows the first failure. */
  async settle<const Runs extends readonly (Promise<StageOutcome<unknown>> | undefined)[]>(
    runs: Runs,
  ): Promise<{ -readonly [K in keyof Runs]: Awaited<Runs[K]> }> {
    const settled = await Promise.allSettled(runs.map((run) => run ?? Promise.resolve(undefined)));
    const failed = settled.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
    return settled.map((result) => (result as PromiseFulfilledResult<unknown>).value) as { -readonly [K in keyof Runs]: Awaited<Runs[K]> };
  }

  /** One line per stage under a heading, for humans. */
  summary(heading: string): string {
    const lines = this.reports.map((r) => {
      const first = r.summary?.split('\n')[0] ?? '';
      return `  ${r.stage.padEnd(8)} ${r.status.padEnd(9)} ${seconds(r.durationMs).padStart(7)}  ${first}`;
    });
    const total = Math.round(this.#now() - this.#started);
    const allUnchanged = this.reports.length > 0 && this.reports.every((r) => r.status === 'unchanged');
    return [`${heading}: ${allUnchanged ? 'nothing changed, nothing written' : 'done'} in ${seconds(total)}`, ...lines].join('\n');
  }
}

function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)}s` : `${Math.round(ms / 1000)}s`;
}

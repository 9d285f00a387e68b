import type { Reporter } from '../output/reporter.ts';

/** What every stage needs from the run: where it runs, where it reports, how to stop early. */
export interface StageDeps {
  cwd: string;
  signal: AbortSignal;
  reporter: Reporter;
}

/** A stage's typed result for --json, and one line for humans. */
export interface StageOutcome<Data> {
  summary: string;
  data: Data;
}

/** A unit of work the user sees as one line of the task list. */
export interface TaskEvent {
  type: 'task';
  id: string;
  title: string;
  status: 'running' | 'done' | 'failed' | 'skipped';
  detail?: string | undefined;
}

/** Byte progress of a running task. */
export interface ProgressEvent {
  type: 'progress';
  id: string;
  loaded: number;
  total?: number;
}

/** A finding that is not fatal on its own (one per problem found, e.g. every invalid manifest key). */
export interface DiagnosticEvent {
  type: 'diagnostic';
  severity: 'error' | 'warning' | 'info';
  code: string;
  message: string;
  hint?: string | undefined;
  location?: string | undefined;
}

/** A task's transfer is tried again (a reset connection, a body cut short, a 5xx), as it happens. */
export interface RetryEvent {
  type: 'retry';
  id: string;
  /** The attempt about to start: 2 for the first retry. */
  attempt: number;
  reason: string;
}

export type CliEvent = TaskEvent | ProgressEvent | DiagnosticEvent | RetryEvent;

export interface ErrorSummary {
  code: string;
  message: string;
  hint?: string;
  location?: string;
  /** Every problem found when the failure has several (e.g. all invalid manifest keys). */
  issues?: ErrorSummary[];
}

/** The last line of a --json run. */
export interface ResultEvent {
  type: 'result';
  ok: boolean;
  command: string;
  exitCode: number;
  data?: unknown;
  error?: ErrorSummary;
}

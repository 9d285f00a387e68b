import { VerifyError } from './errors.ts';

export interface Step {
  title: string;
  /** Resolves with an optional one-line detail for the "ok" line; throws to fail the step. */
  run: () => Promise<string | void>;
}

export interface StepCounts {
  passed: number;
  failed: number;
  skipped: number;
}

/** Runs steps in order and stops at the first failure or interrupt: every later step builds on the earlier ones. */
export async function runSteps(steps: readonly Step[], print: (line: string) => void, signal: AbortSignal): Promise<StepCounts> {
  const counts: StepCounts = { passed: 0, failed: 0, skipped: 0 };
  const width = String(steps.length).length;
  for (const [index, step] of steps.entries()) {
    const label = `release:verify [${String(index + 1).padStart(width)}/${steps.length}]`;
    if (counts.failed || signal.aborted) {
      counts.skipped++;
      continue;
    }
    print(`${label} ${step.title} ...`);
    const started = performance.now();
    try {
      const detail = await step.run();
      counts.passed++;
      print(`${label} ok   ${seconds(started)} ${step.title}${detail ? `: ${detail}` : ''}`);
    } catch (error) {
      counts.failed++;
      print(`${label} FAIL ${seconds(started)} ${step.title}`);
      for (const line of describe(error).split('\n')) print(`    ${line}`);
    }
  }
  return counts;
}

function describe(error: unknown): string {
  if (error instanceof VerifyError) return [`${error.code}: ${error.message}`, ...(error.detail ? ['', error.detail] : [])].join('\n');
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

function seconds(started: number): string {
  return `${((performance.now() - started) / 1000).toFixed(1)}s`.padStart(6);
}

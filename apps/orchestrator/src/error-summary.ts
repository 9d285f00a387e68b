import { formatPosition, isFalcoAirgapError } from '@falco-airgap/core';
import { ValuesError } from '@falco-airgap/helm-values-schema';
import { ManifestError } from '@falco-airgap/manifest';
import type { ErrorSummary } from './output/events.ts';
import { CliErrorCode } from './cli-error.ts';
import { ConfigError } from './config/config-error.ts';
import { renderOptionNames } from './option-flags.ts';

/** Turns any thrown value into what the user sees: code, message, hint, FILE:LINE:COL; option names become flags. */
export function summarizeError(error: unknown): ErrorSummary {
  if (error instanceof ManifestError || error instanceof ConfigError) {
    const issues = error.issues.map((issue) =>
      withFlags({ code: issue.code, message: issue.message, hint: issue.hint, location: formatPosition(issue.position) }),
    );
    return { ...issues[0]!, issues };
  }
  if (error instanceof ValuesError) {
    const issues = error.issues.map((issue) => {
      const summary: ErrorSummary = { code: issue.code, message: `${issue.path || '(values)'}: ${issue.message}`, hint: issue.hint };
      if (issue.position) summary.location = formatPosition(issue.position);
      return withFlags(summary);
    });
    return { ...issues[0]!, issues };
  }
  if (isFalcoAirgapError(error)) {
    const summary: ErrorSummary = { code: error.code, message: error.message };
    if (error.hint) summary.hint = error.hint;
    if (error.position) summary.location = formatPosition(error.position);
    return withFlags(summary);
  }
  const message = error instanceof Error ? error.message : String(error);
  return { code: CliErrorCode.Unexpected, message, hint: 'this is a bug in falco-airgap if it persists: re-run with --verbose and report it' };
}

function withFlags(summary: ErrorSummary): ErrorSummary {
  const rendered: ErrorSummary = { ...summary, message: renderOptionNames(summary.message) };
  if (summary.hint !== undefined) rendered.hint = renderOptionNames(summary.hint);
  return rendered;
}

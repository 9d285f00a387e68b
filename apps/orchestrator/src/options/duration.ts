import { CliError, CliErrorCode } from '../cli-error.ts';

const DURATION_UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A duration flag such as 30s, 5m, 1h or 2d, in milliseconds. */
export function parseDuration(text: string, flag: string, examples = '30m, 1h or 2d (0s for none)'): number {
  const m = /^(\d+)(s|m|h|d)$/.exec(text);
  if (!m) throw new CliError(`${flag} "${text}" is not a duration`, CliErrorCode.Usage, 'input', `e.g. ${flag} ${examples}`);
  return Number(m[1]) * DURATION_UNITS[m[2]!]!;
}

import {
  locateIssue,
  migrateOfficialValues,
  parseValuesFile,
  renderMigratedValues,
  ValuesError,
  ValuesErrorCode,
  type MigrationOutcome,
} from '@falco-airgap/helm-values-schema';
import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { CommandContext, CommandOutcome } from '../context.ts';

export interface ValuesMigrateOptions {
  out?: string | undefined;
  release: string;
  namespace: string;
}

/** Stable code of the warning printed for each upstream value that was not carried over. */
export const NOT_CARRIED_OVER = 'VALUES_NOT_CARRIED_OVER';

export async function valuesMigrate(ctx: CommandContext, file: string, options: ValuesMigrateOptions): Promise<CommandOutcome> {
  const title = `migrate ${file}`;
  ctx.reporter.event({ type: 'task', id: 'migrate', title, status: 'running' });
  let text: string;
  try {
    text = await readFile(resolve(ctx.cwd, file), 'utf8');
  } catch (cause) {
    ctx.reporter.event({ type: 'task', id: 'migrate', title, status: 'failed' });
    throw new ValuesError(
      [
        {
          code: ValuesErrorCode.ReadFailed,
          path: '',
          message: `cannot read ${file}`,
          hint: 'name the values file of the upstream falco chart, e.g. from helm get values falco',
        },
      ],
      { cause },
    );
  }
  const parsed = parseValuesFile(text, file);
  const result = migrateOfficialValues(parsed.values, { releaseName: options.release, namespace: options.namespace });

  for (const step of result.notCarried) {
    const position = locateIssue([parsed], { code: ValuesErrorCode.UnknownKey, path: step.path, message: '', hint: '' });
    ctx.reporter.event({
      type: 'diagnostic',
      severity: 'warning',
      code: NOT_CARRIED_OVER,
      message: `${step.path} is not carried over`,
      hint: step.reason,
      location: position ? `${position.file}:${position.line}:${position.column}` : file,
    });
  }

  const counts: Record<MigrationOutcome, number> = { kept: 0, moved: 0, unchanged: 0, dropped: 0 };
  for (const step of result.steps) counts[step.outcome]++;
  const detail = `${result.steps.length} values: ${counts.kept} kept, ${counts.moved} moved, ${counts.unchanged} already so here, ${counts.dropped} not carried over`;
  const yaml = renderMigratedValues(result, file);
  if (options.out) await writeFile(resolve(ctx.cwd, options.out), yaml);
  ctx.reporter.event({ type: 'task', id: 'migrate', title, status: 'done', detail });

  return {
    // Without --out the values file is the output, so it can be redirected.
    summary: options.out ? `wrote ${options.out}: ${detail}` : yaml.trimEnd(),
    data: { source: file, out: options.out, values: result.values, counts, notes: result.notes, notCarried: result.notCarried, steps: result.steps },
  };
}

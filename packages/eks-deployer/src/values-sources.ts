import { parseValuesFile, ValuesError, ValuesErrorCode } from '@falco-airgap/helm-values-schema';
import { readFile } from 'node:fs/promises';
import type { ValuesSource } from './deploy-plan.ts';

/** Reads values files in helm -f order as plan layers; a missing file or bad YAML is a ValuesError with the file and line. */
export async function readValuesSources(files: readonly string[]): Promise<ValuesSource[]> {
  const sources: ValuesSource[] = [];
  for (const name of files) {
    let text: string;
    try {
      text = await readFile(name, 'utf8');
    } catch (cause) {
      throw new ValuesError(
        [
          {
            code: ValuesErrorCode.ReadFailed,
            path: '',
            message: `cannot read ${name}`,
            hint: 'check the path of the values file',
            position: { file: name, line: 1, column: 1 },
          },
        ],
        { cause },
      );
    }
    const file = parseValuesFile(text, name);
    sources.push({ name, values: file.values, file });
  }
  return sources;
}

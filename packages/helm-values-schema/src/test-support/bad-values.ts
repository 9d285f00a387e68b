import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const badValuesDir = join(import.meta.dirname, '..', '..', 'test-fixtures', 'bad-values');

export interface BadValuesFixture {
  name: string;
  file: string;
  text: string;
  code: string;
  path: string;
}

/** The bad values files, each opening with `# expect: CODE path` (what validateValues and helm must report). */
export function badValuesFixtures(): BadValuesFixture[] {
  return readdirSync(badValuesDir)
    .filter((name) => name.endsWith('.yaml'))
    .sort()
    .map((name) => {
      const file = join(badValuesDir, name);
      const text = readFileSync(file, 'utf8');
      const m = /^# expect: (\S+) (.+)$/m.exec(text);
      if (!m) throw new Error(`${name} lacks "# expect: CODE path"`);
      return { name, file, text, code: m[1]!, path: m[2]! };
    });
}

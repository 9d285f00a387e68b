import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { validateValues } from '../src/index.ts';
const v = parse(readFileSync('/tmp/parity/official-values.yaml', 'utf8'));
for (const i of validateValues(v)) console.log(i.code, i.path, '|', i.message, '|', i.hint.slice(0, 100));

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { renderSchemaJson, renderValuesYaml, withValuesTable } from '../src/chart-files.ts';
import { generatedFiles } from './chart-paths.ts';
import { renderValuesTypes } from './render-types.ts';

// Regenerates everything derived from the values schema; chart-files.test.ts fails when a checked-in copy is stale.
function write(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
}

const schema = renderSchemaJson();
write(generatedFiles.chartSchema, schema);
write(generatedFiles.packageSchema, schema);
write(generatedFiles.chartValues, renderValuesYaml());
write(generatedFiles.chartReadme, withValuesTable(readFileSync(generatedFiles.chartReadme, 'utf8')));
write(generatedFiles.types, await renderValuesTypes());

import { join } from 'node:path';

const packageDir = join(import.meta.dirname, '..');

/** Where the generated files live: the chart in the repository, and the copies shipped in this package. */
export const chartDir = join(packageDir, '..', '..', 'helm', 'falco-airgap');
export const generatedFiles = {
  chartSchema: join(chartDir, 'values.schema.json'),
  chartValues: join(chartDir, 'values.yaml'),
  chartReadme: join(chartDir, 'README.md'),
  packageSchema: join(packageDir, 'schema', 'values.schema.json'),
  types: join(packageDir, 'src', 'generated', 'values.ts'),
};

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { formatPath } from '../value-path.ts';

const fixtures = join(import.meta.dirname, '..', '..', 'test-fixtures');

/** The pinned copy of the upstream falco chart's values.yaml (see its README for source and licence). */
export const upstreamChartValuesFile = join(fixtures, 'falco-chart-9.1.0', 'values.yaml');

export function upstreamChartValues(): Record<string, unknown> {
  return parse(readFileSync(upstreamChartValuesFile, 'utf8')) as Record<string, unknown>;
}

/** The keys of one value each (scalars, lists, empty maps), in file order, as the migration names them. */
export function upstreamLeaves(value: unknown, segments: string[] = []): string[] {
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length > 0)
    return Object.entries(value).flatMap(([key, child]) => upstreamLeaves(child, [...segments, key]));
  return [formatPath(segments)];
}

export interface UpstreamValuesFixture {
  name: string;
  file: string;
  text: string;
}

/** Values files written the way users write them for the upstream chart. */
export function upstreamValuesFixtures(): UpstreamValuesFixture[] {
  const dir = join(fixtures, 'upstream-values');
  return readdirSync(dir)
    .filter((name) => name.endsWith('.yaml'))
    .sort()
    .map((name) => ({ name, file: join(dir, name), text: readFileSync(join(dir, name), 'utf8') }));
}

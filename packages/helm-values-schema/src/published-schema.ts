import type { SchemaNode } from './schema/nodes.ts';
import { valuesSchema } from './schema/values-schema.ts';

const PRIVATE_ANNOTATIONS = new Set(['x-hint', 'x-example', 'x-code']);

function strip(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(strip);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => !PRIVATE_ANNOTATIONS.has(key))
      .map(([key, child]) => [key, key === 'default' || key === 'enum' ? child : strip(child)]),
  );
}

/** values.schema.json as helm and editors read it: plain draft-07, without the hint annotations. */
export function publishedValuesSchema(): Record<string, unknown> {
  const { $schema, title, ...rest } = strip(valuesSchema) as SchemaNode & Record<string, unknown>;
  return { $schema, title, ...rest };
}

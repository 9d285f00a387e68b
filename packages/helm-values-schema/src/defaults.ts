import { hasDefault, type SchemaNode } from './schema/nodes.ts';
import { valuesSchema } from './schema/values-schema.ts';

/** The default values a schema node describes: leaves carry `default`, closed objects are built from their children. */
export function defaultsOf(node: SchemaNode): unknown {
  if (node.default !== undefined) return structuredClone(node.default);
  if (node.type === 'object' && node.properties) {
    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(node.properties)) if (hasDefault(child)) out[key] = defaultsOf(child);
    return out;
  }
  return undefined;
}

/** The chart's default values (what values.yaml holds), as a fresh object. */
export function chartDefaults(): Record<string, unknown> {
  return defaultsOf(valuesSchema) as Record<string, unknown>;
}

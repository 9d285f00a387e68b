import { compile, type JSONSchema } from 'json-schema-to-typescript';
import { publishedValuesSchema } from '../src/published-schema.ts';

// Siblings of $ref would make json-schema-to-typescript declare ImageSettings1, ImageSettings2...; one shared type reads better.
function bareRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(bareRefs);
  if (typeof value !== 'object' || value === null) return value;
  if ('$ref' in value) return { $ref: value.$ref };
  return Object.fromEntries(Object.entries(value).map(([key, child]) => [key, key === 'default' ? child : bareRefs(child)]));
}

/** The TypeScript declaration of the values, generated from the schema (checked in as src/generated/values.ts). */
export async function renderValuesTypes(): Promise<string> {
  return compile(bareRefs(publishedValuesSchema()) as JSONSchema, 'FalcoAirgapValues', {
    bannerComment: '// Generated from the values schema by scripts/write-chart-files.ts (npm run build); do not edit.',
    additionalProperties: false,
    strictIndexSignatures: true,
    unknownAny: true,
    format: true,
    style: { singleQuote: true, printWidth: 160, trailingComma: 'all' },
  });
}

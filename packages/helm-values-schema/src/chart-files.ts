import { Document, isMap, isScalar, type YAMLMap } from 'yaml';
import { chartDefaults, defaultsOf } from './defaults.ts';
import { publishedValuesSchema } from './published-schema.ts';
import type { SchemaNode } from './schema/nodes.ts';
import { valuesSchema } from './schema/values-schema.ts';

// The files of helm/falco-airgap that are generated from the schema; scripts/write-chart-files.ts writes them,
// chart-files.test.ts fails when the checked-in copies differ.

export const GENERATED_NOTICE =
  'Generated from packages/helm-values-schema (the values schema): edit the schema there, then run npm run build -w @falco-airgap/helm-values-schema.';

export function renderSchemaJson(): string {
  return `${JSON.stringify(publishedValuesSchema(), null, 2)}\n`;
}

function resolve(node: SchemaNode): SchemaNode {
  if (!node.$ref) return node;
  const name = node.$ref.replace('#/definitions/', '');
  const target = valuesSchema.definitions?.[name];
  if (!target) throw new Error(`unresolved ${node.$ref}`);
  return target;
}

function describeChildren(map: YAMLMap, node: SchemaNode, top: boolean): void {
  const properties = resolve(node).properties ?? {};
  map.items.forEach((pair, index) => {
    if (!isScalar(pair.key)) return;
    const child = properties[String(pair.key.value)];
    if (!child) return;
    pair.key.commentBefore = ` -- ${child.description ?? ''}`;
    if (top && index > 0) pair.key.spaceBefore = true;
    if (isMap(pair.value) && (child.$ref || child.additionalProperties === false)) describeChildren(pair.value, child, false);
  });
}

/** values.yaml: the schema defaults, each key preceded by its description. */
export function renderValuesYaml(): string {
  const doc = new Document(chartDefaults());
  doc.commentBefore = ` ${GENERATED_NOTICE}\n The schema is helm/falco-airgap/values.schema.json; the README lists every value.`;
  if (isMap(doc.contents)) describeChildren(doc.contents, valuesSchema, true);
  return doc.toString({ lineWidth: 0 });
}

export interface ValuesTableRow {
  key: string;
  type: string;
  default: unknown;
  description: string;
}

function typeName(node: SchemaNode): string {
  if (node.enum) return node.enum.map((v) => JSON.stringify(v)).join(' | ');
  if (Array.isArray(node.type)) return node.type.join(' | ');
  if (node.type === 'array') return 'list';
  if (node.type === 'object') return 'map';
  return String(node.type ?? 'any');
}

/** One row per settable value, in values.yaml order; closed maps are opened, free-form ones are a single row. */
export function valuesTableRows(node: SchemaNode = valuesSchema, prefix = '', defaults: unknown = chartDefaults()): ValuesTableRow[] {
  const rows: ValuesTableRow[] = [];
  const resolved = resolve(node);
  for (const [key, raw] of Object.entries(resolved.properties ?? {})) {
    const child = resolve(raw);
    const path = prefix ? `${prefix}.${key}` : key;
    const value = (defaults as Record<string, unknown> | undefined)?.[key] ?? defaultsOf(raw);
    if (child.type === 'object' && child.additionalProperties === false && child.properties) rows.push(...valuesTableRows(raw, path, value));
    else rows.push({ key: path, type: typeName(child), default: value, description: raw.description ?? child.description ?? '' });
  }
  return rows;
}

function cell(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ');
}

export function renderValuesTable(): string {
  const lines = ['| Key | Type | Default | Description |', '| --- | --- | --- | --- |'];
  for (const row of valuesTableRows()) {
    const shown = row.default === undefined ? '' : `\`${cell(JSON.stringify(row.default))}\``;
    lines.push(`| \`${row.key}\` | ${cell(row.type)} | ${shown} | ${cell(row.description)} |`);
  }
  return `${lines.join('\n')}\n`;
}

export const TABLE_START = '<!-- values-table:start (generated from the schema; do not edit by hand) -->';
export const TABLE_END = '<!-- values-table:end -->';

/** The chart README with its values table replaced by the current one. */
export function withValuesTable(readme: string): string {
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  if (start < 0 || end < start) throw new Error(`the chart README lacks the ${TABLE_START} ... ${TABLE_END} markers`);
  return `${readme.slice(0, start + TABLE_START.length)}\n\n${renderValuesTable()}\n${readme.slice(end)}`;
}

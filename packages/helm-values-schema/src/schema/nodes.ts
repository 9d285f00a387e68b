/**
 * The subset of JSON Schema (draft-07) the values schema is written in, plus two annotations that
 * exist only on the TypeScript side: `x-hint` (what to do when a value fails this node) and
 * `x-example` (a value shown in that hint), and `x-code` (a more telling error code than the keyword's). They
 * are stripped from the published values.schema.json.
 */
export interface SchemaNode {
  $schema?: string;
  $ref?: string;
  title?: string;
  description?: string;
  type?:
    'string' | 'boolean' | 'integer' | 'number' | 'object' | 'array' | readonly ('string' | 'integer' | 'number' | 'boolean' | 'object' | 'array' | 'null')[];
  default?: unknown;
  enum?: readonly unknown[];
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  uniqueItems?: boolean;
  properties?: Record<string, SchemaNode>;
  propertyNames?: SchemaNode;
  required?: readonly string[];
  additionalProperties?: boolean | SchemaNode;
  items?: SchemaNode;
  definitions?: Record<string, SchemaNode>;
  'x-hint'?: string;
  'x-example'?: unknown;
  'x-code'?: string;
}

interface Annotations {
  hint?: string | undefined;
  example?: unknown;
  code?: string | undefined;
}

function annotate(node: SchemaNode, { hint, example, code }: Annotations): SchemaNode {
  if (hint !== undefined) node['x-hint'] = hint;
  if (example !== undefined) node['x-example'] = example;
  if (code !== undefined) node['x-code'] = code;
  return node;
}

export function string(description: string, defaultValue: string, extra: Omit<SchemaNode, 'type' | 'description' | 'default'> & Annotations = {}): SchemaNode {
  const { hint, example, code, ...rest } = extra;
  return annotate({ type: 'string', description, default: defaultValue, ...rest }, { hint, example, code });
}

export function boolean(description: string, defaultValue: boolean): SchemaNode {
  return { type: 'boolean', description, default: defaultValue };
}

export function integer(description: string, defaultValue: number, range: { minimum?: number; maximum?: number } = {}): SchemaNode {
  return { type: 'integer', description, default: defaultValue, ...range };
}

export function oneOfValues<T extends string>(description: string, values: readonly T[], defaultValue: T, hint?: string): SchemaNode {
  return annotate({ type: 'string', description, enum: values, default: defaultValue }, { hint });
}

/** A closed object: every key is declared, anything else is a typo or a removed option. */
export function object(description: string, properties: Record<string, SchemaNode>, extra: Annotations & { title?: string } = {}): SchemaNode {
  const required = Object.entries(properties)
    .filter(([, node]) => hasDefault(node) && !isNullable(node))
    .map(([key]) => key);
  const node: SchemaNode = { type: 'object', description, additionalProperties: false, properties };
  if (extra.title) node.title = extra.title;
  if (required.length) node.required = required;
  return annotate(node, extra);
}

/** A Kubernetes or Falco structure the chart passes through untouched (affinity, resources, plugin init_config...). */
export function passThrough(description: string, defaultValue: Record<string, unknown> | undefined = {}): SchemaNode {
  const node: SchemaNode = { type: 'object', description, additionalProperties: true };
  if (defaultValue !== undefined) node.default = defaultValue;
  return node;
}

export function stringMap(description: string, extra: { propertyNames?: SchemaNode } & Annotations = {}): SchemaNode {
  const node: SchemaNode = { type: 'object', description, default: {}, additionalProperties: { type: 'string' } };
  if (extra.propertyNames) node.propertyNames = extra.propertyNames;
  return annotate(node, extra);
}

export function list(
  description: string,
  items: SchemaNode,
  defaultValue: unknown[] | undefined = [],
  extra: { minItems?: number; uniqueItems?: boolean } & Annotations = {},
): SchemaNode {
  const { hint, example, ...rest } = extra;
  const node: SchemaNode = { type: 'array', description, items, ...rest };
  if (defaultValue !== undefined) node.default = defaultValue;
  return annotate(node, { hint, example });
}

/** A shared definition with its own defaults (validators ignore siblings of $ref; the defaults walker and README read them). */
export function ref(definition: string, description: string, defaultValue: Record<string, unknown>): SchemaNode {
  return { $ref: `#/definitions/${definition}`, description, default: defaultValue };
}

/**
 * A value that may be null, as the upstream chart writes unset options (`podPriorityClassName:`): helm then
 * deletes the default, so the key is optional and the templates treat it as unset.
 */
export function nullable(node: SchemaNode): SchemaNode {
  const types = Array.isArray(node.type) ? node.type : [node.type];
  return { ...node, type: [...types, 'null'] as NonNullable<SchemaNode['type']> };
}

function isNullable(node: SchemaNode): boolean {
  return Array.isArray(node.type) && node.type.includes('null');
}

export function hasDefault(node: SchemaNode): boolean {
  return node.default !== undefined || (node.type === 'object' && node.additionalProperties === false && node.properties !== undefined);
}

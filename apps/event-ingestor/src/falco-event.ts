import { Ajv, type ErrorObject } from 'ajv';

/** Falco's priorities, most severe first, spelled as Falco and Falcosidekick write them in JSON. */
export const FALCO_PRIORITIES = ['Emergency', 'Alert', 'Critical', 'Error', 'Warning', 'Notice', 'Informational', 'Debug'] as const;
export type FalcoPriority = (typeof FALCO_PRIORITIES)[number];

/** 0 for Emergency to 7 for Debug, as syslog counts: a lower number is more severe. */
export function severityOf(priority: FalcoPriority): number {
  return FALCO_PRIORITIES.indexOf(priority);
}

export type OutputFieldValue = string | number | boolean | null | OutputFieldValue[] | { [key: string]: OutputFieldValue };

/** The body Falcosidekick's webhook output posts: its `FalcoPayload` as JSON, one event per request. */
export interface FalcoEvent {
  uuid?: string;
  output: string;
  priority: FalcoPriority;
  rule: string;
  /** RFC 3339 with up to nanoseconds, as Go writes a time.Time. */
  time: string;
  output_fields: Record<string, OutputFieldValue>;
  source: string;
  tags?: string[];
  hostname?: string;
}

/** Bounds on one event; the request body limit bounds the whole. */
export interface EventLimits {
  maxOutputLength: number;
  /** Longest string anywhere else (rule, output field values, tags). */
  maxStringLength: number;
  /** Most keys and array items in output_fields, counted over every level. */
  maxOutputFields: number;
  /** How deep values inside output_fields may nest: 0 allows only scalars, 1 a list or map of scalars, and so on. */
  maxOutputFieldsDepth: number;
  maxTags: number;
}

export const DEFAULT_EVENT_LIMITS: EventLimits = {
  maxOutputLength: 16_384,
  maxStringLength: 8_192,
  maxOutputFields: 256,
  maxOutputFieldsDepth: 3,
  maxTags: 64,
};

// RFC 3339 as Go's time.Time marshals it: seconds always present, up to 9 fraction digits, Z or a numeric offset.
const RFC3339 = '^(\\d{4})-(\\d{2})-(\\d{2})T(\\d{2}):(\\d{2}):(\\d{2})(\\.\\d{1,9})?(Z|[+-]\\d{2}:\\d{2})$';
// Compiled once: exec keeps no state between calls without the g or y flag.
const RFC3339_PATTERN = new RegExp(RFC3339);

/**
 * The JSON Schema of a Falcosidekick webhook body. Nesting inside output_fields is unrolled to the depth limit, so the
 * schema itself holds the bound and validation never recurses deeper.
 */
export function falcoEventSchema(limits: EventLimits = DEFAULT_EVENT_LIMITS): Record<string, unknown> {
  const string = (maxLength: number, minLength = 0) => ({ type: 'string', minLength, maxLength });
  const value = (levels: number): Record<string, unknown> => {
    const scalar = { type: ['string', 'number', 'boolean', 'null'], maxLength: limits.maxStringLength };
    if (levels === 0) return scalar;
    const inner = value(levels - 1);
    return {
      anyOf: [
        scalar,
        { type: 'array', maxItems: limits.maxOutputFields, items: inner },
        { type: 'object', maxProperties: limits.maxOutputFields, propertyNames: { maxLength: 256 }, additionalProperties: inner },
      ],
    };
  };
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'Falco event as posted by Falcosidekick',
    type: 'object',
    additionalProperties: false,
    required: ['output', 'priority', 'rule', 'time', 'output_fields', 'source'],
    properties: {
      uuid: string(64),
      output: string(limits.maxOutputLength),
      priority: { type: 'string', enum: [...FALCO_PRIORITIES] },
      rule: string(Math.min(1024, limits.maxStringLength), 1),
      time: { type: 'string', pattern: RFC3339 },
      output_fields: {
        type: 'object',
        minProperties: 1,
        maxProperties: limits.maxOutputFields,
        propertyNames: { maxLength: 256 },
        additionalProperties: value(limits.maxOutputFieldsDepth),
      },
      source: string(64),
      tags: { type: 'array', maxItems: limits.maxTags, items: string(256) },
      hostname: string(253),
    },
  };
}

export type EventCheck = { ok: true; event: FalcoEvent; timeMs: number } | { ok: false; path: string; message: string };

/** Validates request bodies against the schema and the bounds JSON Schema cannot say. */
export function createEventValidator(limits: EventLimits = DEFAULT_EVENT_LIMITS): (body: unknown) => EventCheck {
  const ajv = new Ajv({ allErrors: false, strict: true, allowUnionTypes: true });
  const validate = ajv.compile(falcoEventSchema(limits));
  // The root is level 1 and output_fields level 2; its values may nest maxOutputFieldsDepth levels below.
  const maxDepth = 2 + limits.maxOutputFieldsDepth;
  return (body) => {
    const walked = walk(body, maxDepth, limits.maxOutputFields);
    if (walked) return { ok: false, ...walked };
    if (!validate(body)) return { ok: false, ...describe(validate.errors ?? []) };
    const event = body as unknown as FalcoEvent;
    const timeMs = parseEventTime(event.time);
    if (timeMs === undefined) return { ok: false, path: '/time', message: 'is not a valid date and time' };
    return { ok: true, event, timeMs };
  };
}

/** Milliseconds since the epoch of an RFC 3339 time, or undefined when a field is out of range (February 30th). */
export function parseEventTime(time: string): number | undefined {
  const m = RFC3339_PATTERN.exec(time);
  if (!m) return undefined;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = Number(m[6]);
  const fraction = m[7] ? Number(`0${m[7]}`) : 0;
  const local = Date.UTC(year, month - 1, day, hour, minute, second);
  const check = new Date(local);
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59)
    return undefined;
  let offsetMs = 0;
  const zone = m[8]!;
  if (zone !== 'Z') {
    const h = Number(zone.slice(1, 3));
    const mm = Number(zone.slice(4, 6));
    if (h > 23 || mm > 59) return undefined;
    offsetMs = (zone.startsWith('-') ? -1 : 1) * (h * 60 + mm) * 60_000;
  }
  return local - offsetMs + Math.floor(fraction * 1000);
}

type Problem = { path: string; message: string };

// Depth and size first, with a bounded recursion, so nothing deeper is ever walked; then what PostgreSQL cannot store.
// The JSON pointer is only written once a problem is found: the keys walked through wait on a stack until then.
function walk(value: unknown, maxDepth: number, maxOutputFields: number): Problem | undefined {
  let outputFields = 0;
  const keys: string[] = [];
  const at = (message: string): Problem => ({ path: pointer(keys), message });
  const stringProblem = (text: string): string | undefined => {
    if (text.includes('\u0000')) return 'contains a NUL character';
    if (!text.isWellFormed()) return 'contains a lone UTF-16 surrogate';
    return undefined;
  };
  // `counted`: the node's members lie inside /output_fields and count against its bound.
  const visit = (node: unknown, depth: number, counted: boolean): Problem | undefined => {
    if (typeof node === 'string') {
      const problem = stringProblem(node);
      return problem === undefined ? undefined : at(problem);
    }
    if (typeof node !== 'object' || node === null) return undefined;
    if (depth > maxDepth) return at(`nests deeper than output_fields allow (${maxDepth - 2} levels)`);
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        if (counted && ++outputFields > maxOutputFields) return { path: '/output_fields', message: `holds more than ${maxOutputFields} values` };
        keys.push(String(i));
        const problem = visit(node[i], depth + 1, counted);
        if (problem) return problem;
        keys.pop();
      }
      return undefined;
    }
    const names = Object.keys(node);
    for (let i = 0; i < names.length; i++) {
      const key = names[i]!;
      if (counted && ++outputFields > maxOutputFields) return { path: '/output_fields', message: `holds more than ${maxOutputFields} values` };
      keys.push(key);
      const keyProblem = stringProblem(key);
      if (keyProblem !== undefined) return at(keyProblem);
      const problem = visit((node as Record<string, unknown>)[key], depth + 1, counted || (depth === 1 && key === 'output_fields'));
      if (problem) return problem;
      keys.pop();
    }
    return undefined;
  };
  return visit(value, 1, false);
}

function pointer(keys: readonly string[]): string {
  let path = '';
  for (const key of keys) path += `/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`;
  return path;
}

function describe(errors: ErrorObject[]): { path: string; message: string } {
  // The most specific error: the deepest path, and a concrete keyword over "no branch of anyOf matched".
  const sorted = [...errors].sort((a, b) => b.instancePath.length - a.instancePath.length || Number(a.keyword === 'anyOf') - Number(b.keyword === 'anyOf'));
  const error = sorted[0];
  if (error === undefined) return { path: '', message: 'is not a Falco event' };
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return { path: `${error.instancePath}/${String(params.missingProperty)}`, message: 'is required' };
    case 'additionalProperties':
      return { path: `${error.instancePath}/${String(params.additionalProperty)}`, message: 'is not a field of a Falco event' };
    case 'enum':
      return { path: error.instancePath, message: `must be one of ${(params.allowedValues as string[]).join(', ')}` };
    case 'pattern':
      return { path: error.instancePath, message: 'must be an RFC 3339 date and time, e.g. 2026-05-01T12:00:00.123456789Z' };
    default:
      return { path: error.instancePath, message: error.message ?? 'is not valid' };
  }
}

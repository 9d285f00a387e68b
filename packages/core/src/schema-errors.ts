import type { SourcePosition } from './errors.ts';
import { closestMatch } from './suggest.ts';

/** One step into a document: a map key or a list index. */
export type PathSegment = string | number;

/**
 * The fields of a JSON Schema validation error (ajv's `ErrorObject`) the helpers below read;
 * structural, so this package needs no validator at runtime.
 */
export interface SchemaError {
  keyword: string;
  /** JSON pointer to the value that failed, e.g. `/plugins/2/from`. */
  instancePath: string;
  /** Where in the schema the failing keyword sits, e.g. `#/$defs/semver/pattern`. */
  schemaPath: string;
  params: Record<string, unknown>;
  message?: string | undefined;
  /** The schema object holding the failing keyword (ajv fills it with `verbose: true`). */
  parentSchema?: unknown;
}

/** How a document answers "where is this?": the position of a value or of its key, undefined when the document does not hold it. */
export type PositionLookup = (segments: readonly PathSegment[], part: 'key' | 'value') => SourcePosition | undefined;

/** An `additionalProperties` error read as a mistyped key. */
export interface UnknownKey {
  key: string;
  /** The map that holds the key. */
  parent: PathSegment[];
  /** The keys the schema allows there. */
  allowed: string[];
  /** The allowed key closest to `key`, when it is close enough to be a typo. */
  suggestion: string | undefined;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** `driver.kind`, `plugins[2].from.artifact`, `customRules["50-rules.yaml"]`: how users name a value. */
export function formatPath(segments: readonly PathSegment[]): string {
  let out = '';
  for (const segment of segments) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (IDENTIFIER.test(segment)) out += out ? `.${segment}` : segment;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/** The segments of a path written by formatPath. */
export function parsePath(path: string): PathSegment[] {
  const segments: PathSegment[] = [];
  const pattern = /([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]|\./gy;
  let match: RegExpExecArray | null;
  while (pattern.lastIndex < path.length && (match = pattern.exec(path))) {
    if (match[1] !== undefined) segments.push(match[1]);
    else if (match[2] !== undefined) segments.push(Number(match[2]));
    else if (match[3] !== undefined) segments.push(JSON.parse(match[3]) as string);
  }
  return segments;
}

/** Segments of an RFC 6901 JSON pointer such as a schema error's instancePath; digits become list indexes. */
export function pointerSegments(pointer: string): PathSegment[] {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((raw) => raw.replaceAll('~1', '/').replaceAll('~0', '~'))
    .map((segment) => (/^(0|[1-9][0-9]*)$/.test(segment) ? Number(segment) : segment));
}

// The key an error is about, for the keywords that name one in their params.
function namedKey(error: SchemaError): string | undefined {
  const { additionalProperty, missingProperty, propertyName } = error.params;
  if (error.keyword === 'additionalProperties') return String(additionalProperty);
  if (error.keyword === 'required') return String(missingProperty);
  if (error.keyword === 'propertyNames') return String(propertyName);
  return undefined;
}

/** The path an error is about: the failing value, or the unknown, misnamed or missing key. */
export function schemaErrorPath(error: SchemaError): PathSegment[] {
  const at = pointerSegments(error.instancePath);
  const key = namedKey(error);
  return key === undefined ? at : [...at, key];
}

/** Reads an `additionalProperties` error as a mistyped key, with the allowed keys and the likely intended one. */
export function unknownKey(error: SchemaError): UnknownKey | undefined {
  if (error.keyword !== 'additionalProperties') return undefined;
  const key = String(error.params.additionalProperty);
  const properties = (error.parentSchema as { properties?: Record<string, unknown> } | undefined)?.properties;
  const allowed = Object.keys(properties ?? {});
  return { key, parent: pointerSegments(error.instancePath), allowed, suggestion: closestMatch(key, allowed) };
}

/**
 * The position of the deepest node along `segments` that the document holds (a missing key points at
 * the map that lacks it); the document itself does not count, so undefined means it holds none of the path.
 */
export function locatePath(segments: readonly PathSegment[], lookup: PositionLookup, part: 'key' | 'value' = 'value'): SourcePosition | undefined {
  if (segments.length === 0) return undefined;
  const exact = lookup(segments, part);
  if (exact) return exact;
  for (let depth = segments.length - 1; depth > 0; depth--) {
    const position = lookup(segments.slice(0, depth), 'value');
    if (position) return position;
  }
  return undefined;
}

/** Where a schema error sits in the document: an unknown or misnamed key at the key, a missing key at its map, else the value. */
export function locateSchemaError(error: SchemaError, lookup: PositionLookup): SourcePosition | undefined {
  const at = pointerSegments(error.instancePath);
  if (error.keyword === 'additionalProperties' || error.keyword === 'propertyNames') return locatePath(schemaErrorPath(error), lookup, 'key');
  return locatePath(at, lookup);
}

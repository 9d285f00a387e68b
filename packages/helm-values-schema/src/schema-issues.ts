import type { ErrorObject } from 'ajv';
import { closestMatch as didYouMean, formatPath, pointerSegments, schemaErrorPath, unknownKey } from '@falco-airgap/core';
import { ValuesErrorCode, type ValuesIssue } from './errors.ts';
import { MOVED_KEYS } from './moved-keys.ts';
import type { SchemaNode } from './schema/nodes.ts';

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'list';
  if (typeof value === 'object') return 'map';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

const TYPE_WORDS: Record<string, string> = {
  object: 'map',
  array: 'list',
  string: 'string',
  boolean: 'boolean (true or false, unquoted)',
  integer: 'whole number',
  number: 'number',
};

function describeType(type: unknown): string {
  const types = Array.isArray(type) ? type : [type];
  return types.map((t) => TYPE_WORDS[String(t)] ?? String(t)).join(' or ');
}

function withExample(hint: string, node: SchemaNode | undefined): string {
  const example = node?.['x-example'];
  return example === undefined ? hint : `${hint}, e.g. ${JSON.stringify(example)}`;
}

function quote(values: readonly unknown[]): string {
  return values.map((v) => JSON.stringify(v)).join(', ');
}

/** Turns one ajv error into an issue a user can act on: where, what is wrong, what to write. */
export function issueFromSchemaError(error: ErrorObject, value: unknown): ValuesIssue | undefined {
  const at = pointerSegments(error.instancePath);
  const node = error.parentSchema as SchemaNode | undefined;
  const path = formatPath(at);
  const own = node?.['x-hint'];
  switch (error.keyword) {
    case 'additionalProperties': {
      const { key, allowed, suggestion } = unknownKey(error)!;
      const full = formatPath(schemaErrorPath(error));
      const moved = MOVED_KEYS[full.replace(/\[\d+\]/g, '')];
      const hint =
        moved ?? (suggestion ? `did you mean ${formatPath([...at, suggestion])}?` : `remove it; ${path || 'the top level'} accepts ${allowed.join(', ')}`);
      return { code: ValuesErrorCode.UnknownKey, path: full, message: `unknown key "${key}"${path ? ` in ${path}` : ' at the top level'}`, hint };
    }
    case 'required': {
      const key = String((error.params as { missingProperty: string }).missingProperty);
      return {
        code: ValuesErrorCode.MissingKey,
        path: formatPath(schemaErrorPath(error)),
        message: `${key} is missing`,
        hint: 'set it, or drop the null that removed the chart default (helm deletes keys set to null)',
      };
    }
    case 'type': {
      const expected = describeType((error.params as { type: unknown }).type);
      return {
        code: ValuesErrorCode.WrongType,
        path,
        message: `expected a ${expected}, got a ${typeOf(value)} (${JSON.stringify(value)})`,
        hint: withExample(own ?? `write a ${expected}`, node),
      };
    }
    case 'enum': {
      const allowed = (error.params as { allowedValues: unknown[] }).allowedValues;
      const guess = typeof value === 'string' ? didYouMean(value, allowed.map(String)) : undefined;
      return {
        code: ValuesErrorCode.NotAllowed,
        path,
        message: `${JSON.stringify(value)} is not one of ${quote(allowed)}`,
        hint: guess ? `did you mean ${JSON.stringify(guess)}?` : (own ?? `use one of ${quote(allowed)}`),
      };
    }
    case 'pattern':
    case 'maxLength':
    case 'minLength': {
      if (error.propertyName !== undefined) return undefined; // reported once by the propertyNames error
      const code = (node?.['x-code'] as ValuesIssue['code'] | undefined) ?? ValuesErrorCode.BadFormat;
      const what =
        error.keyword === 'pattern'
          ? 'is not in the expected form'
          : error.keyword === 'maxLength'
            ? `is longer than ${String((error.params as { limit: number }).limit)} characters`
            : 'is empty';
      return { code, path, message: `${JSON.stringify(value)} ${what}`, hint: withExample(own ?? node?.description ?? 'see the chart README', node) };
    }
    case 'propertyNames': {
      const key = String((error.params as { propertyName: string }).propertyName);
      return {
        code: ValuesErrorCode.BadKeyName,
        path: formatPath(schemaErrorPath(error)),
        message: `"${key}" cannot be used as a name here`,
        hint: withExample(own ?? 'rename the key', node),
      };
    }
    case 'minimum':
    case 'maximum':
    case 'minItems':
    case 'uniqueItems': {
      const { limit } = error.params as { limit?: number };
      const what =
        error.keyword === 'minimum'
          ? `is below ${limit}`
          : error.keyword === 'maximum'
            ? `is above ${limit}`
            : error.keyword === 'minItems'
              ? `needs at least ${limit} item(s)`
              : 'has duplicate items';
      return { code: ValuesErrorCode.OutOfRange, path, message: `${JSON.stringify(value)} ${what}`, hint: own ?? node?.description ?? 'see the chart README' };
    }
    default:
      return { code: ValuesErrorCode.BadFormat, path, message: error.message ?? `fails ${error.keyword}`, hint: own ?? 'see the chart README' };
  }
}

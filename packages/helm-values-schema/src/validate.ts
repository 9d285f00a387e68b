import { Ajv, type ValidateFunction } from 'ajv';
import { chartDefaults } from './defaults.ts';
import { ValuesError, ValuesErrorCode, type ValuesIssue } from './errors.ts';
import type { FalcoAirgapValues } from './generated/values.ts';
import { coalesceValues, type ValuesLayer } from './merge.ts';
import { checkRules } from './rules.ts';
import { issueFromSchemaError } from './schema-issues.ts';
import { valuesSchema } from './schema/values-schema.ts';
import { pointerSegments } from './value-path.ts';

export interface ValidateValuesOptions {
  /** Put the values over the chart defaults first, as helm does (default true); false checks complete values as given. */
  applyDefaults?: boolean;
}

// Compiling is pure but not free: keep the one compiled validator instead of recompiling on every call.
let compiled: ValidateFunction | undefined;
function schemaValidator(): ValidateFunction {
  if (!compiled) {
    const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true, verbose: true });
    for (const keyword of ['x-hint', 'x-example', 'x-code']) ajv.addKeyword({ keyword });
    compiled = ajv.compile(valuesSchema);
  }
  return compiled;
}

function isMap(value: unknown): value is ValuesLayer {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function valueAtPointer(root: unknown, pointer: string): unknown {
  let current = root;
  for (const segment of pointerSegments(pointer)) current = (current as Record<string | number, unknown> | undefined)?.[segment];
  return current;
}

function byPath(a: ValuesIssue, b: ValuesIssue): number {
  return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
}

/**
 * Every problem of a set of chart values, in path order: first what values.schema.json rejects, and
 * once the shape is right, the checks across values the chart's templates make (removed options for
 * the Falco version, s3 without a bucket, ...). An empty list means helm will render these values.
 */
export function validateValues(values: unknown, options: ValidateValuesOptions = {}): ValuesIssue[] {
  if (!isMap(values)) {
    return [
      {
        code: ValuesErrorCode.NotAMapping,
        path: '',
        message: 'values must be a map of keys to values',
        hint: 'write the values file as YAML keys at the top level, e.g. pluginStrategy: sidecar',
      },
    ];
  }
  const merged = options.applyDefaults === false ? values : coalesceValues(chartDefaults(), values);
  const validate = schemaValidator();
  if (!validate(merged)) {
    const issues = (validate.errors ?? [])
      .map((error) => issueFromSchemaError(error, valueAtPointer(merged, error.instancePath)))
      .filter((issue) => issue !== undefined);
    return issues.sort(byPath);
  }
  return checkRules(merged as unknown as FalcoAirgapValues).sort(byPath);
}

/** The complete values helm would render with, or a ValuesError listing every problem. */
export function resolveValues(values: unknown, options: ValidateValuesOptions = {}): FalcoAirgapValues {
  const issues = validateValues(values, options);
  if (issues.length) throw new ValuesError(issues);
  return (options.applyDefaults === false ? values : coalesceValues(chartDefaults(), values as ValuesLayer)) as unknown as FalcoAirgapValues;
}

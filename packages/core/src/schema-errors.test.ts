import { describe, expect, it } from 'vitest';
import type { SourcePosition } from './errors.ts';
import { formatPath, locatePath, locateSchemaError, parsePath, pointerSegments, schemaErrorPath, unknownKey, type PositionLookup } from './schema-errors.ts';

describe('value paths', () => {
  it.each([
    [['driver', 'kind'], 'driver.kind'],
    [['plugins', 2, 'from', 'artifact'], 'plugins[2].from.artifact'],
    [['customRules', 'my rules.txt'], 'customRules["my rules.txt"]'],
    [['serviceAccount', 'annotations', 'eks.amazonaws.com/role-arn'], 'serviceAccount.annotations["eks.amazonaws.com/role-arn"]'],
    [[], ''],
  ] as const)('%j is written %s and read back', (segments, text) => {
    expect(formatPath(segments)).toBe(text);
    expect(parsePath(text)).toEqual(segments);
  });

  it('reads JSON pointers with escapes and list indexes', () => {
    expect(pointerSegments('/serviceAccount/annotations/eks.amazonaws.com~1role-arn')).toEqual(['serviceAccount', 'annotations', 'eks.amazonaws.com/role-arn']);
    expect(pointerSegments('/plugins/0/name')).toEqual(['plugins', 0, 'name']);
    expect(pointerSegments('')).toEqual([]);
  });
});

// A document as a table of positions: `plugins[0].from` → where its value starts, `plugins[0].from#key` → where its key starts.
function lookupIn(table: Record<string, [number, number]>): PositionLookup {
  return (segments, part) => {
    const found = table[`${formatPath(segments)}${part === 'key' ? '#key' : ''}`];
    return found && { file: 'm.yaml', line: found[0], column: found[1] };
  };
}

const at = (line: number, column: number): SourcePosition => ({ file: 'm.yaml', line, column });

const document = lookupIn({
  plugins: [7, 3],
  'plugins[0]': [7, 5],
  'plugins[0].from': [10, 7],
  'plugins[0].from.artifact': [10, 17],
  'plugins[0].from.tag#key': [11, 7],
  'plugins[0].from.tag': [11, 12],
});

describe('schema errors', () => {
  const unknown = {
    keyword: 'additionalProperties',
    instancePath: '/plugins/0/from',
    schemaPath: '#/additionalProperties',
    params: { additionalProperty: 'tag' },
    parentSchema: { properties: { artifact: {}, image: {}, path: {} } },
  };
  const missing = { keyword: 'required', instancePath: '/plugins/0/from', schemaPath: '#/required', params: { missingProperty: 'image' } };
  const pattern = { keyword: 'pattern', instancePath: '/plugins/0/from/artifact', schemaPath: '#/$defs/reference/pattern', params: { pattern: '^x$' } };

  it('names the path an error is about, keys included', () => {
    expect(formatPath(schemaErrorPath(unknown))).toBe('plugins[0].from.tag');
    expect(formatPath(schemaErrorPath(missing))).toBe('plugins[0].from.image');
    expect(formatPath(schemaErrorPath(pattern))).toBe('plugins[0].from.artifact');
  });

  it('reads an unknown key with the allowed keys and the one probably meant', () => {
    expect(unknownKey(unknown)).toEqual({ key: 'tag', parent: ['plugins', 0, 'from'], allowed: ['artifact', 'image', 'path'], suggestion: undefined });
    expect(unknownKey({ ...unknown, params: { additionalProperty: 'imgae' } })?.suggestion).toBe('image');
    expect(unknownKey(missing)).toBeUndefined();
  });

  it('points an unknown key at the key, a missing key at its map, anything else at the value', () => {
    expect(locateSchemaError(unknown, document)).toEqual(at(11, 7));
    expect(locateSchemaError(missing, document)).toEqual(at(10, 7));
    expect(locateSchemaError(pattern, document)).toEqual(at(10, 17));
  });

  it('falls back to the deepest node the document holds, never to the document itself', () => {
    expect(locatePath(['plugins', 0, 'from', 'path'], document)).toEqual(at(10, 7));
    expect(locatePath(['plugins', 3, 'name'], document)).toEqual(at(7, 3));
    expect(locatePath(['rulesfiles', 0], document)).toBeUndefined();
    expect(locatePath([], document)).toBeUndefined();
  });
});

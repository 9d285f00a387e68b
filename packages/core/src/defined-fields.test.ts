import { describe, expect, it } from 'vitest';
import { definedFields } from './defined-fields.ts';

describe('definedFields', () => {
  it('drops the keys whose value is undefined and keeps every other value, falsy ones included', () => {
    const fields = definedFields({ region: 'eu-west-1', endpoint: undefined as string | undefined, retries: 0, tls: false, ca: null });
    expect(fields).toEqual({ region: 'eu-west-1', retries: 0, tls: false, ca: null });
    expect(Object.keys(fields)).not.toContain('endpoint');
  });

  it('returns a copy and leaves its input alone', () => {
    const input = { a: 1, b: undefined };
    expect(definedFields(input)).not.toBe(input);
    expect(Object.keys(input)).toEqual(['a', 'b']);
  });
});

import { describe, expect, it } from 'vitest';
import { defineErrorCodes, FalcoAirgapError, formatPosition, isFalcoAirgapError } from './errors.ts';

describe('defineErrorCodes', () => {
  const { codes, categoryOf } = defineErrorCodes({
    input: { BadName: 'T_BAD_NAME' },
    verification: { Tampered: 'T_TAMPERED' },
    operational: { Down: 'T_DOWN' },
  });

  it('merges the groups into one name → code table and knows each code’s category', () => {
    expect(codes).toEqual({ BadName: 'T_BAD_NAME', Tampered: 'T_TAMPERED', Down: 'T_DOWN' });
    expect(categoryOf(codes.BadName)).toBe('input');
    expect(categoryOf(codes.Tampered)).toBe('verification');
    expect(categoryOf(codes.Down)).toBe('operational');
  });

  it('refuses a code declared twice and a code it does not know', () => {
    expect(() => defineErrorCodes({ input: { A: 'X' }, operational: { B: 'X' } })).toThrow(/declared twice/);
    expect(() => defineErrorCodes({ input: { A: 'X' }, operational: { A: 'Y' } })).toThrow(/declared twice/);
    expect(() => categoryOf('T_OTHER')).toThrow(/unknown error code/);
  });
});

describe('FalcoAirgapError', () => {
  it('carries code, category, hint, position and cause', () => {
    const cause = new Error('low level');
    const error = new FalcoAirgapError('bad', { code: 'X', category: 'input', hint: 'fix it', position: { file: 'f.yaml', line: 2, column: 3 }, cause });
    expect(isFalcoAirgapError(error)).toBe(true);
    expect(isFalcoAirgapError(new Error('x'))).toBe(false);
    expect(error).toMatchObject({ code: 'X', category: 'input', hint: 'fix it', cause });
    expect(formatPosition(error.position!)).toBe('f.yaml:2:3');
  });
});

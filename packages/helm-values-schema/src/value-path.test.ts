import { describe, expect, it } from 'vitest';
import { formatPath, parsePath, pointerSegments } from './value-path.ts';

describe('value paths', () => {
  it.each([
    [['driver', 'kind'], 'driver.kind'],
    [['falco', 'plugins', 1, 'name'], 'falco.plugins[1].name'],
    [['customRules', 'my rules.txt'], 'customRules["my rules.txt"]'],
    [['serviceAccount', 'annotations', 'eks.amazonaws.com/role-arn'], 'serviceAccount.annotations["eks.amazonaws.com/role-arn"]'],
    [[], ''],
  ] as const)('%j is written %s and read back', (segments, text) => {
    expect(formatPath(segments)).toBe(text);
    expect(parsePath(text)).toEqual(segments);
  });

  it('reads JSON pointers with escapes and list indexes', () => {
    expect(pointerSegments('/serviceAccount/annotations/eks.amazonaws.com~1role-arn')).toEqual(['serviceAccount', 'annotations', 'eks.amazonaws.com/role-arn']);
    expect(pointerSegments('/falco/plugins/0/name')).toEqual(['falco', 'plugins', 0, 'name']);
  });
});

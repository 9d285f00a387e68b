import { describe, expect, it } from 'vitest';
import { compareSemver, parseSemver } from './semver.ts';

describe('compareSemver', () => {
  it('orders by major, minor and patch as numbers', () => {
    expect(compareSemver('0.10.0', '0.9.9')).toBe(1);
    expect(compareSemver('1.0.0', '0.99.99')).toBe(1);
    expect(compareSemver('0.18.0', '0.18.0')).toBe(0);
    expect(compareSemver('0.7.4', '0.7.10')).toBe(-1);
  });

  it('puts a pre-release before its release and orders pre-releases as the specification does', () => {
    const ordered = ['1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta', '1.0.0-beta.2', '1.0.0-beta.11', '1.0.0-rc.1', '1.0.0'];
    for (let i = 1; i < ordered.length; i++) expect(compareSemver(ordered[i - 1]!, ordered[i]!), `${ordered[i - 1]} < ${ordered[i]}`).toBe(-1);
  });

  it('ignores build metadata', () => expect(compareSemver('0.57.0+abc', '0.57.0')).toBe(0));

  it('refuses what is not a semantic version', () => {
    expect(() => compareSemver('v1.0.0', '1.0.0')).toThrow(TypeError);
    expect(parseSemver('26')).toBeUndefined();
  });
});

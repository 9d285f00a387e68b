import { describe, expect, it } from 'vitest';
import { buildListQuery, EventQueryError } from './event-queries.ts';

describe('buildListQuery', () => {
  it('hides false positives and pages newest first by default', () => {
    const { text, values } = buildListQuery({});
    expect(text).toMatch(/ WHERE false_positive_at IS NULL ORDER BY time DESC, id DESC LIMIT \$1$/);
    expect(values).toEqual([51]);
  });

  it('puts every value in a parameter, never in the SQL text', () => {
    const hostile = "'; DROP TABLE falco_events; --";
    const { text, values } = buildListQuery({
      clusters: [hostile],
      cluster: hostile,
      rule: hostile,
      priorities: ['Error'],
      minPriority: 'Warning',
      from: new Date('2026-01-01T00:00:00Z'),
      to: new Date('2026-01-02T00:00:00Z'),
      text: `50%_off\\${hostile}`,
      falsePositives: 'include',
      cursor: `1767225600000000.${'a'.repeat(64)}`,
      limit: 10,
    });
    expect(text).not.toContain('DROP');
    expect(text).not.toContain('false_positive_at IS');
    expect(values).toEqual([
      [hostile],
      hostile,
      hostile,
      ['Error'],
      4,
      new Date('2026-01-01T00:00:00Z'),
      new Date('2026-01-02T00:00:00Z'),
      "%50\\%\\_off\\\\'; DROP TABLE falco\\_events; --%",
      '1767225600000000',
      'a'.repeat(64),
      11,
    ]);
  });

  it('refuses cursors, limits, priorities and dates it did not hand out', () => {
    expect(() => buildListQuery({ cursor: '1.2' })).toThrow(EventQueryError);
    expect(() => buildListQuery({ limit: 501 })).toThrow(EventQueryError);
    expect(() => buildListQuery({ priorities: ['Loud' as never] })).toThrow(EventQueryError);
    expect(() => buildListQuery({ from: new Date('nope') })).toThrow(EventQueryError);
  });
});

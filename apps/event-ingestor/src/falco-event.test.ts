import { describe, expect, it } from 'vitest';
import { createEventValidator, DEFAULT_EVENT_LIMITS, FALCO_PRIORITIES, parseEventTime, severityOf } from './falco-event.ts';
import { sidekickEvent } from './test-support/falco-events.ts';

const validate = createEventValidator();
const refusal = (body: unknown) => {
  const result = validate(body);
  if (result.ok) throw new Error('accepted');
  return { path: result.path, message: result.message };
};

describe('Falco event validation', () => {
  it('accepts what Falcosidekick posts, with and without its optional fields', () => {
    const event = sidekickEvent();
    expect(validate(event)).toEqual({ ok: true, event, timeMs: expect.any(Number) });
    const { uuid: _u, tags: _t, hostname: _h, ...minimal } = event;
    expect(validate({ ...minimal, source: '' }).ok).toBe(true);
    expect(
      validate(sidekickEvent({ output_fields: { 'evt.time': 1, 'fd.name': null, 'proc.aname': ['bash', 'sshd'], 'k8s.pod.labels': { app: 'web' }, ok: true } }))
        .ok,
    ).toBe(true);
  });

  it('takes the eight priorities as Falcosidekick spells them, and no other spelling', () => {
    for (const priority of FALCO_PRIORITIES) expect(validate(sidekickEvent({ priority })).ok).toBe(true);
    expect(refusal(sidekickEvent({ priority: 'WARNING' as never }))).toEqual({ path: '/priority', message: `must be one of ${FALCO_PRIORITIES.join(', ')}` });
    expect(refusal(sidekickEvent({ priority: 'Info' as never })).path).toBe('/priority');
    expect(FALCO_PRIORITIES.map(severityOf)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('names the JSON path of what is wrong', () => {
    const { rule: _r, ...noRule } = sidekickEvent();
    expect(refusal(noRule)).toEqual({ path: '/rule', message: 'is required' });
    expect(refusal({ ...sidekickEvent(), cluster: 'other' })).toEqual({ path: '/cluster', message: 'is not a field of a Falco event' });
    expect(refusal(sidekickEvent({ tags: ['ok', 7 as never] })).path).toBe('/tags/1');
    expect(refusal(sidekickEvent({ output_fields: { 'x/y~z': 'a\u0000b' } }))).toEqual({ path: '/output_fields/x~1y~0z', message: 'contains a NUL character' });
    expect(refusal(sidekickEvent({ output_fields: { ['k\ud800']: 1 } })).message).toBe('contains a lone UTF-16 surrogate');
    expect(refusal(sidekickEvent({ time: '2026-05-01 12:00:00' })).path).toBe('/time');
    expect(refusal([sidekickEvent()]).path).toBe('');
    expect(refusal(null).path).toBe('');
  });

  it('bounds depth, count and length inside output_fields', () => {
    const deep = (levels: number): unknown => {
      let value: unknown = 'leaf';
      for (let i = 0; i < levels; i++) value = [value];
      return value;
    };
    expect(validate(sidekickEvent({ output_fields: { f: deep(3) as never } })).ok).toBe(true);
    expect(refusal(sidekickEvent({ output_fields: { f: deep(4) as never } }))).toEqual({
      path: '/output_fields/f/0/0/0',
      message: 'nests deeper than output_fields allow (3 levels)',
    });
    // Deeper than any recursion could follow: the walk stops at the bound.
    expect(refusal(sidekickEvent({ output_fields: { f: deep(200_000) as never } })).path).toBe('/output_fields/f/0/0/0');
    const many = Object.fromEntries(Array.from({ length: DEFAULT_EVENT_LIMITS.maxOutputFields + 1 }, (_, i) => [`f${i}`, i]));
    expect(refusal(sidekickEvent({ output_fields: many })).path).toBe('/output_fields');
    const wide = { f: Array.from({ length: 200 }, () => Array.from({ length: 2 }, () => 1)) };
    expect(refusal(sidekickEvent({ output_fields: wide as never }))).toEqual({ path: '/output_fields', message: 'holds more than 256 values' });
    expect(refusal(sidekickEvent({ output_fields: { f: 'x'.repeat(DEFAULT_EVENT_LIMITS.maxStringLength + 1) } })).path).toBe('/output_fields/f');
    expect(refusal(sidekickEvent({ output: 'x'.repeat(DEFAULT_EVENT_LIMITS.maxOutputLength + 1) })).path).toBe('/output');
    expect(refusal(sidekickEvent({ output_fields: {} })).path).toBe('/output_fields');
    const strict = createEventValidator({ ...DEFAULT_EVENT_LIMITS, maxOutputFieldsDepth: 0 });
    expect(strict(sidekickEvent({ output_fields: { f: [] } })).ok).toBe(false);
  });
});

describe('parseEventTime', () => {
  it('reads RFC 3339 as Go writes it, offsets and nanoseconds included', () => {
    expect(parseEventTime('2026-05-01T12:00:00Z')).toBe(Date.parse('2026-05-01T12:00:00Z'));
    expect(parseEventTime('2026-05-01T12:00:00.123456789Z')).toBe(Date.parse('2026-05-01T12:00:00.123Z'));
    expect(parseEventTime('2026-05-01T14:30:00.5+02:30')).toBe(Date.parse('2026-05-01T12:00:00.500Z'));
    expect(parseEventTime('2026-05-01T00:00:00-05:00')).toBe(Date.parse('2026-05-01T05:00:00Z'));
    expect(parseEventTime('2024-02-29T00:00:00Z')).toBe(Date.parse('2024-02-29T00:00:00Z'));
  });

  it.each([
    '2026-02-29T00:00:00Z',
    '2026-13-01T00:00:00Z',
    '2026-05-01T24:00:00Z',
    '2026-05-01T12:60:00Z',
    '2026-05-01T12:00:00+24:00',
    '2026-05-01T12:00Z',
    '2026-05-01',
    'now',
  ])('refuses %s', (time) => {
    expect(parseEventTime(time)).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import { canonicalJson, eventId } from './event-id.ts';
import { sidekickEvent } from './test-support/falco-events.ts';

describe('eventId', () => {
  it('is the same for the same event whatever the key order, and differs per cluster and per content', () => {
    const event = sidekickEvent();
    const reordered = JSON.parse(JSON.stringify(Object.fromEntries(Object.entries(event).reverse())));
    reordered.output_fields = Object.fromEntries(Object.entries(event.output_fields).reverse());
    expect(eventId('c1', reordered)).toBe(eventId('c1', event));
    expect(eventId('c1', event)).toMatch(/^[0-9a-f]{64}$/);
    expect(eventId('c2', event)).not.toBe(eventId('c1', event));
    expect(eventId('c1', { ...event, output: `${event.output} ` })).not.toBe(eventId('c1', event));
    // The cluster and the event cannot be shifted into each other.
    expect(eventId('c1\n{', event)).not.toBe(eventId('c1', event));
  });

  it('writes canonical JSON with sorted keys at every level', () => {
    expect(canonicalJson({ b: [3, { z: 1, a: null }], a: 'x"y', c: true })).toBe('{"a":"x\\"y","b":[3,{"a":null,"z":1}],"c":true}');
  });
});

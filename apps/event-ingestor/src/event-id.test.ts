import { describe, expect, it } from 'vitest';
import { canonicalJson, eventId } from './event-id.ts';
import type { FalcoEvent } from './falco-event.ts';
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

  // Ids already stored must stay the ids of the same events: these were computed when ids were introduced.
  it('keeps the ids of events stored before, byte for byte', () => {
    const full = {
      uuid: '6f0c0f6e-2b1a-4c55-9d0e-3c7a1f6b9e21',
      output: '12:00:00.123456789: Notice A shell was spawned in a container with an attached terminal (evt_type=execve user=root process=bash)',
      priority: 'Notice',
      rule: 'Terminal shell in container',
      time: '2026-05-01T12:00:00.123456789Z',
      output_fields: {
        'container.id': 'f2c4a1b9e3d7',
        'evt.time': 1777636800123000000,
        'evt.type': 'execve',
        'proc.cmdline': 'bash -c "echo hi"',
        'proc.tty': 34816,
        'user.loginuid': -1,
        'user.name': 'root',
        'fd.name': null,
        ok: true,
      },
      source: 'syscall',
      tags: ['T1059', 'container', 'shell'],
      hostname: 'node-a',
    } satisfies FalcoEvent;
    const unordered = {
      hostname: 'node-b',
      time: '2026-05-01T14:30:00.5+02:30',
      source: 'k8s_audit',
      rule: 'Ünïcödé rule ✓ 𝄞',
      priority: 'Critical',
      output: 'tab\there "quoted" \\ back\u2028line\u0001',
      output_fields: {
        zeta: { b: [1, 2.5, -0, 1e21, 1e-7, { y: 'Y', X: 'x', é: 'e', _: '_', '10': 10, '9': 9 }], a: [] },
        Alpha: 'A',
        ä: 'ae',
        '': 'empty',
        'k8s.pod.labels': { app: 'web', 'app.kubernetes.io/name': 'web' },
      },
    } satisfies FalcoEvent;
    const minimal = { output: 'o', priority: 'Debug', rule: 'r', time: '2026-05-01T00:00:00Z', output_fields: { f: 'x' }, source: '' } satisfies FalcoEvent;
    expect(eventId('cluster-a', full)).toBe('c878dbd5d8d66311040d97e2f50d58d3e80a0bf2a1ef5214cb1abc77ab0da61f');
    expect(eventId('eu-west-1/prod ✓', unordered)).toBe('d7bffee39a4c8fd013f2d584d9ece1501e23ea41eccf7f6c6fb1e75a73ae7524');
    expect(eventId('c', minimal)).toBe('a2fc953249b8651028f0fdacc4cdfa6001016bfa0e3ea032bbd06f5b50033111');
    expect(canonicalJson(unordered)).toBe(
      '{"hostname":"node-b","output":"tab\\there \\"quoted\\" \\\\ back\u2028line\\u0001","output_fields":{"":"empty","Alpha":"A",' +
        '"k8s.pod.labels":{"app":"web","app.kubernetes.io/name":"web"},"zeta":{"a":[],"b":[1,2.5,0,1e+21,1e-7,{"10":10,"9":9,"X":"x","_":"_","y":"Y","é":"e"}]},' +
        '"ä":"ae"},"priority":"Critical","rule":"Ünïcödé rule ✓ 𝄞","source":"k8s_audit","time":"2026-05-01T14:30:00.5+02:30"}',
    );
  });

  it('writes what JSON cannot hold as JSON.stringify does inside arrays, null for an undefined member, and boxed or raw values by their keys', () => {
    // Node has JSON.rawJSON; the TypeScript library in use does not declare it yet.
    const rawJson = (JSON as unknown as { rawJSON(text: string): object }).rawJSON;
    expect(canonicalJson({ n: [NaN, Infinity, undefined, () => 1], u: undefined, d: new Date(0), s: 'a\ud800' })).toBe(
      '{"d":{},"n":[null,null,null,null],"s":"a\\ud800","u":null}',
    );
    expect(canonicalJson({ b: new String('x'), a: [new Number(1)], c: rawJson('1e400') })).toBe('{"a":[{}],"b":{"0":"x"},"c":{"rawJSON":"1e400"}}');
    expect(canonicalJson(undefined)).toBe('null');
    expect(canonicalJson('x')).toBe('"x"');
  });
});

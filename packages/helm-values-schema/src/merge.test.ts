import { describe, expect, it } from 'vitest';
import { coalesceValues, mergeValues } from './merge.ts';

describe('mergeValues (helm -f a -f b)', () => {
  it('merges maps key by key and lets later layers win', () => {
    expect(mergeValues({ s3: { bucket: 'a', channel: 'dev' }, tty: false }, { s3: { channel: 'prod' } }, { tty: true })).toEqual({
      s3: { bucket: 'a', channel: 'prod' },
      tty: true,
    });
  });

  it('replaces lists whole instead of concatenating them', () => {
    expect(mergeValues({ falco: { load_plugins: ['k8saudit', 'json'] } }, { falco: { load_plugins: ['json'] } })).toEqual({
      falco: { load_plugins: ['json'] },
    });
  });

  it('keeps null so it can delete a chart default later, and a later layer can set the key again', () => {
    expect(mergeValues({ tolerations: [{ key: 'a' }] }, { tolerations: null })).toEqual({ tolerations: null });
    expect(mergeValues({ affinity: null }, { affinity: { nodeAffinity: {} } })).toEqual({ affinity: { nodeAffinity: {} } });
  });

  it('a scalar replaces a map and a map replaces a scalar', () => {
    expect(mergeValues({ a: { b: 1 } }, { a: 'x' })).toEqual({ a: 'x' });
    expect(mergeValues({ a: 'x' }, { a: { b: 1 } })).toEqual({ a: { b: 1 } });
  });

  it('never mutates or shares the layers it is given', () => {
    const base = { s3: { bucket: 'a' }, list: [{ x: 1 }] };
    const over = { s3: { channel: 'prod' } };
    const merged = mergeValues(base, over);
    (merged.list as { x: number }[])[0]!.x = 2;
    expect(base).toEqual({ s3: { bucket: 'a' }, list: [{ x: 1 }] });
    expect(over).toEqual({ s3: { channel: 'prod' } });
  });
});

describe('coalesceValues (user values over chart defaults)', () => {
  const defaults = { tolerations: [{ key: 'cp' }], s3: { bucket: '', prefix: 'falco-airgap' }, driver: { kind: 'modern_ebpf' } };

  it('fills what the user left out and keeps what the user set', () => {
    expect(coalesceValues(defaults, { s3: { bucket: 'b' } })).toEqual({
      tolerations: [{ key: 'cp' }],
      s3: { bucket: 'b', prefix: 'falco-airgap' },
      driver: { kind: 'modern_ebpf' },
    });
  });

  it('deletes a default the user set to null, at any depth', () => {
    expect(coalesceValues(defaults, { tolerations: null, s3: { prefix: null } })).toEqual({ s3: { bucket: '' }, driver: { kind: 'modern_ebpf' } });
  });

  it('keeps user keys the defaults do not know, for the schema to judge', () => {
    expect(coalesceValues(defaults, { falcoctl: { enabled: true } })).toMatchObject({ falcoctl: { enabled: true } });
  });
});

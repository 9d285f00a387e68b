import { describe, expect, it } from 'vitest';
import { advancePointer, parseChannelPointer, rewindPointer, serializeChannelPointer } from './channel-pointer.ts';

describe('channel pointer', () => {
  it('starts a channel with no history', () => {
    expect(advancePointer(undefined, 'r1', 't1')).toEqual({ release: 'r1', previous: [], updatedAt: 't1' });
  });

  it('pushes the current release onto the history, newest first, up to the limit', () => {
    let pointer = advancePointer(undefined, 'r0', 't')!;
    for (let i = 1; i <= 5; i++) pointer = advancePointer(pointer, `r${i}`, 't', 3)!;
    expect(pointer).toMatchObject({ release: 'r5', previous: ['r4', 'r3', 'r2'] });
  });

  it('has nothing to write when the channel already follows the release', () => {
    expect(advancePointer({ release: 'r1', previous: [], updatedAt: 't' }, 'r1', 't2')).toBeUndefined();
  });

  it('rolls back to the previous release and drops it from the history', () => {
    expect(rewindPointer({ release: 'r3', previous: ['r2', 'r1'], updatedAt: 't' }, 'prod', 't2')).toEqual({
      release: 'r2',
      previous: ['r1'],
      updatedAt: 't2',
    });
    expect(() => rewindPointer({ release: 'r1', previous: [], updatedAt: 't' }, 'prod', 't2')).toThrow(/no earlier release/);
  });

  it('serialises exactly {release, previous, updatedAt} and reads it back', () => {
    const pointer = { release: 'r2', previous: ['r1'], updatedAt: '2026-01-01T00:00:00.000Z' };
    const text = serializeChannelPointer(pointer);
    expect(Object.keys(JSON.parse(text))).toEqual(['release', 'previous', 'updatedAt']);
    expect(parseChannelPointer(text, 'prod')).toEqual(pointer);
  });

  it('refuses a pointer to something that is not a release id', () => {
    expect(() => parseChannelPointer('{"release":"../x","previous":[],"updatedAt":"t"}', 'prod')).toThrow(/not a release id/);
  });
});

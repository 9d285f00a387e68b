import { describe, expect, it } from 'vitest';
import { ArchiveGuard, ARTIFACT_POLICY, IMAGE_LAYER_POLICY, safeEntryPath } from './tar-safety.ts';

describe('archive entry paths', () => {
  it.each(['../x', 'a/../../x', '/etc/passwd', 'a\\..\\x', 'a\0b', '..'])('refuses %j', (name) => {
    expect(() => safeEntryPath(name, 'layer')).toThrow(expect.objectContaining({ code: 'EXTRACT_TAR_SLIP' }));
  });

  it.each([
    ['./libx.so', 'libx.so'],
    ['a//b/./c', 'a/b/c'],
    ['dir/', 'dir'],
    ['./', ''],
  ])('normalises %j to %j', (name, expected) => {
    expect(safeEntryPath(name, 'layer')).toBe(expected);
  });
});

describe('ArchiveGuard', () => {
  it('allows links and devices in image layers but still refuses duplicates of files', () => {
    const guard = new ArchiveGuard('layer', { maxBytes: 100, maxEntries: 10 }, IMAGE_LAYER_POLICY);
    expect(guard.admit({ name: 'lib', type: 'symlink', linkname: 'usr/lib' }).kind).toBe('symlink');
    expect(guard.admit({ name: 'dev/null', type: 'character-device' }).kind).toBe('special');
    guard.admit({ name: 'd/', type: 'directory' });
    guard.admit({ name: 'd', type: 'directory' });
    guard.admit({ name: 'f', type: 'file' });
    expect(() => guard.admit({ name: './f', type: 'file' })).toThrow(expect.objectContaining({ code: 'EXTRACT_TAR_DUPLICATE' }));
  });

  it('refuses a hard link whose target climbs out, even where links are allowed', () => {
    const guard = new ArchiveGuard('layer', { maxBytes: 100, maxEntries: 10 }, IMAGE_LAYER_POLICY);
    expect(() => guard.admit({ name: 'x', type: 'link', linkname: '../../etc/shadow' })).toThrow(expect.objectContaining({ code: 'EXTRACT_TAR_SLIP' }));
  });

  it('counts bytes and entries against the limits', () => {
    const guard = new ArchiveGuard('layer', { maxBytes: 100, maxEntries: 1 }, ARTIFACT_POLICY);
    guard.count(100);
    expect(() => guard.count(1)).toThrow(expect.objectContaining({ code: 'EXTRACT_TAR_TOO_LARGE' }));
    guard.admit({ name: 'a', type: 'file' });
    expect(() => guard.admit({ name: 'b', type: 'file' })).toThrow(expect.objectContaining({ code: 'EXTRACT_TAR_TOO_MANY_ENTRIES' }));
  });
});

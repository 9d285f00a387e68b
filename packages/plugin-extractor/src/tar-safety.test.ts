import { describe, expect, it } from 'vitest';
import { ArchiveGuard, ARTIFACT_POLICY, IMAGE_LAYER_POLICY, safeEntryPath } from './tar-safety.ts';
import { retryDelayMs } from '@falco-airgap/core';
import { isRetryableNetworkError } from './retry.ts';

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

describe('retry policy', () => {
  const policy = { attempts: 5, baseDelayMs: 100, maxDelayMs: 1000 };
  it('backs off exponentially with jitter, honours Retry-After and caps it', () => {
    expect(retryDelayMs(policy, 2, undefined, () => 1)).toBe(100);
    expect(retryDelayMs(policy, 4, undefined, () => 1)).toBe(400);
    expect(retryDelayMs(policy, 4, undefined, () => 0)).toBe(200);
    expect(retryDelayMs(policy, 10, undefined, () => 1)).toBe(1000);
    expect(retryDelayMs(policy, 2, '0')).toBe(0);
    expect(retryDelayMs(policy, 2, '3600')).toBe(1000);
  });

  it('retries resets and refused connections, not TLS failures', () => {
    expect(isRetryableNetworkError(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isRetryableNetworkError(new Error('fetch failed', { cause: Object.assign(new Error('x'), { code: 'UND_ERR_SOCKET' }) }))).toBe(true);
    expect(isRetryableNetworkError(Object.assign(new Error('self-signed'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }))).toBe(false);
  });
});

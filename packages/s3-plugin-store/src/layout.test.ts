import { describe, expect, it } from 'vitest';
import { normalizePrefix, StoreLayout } from './layout.ts';

describe('StoreLayout', () => {
  const layout = new StoreLayout('/falco/plugins/');
  const sha = 'a'.repeat(64);

  it('places blobs, releases and channels under the prefix', () => {
    expect(layout.blobKey(sha)).toBe(`falco/plugins/blobs/sha256/${sha}`);
    expect(layout.releaseKey('falco-0.44.1-0123456789abcdef')).toBe('falco/plugins/releases/falco-0.44.1-0123456789abcdef.json');
    expect(layout.channelKey('cluster-eu-1')).toBe('falco/plugins/channels/cluster-eu-1.json');
    expect(new StoreLayout('').channelKey('prod')).toBe('channels/prod.json');
  });

  it('reads names back from keys and ignores anything else', () => {
    expect(layout.sha256OfBlobKey(`falco/plugins/blobs/sha256/${sha}`)).toBe(sha);
    expect(layout.sha256OfBlobKey('falco/plugins/blobs/sha256/readme.txt')).toBeUndefined();
    expect(layout.channelOfKey('falco/plugins/channels/prod.json')).toBe('prod');
    expect(layout.releaseIdOfKey('falco/plugins/releases/sub/x.json')).toBeUndefined();
  });

  it.each(['Prod', '-prod', 'prod/eu', '', 'a'.repeat(64)])('refuses channel name %j', (name) => {
    expect(() => layout.channelKey(name)).toThrow(/not a valid channel name/);
  });

  it('refuses prefixes that could escape or confuse the layout', () => {
    expect(() => normalizePrefix('a/../b')).toThrow(/not a usable key prefix/);
    expect(() => normalizePrefix('a//b')).toThrow(/not a usable key prefix/);
    expect(normalizePrefix(undefined)).toBe('');
  });
});

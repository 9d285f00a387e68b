import type { PluginsLock } from '@falco-airgap/manifest';
import { describe, expect, it } from 'vitest';
import { assertMatchesLock, diffLocks, keepOtherPlatforms, reconcileLock } from './lock-writer.ts';

const digest = (c: string) => `sha256:${c.repeat(64)}`;
function lock(overrides: { sha?: string; layer?: string; generatedAt?: string; image?: boolean } = {}): PluginsLock {
  return {
    apiVersion: 'falco-airgap/v1alpha1',
    kind: 'PluginsLock',
    generatedAt: overrides.generatedAt ?? '2025-01-01T00:00:00.000Z',
    falco: { version: '0.44.1' },
    manifestSha256: 'f'.repeat(64),
    plugins: [
      {
        name: 'k8saudit',
        version: '0.18.0',
        source: overrides.image ? { image: 'r/falco:1', path: '/p/libk8saudit.so' } : { artifact: 'r/k8saudit:0.18.0' },
        resolvedDigest: digest('a'),
        platforms: [
          {
            platform: 'linux/amd64',
            manifestDigest: digest('b'),
            layerDigest: overrides.layer ?? digest('c'),
            file: 'libk8saudit.so',
            sha256: overrides.sha ?? 'd'.repeat(64),
            size: 10,
            elfMachine: 'x86-64',
            pluginApiVersion: '3.10.0',
            pluginApiVersionSource: 'artifact-config',
            path: 'linux-amd64/libk8saudit.so',
          },
        ],
      },
    ],
    rulesfiles: [],
  };
}

describe('lock comparison', () => {
  it('sees no difference in generatedAt alone and keeps the previous lock, bytes and all', () => {
    const previous = lock();
    expect(diffLocks(previous, lock({ generatedAt: '2030-01-01T00:00:00.000Z' }))).toEqual([]);
    expect(reconcileLock(previous, lock({ generatedAt: '2030-01-01T00:00:00.000Z' }))).toBe(previous);
  });

  it('names each changed value, and --locked refuses with them', () => {
    const changes = diffLocks(lock(), lock({ sha: 'e'.repeat(64) }));
    expect(changes).toEqual([{ what: 'plugin k8saudit linux/amd64 sha256', locked: 'd'.repeat(64), resolved: 'e'.repeat(64) }]);
    expect(() => assertMatchesLock(lock(), lock({ sha: 'e'.repeat(64) }), 'plugins-lock.yaml')).toThrow(
      expect.objectContaining({
        code: 'EXTRACT_LOCK_DRIFT',
        category: 'verification',
        message: expect.stringContaining('plugin k8saudit linux/amd64 sha256: locked ddd'),
      }),
    );
  });

  it('ignores the layer digest of image sources, which the manifest digest already pins', () => {
    expect(diffLocks(lock({ image: true }), lock({ image: true, layer: digest('9') }))).toEqual([]);
    expect(diffLocks(lock(), lock({ layer: digest('9') }))).toHaveLength(1);
  });

  it('fills a layer the Docker engine could not name from the previous lock', () => {
    const fromDocker = lock({ image: true, layer: '' });
    expect(reconcileLock(lock({ image: true }), fromDocker).plugins[0]!.platforms[0]!.layerDigest).toBe(digest('c'));
  });
});

describe('a run limited to some platforms', () => {
  const arm64 = (l: PluginsLock): PluginsLock => ({
    ...l,
    plugins: l.plugins.map((p) => ({
      ...p,
      platforms: [...p.platforms, { ...p.platforms[0]!, platform: 'linux/arm64' as const, elfMachine: 'aarch64', path: 'linux-arm64/libk8saudit.so' }],
    })),
  });

  it('keeps the other platforms while the plugin resolves to the same digest', () => {
    const merged = keepOtherPlatforms(arm64(lock()), lock(), ['linux/amd64']);
    expect(merged.plugins[0]!.platforms.map((p) => p.platform)).toEqual(['linux/amd64', 'linux/arm64']);
    expect(diffLocks(arm64(lock()), merged)).toEqual([]);
  });

  it('drops them when the tag moved', () => {
    const moved = { ...lock(), plugins: lock().plugins.map((p) => ({ ...p, resolvedDigest: digest('0') })) };
    expect(keepOtherPlatforms(arm64(lock()), moved, ['linux/amd64']).plugins[0]!.platforms.map((p) => p.platform)).toEqual(['linux/amd64']);
  });
});

import type { PluginsLock } from '@falco-airgap/manifest';
import { describe, expect, it } from 'vitest';
import { isS3StoreError } from './errors.ts';
import { parseReleaseDocument, planRelease, releaseIdOf, serializeRelease, type ReleaseDocument } from './release.ts';

const hex = (c: string) => c.repeat(64);
const digest = (c: string) => `sha256:${hex(c)}`;

function lock(): PluginsLock {
  return {
    apiVersion: 'falco-airgap/v1alpha1',
    kind: 'PluginsLock',
    generatedAt: '2026-01-01T00:00:00.000Z',
    falco: { version: '0.44.1' },
    manifestSha256: hex('0'),
    plugins: [
      {
        name: 'k8saudit',
        version: '0.18.0',
        source: { artifact: 'registry.example/k8saudit:0.18.0' },
        resolvedDigest: digest('1'),
        platforms: [
          {
            platform: 'linux/arm64',
            manifestDigest: digest('2'),
            layerDigest: digest('3'),
            file: 'libk8saudit.so',
            sha256: hex('4'),
            size: 10,
            elfMachine: 'aarch64',
            pluginApiVersion: '3.10.0',
            pluginApiVersionSource: 'artifact-config',
            path: 'linux-arm64/libk8saudit.so',
          },
          {
            platform: 'linux/amd64',
            manifestDigest: digest('5'),
            layerDigest: digest('6'),
            file: 'libk8saudit.so',
            sha256: hex('7'),
            size: 11,
            elfMachine: 'x86-64',
            pluginApiVersion: '3.10.0',
            pluginApiVersionSource: 'artifact-config',
            path: 'linux-amd64/libk8saudit.so',
          },
        ],
      },
      {
        name: 'json',
        version: '0.7.0',
        source: { artifact: 'registry.example/json:0.7.0' },
        resolvedDigest: digest('8'),
        // The same bytes on both platforms (a plugin that only ships data, say) are one blob.
        platforms: [
          {
            platform: 'linux/amd64',
            manifestDigest: digest('9'),
            layerDigest: digest('a'),
            file: 'libjson.so',
            sha256: hex('b'),
            size: 12,
            elfMachine: 'x86-64',
            pluginApiVersion: '3.10.0',
            pluginApiVersionSource: 'artifact-config',
            path: 'linux-amd64/libjson.so',
          },
          {
            platform: 'linux/arm64',
            manifestDigest: digest('9'),
            layerDigest: digest('a'),
            file: 'libjson.so',
            sha256: hex('b'),
            size: 12,
            elfMachine: 'aarch64',
            pluginApiVersion: '3.10.0',
            pluginApiVersionSource: 'artifact-config',
            path: 'linux-arm64/libjson.so',
          },
        ],
      },
    ],
    rulesfiles: [],
  };
}

/** The JSON of a release, as someone editing it in the bucket would see it. */
interface EditableRelease {
  kind: string;
  plugins: { file: string; blob: string; size: number; platform: string; version: string }[];
}

const plan = (l: PluginsLock, createdAt = '2026-02-02T00:00:00.000Z') => planRelease(l, { createdAt });

function reparse(release: ReleaseDocument, edit: (doc: EditableRelease) => void): unknown {
  const doc = JSON.parse(serializeRelease(release));
  edit(doc);
  try {
    return parseReleaseDocument(JSON.stringify(doc), 'releases/x.json');
  } catch (error) {
    return error;
  }
}

describe('planRelease', () => {
  it('derives the id from the content only: order and timestamps do not matter', () => {
    const a = plan(lock());
    const shuffled = lock();
    shuffled.plugins.reverse();
    shuffled.plugins[1]!.platforms.reverse();
    const b = plan({ ...shuffled, generatedAt: '2030-01-01T00:00:00.000Z' }, '2031-01-01T00:00:00.000Z');
    expect(b.document.id).toBe(a.document.id);
    expect(a.document.id).toBe(releaseIdOf(a.document));
  });

  it('changes the id when any file changes', () => {
    const changed = lock();
    changed.plugins[0]!.platforms[0]!.sha256 = hex('c');
    expect(plan(changed).document.id).not.toBe(plan(lock()).document.id);
  });

  it('uploads a file shared by two platforms once', () => {
    expect(plan(lock()).files.map((f) => f.path)).toEqual(['linux-amd64/libjson.so', 'linux-amd64/libk8saudit.so', 'linux-arm64/libk8saudit.so']);
  });

  it('refuses two plugins that would install the same file', () => {
    const clash = lock();
    clash.plugins[1]!.platforms[0]!.file = 'libk8saudit.so';
    expect(() => plan(clash)).toThrow(/two plugins install libk8saudit.so on linux\/amd64/);
  });
});

describe('parseReleaseDocument', () => {
  const release = plan(lock()).document;

  it('reads back what serializeRelease writes', () => {
    expect(parseReleaseDocument(serializeRelease(release), 'r')).toEqual(release);
  });

  it('refuses a document whose content no longer matches its id', () => {
    const error = reparse(release, (doc) => (doc.plugins[0]!.version = '9.9.9'));
    expect(isS3StoreError(error, 'S3STORE_RELEASE_TAMPERED')).toBe(true);
  });

  it.each([
    ['a file name with a slash', (doc: EditableRelease) => (doc.plugins[0]!.file = '../../bin/falco'), /not a plain file name/],
    ['a blob key that is not its sha256', (doc: EditableRelease) => (doc.plugins[0]!.blob = `blobs/sha256/${hex('e')}`), /blob must be/],
    ['a negative size', (doc: EditableRelease) => (doc.plugins[0]!.size = -1), /not a byte count/],
    ['an unknown platform', (doc: EditableRelease) => (doc.plugins[0]!.platform = 'windows/amd64'), /not supported/],
    ['another kind', (doc: EditableRelease) => (doc.kind = 'PluginsLock'), /kind must be PluginRelease/],
  ])('refuses %s', (_what, edit, message) => {
    const error = reparse(release, edit);
    expect(isS3StoreError(error, 'S3STORE_BAD_DOCUMENT')).toBe(true);
    expect((error as Error).message).toMatch(message);
  });

  it('refuses text that is not JSON', () => {
    expect(() => parseReleaseDocument('{', 'r')).toThrow(/not JSON/);
  });
});

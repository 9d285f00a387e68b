import { parseLock, serializeLock } from '@falco-airgap/manifest';
import { createHash } from 'node:crypto';
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  blob,
  buildContainerImage,
  buildFalcoImage,
  FIXTURE_IMAGE_PLUGIN,
  compilePlugin,
  imageIndex,
  imageManifest,
  OciMediaType,
  tarGz,
} from '@falco-airgap/fixtures';
import type { ExtractEvent, ExtractItem } from './events.ts';
import {
  FakeRegistry,
  HOST,
  library,
  manifestOf,
  pluginArtifact,
  pluginEntry,
  pluginRepo,
  releaseTags,
  rulesArtifact,
  rulesEntry,
  rulesRepo,
  runExtract,
  scratch,
  type Scratch,
} from './test-support/harness.ts';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe('extract from artifacts', () => {
  let registry: FakeRegistry;
  let area: Scratch;
  beforeEach(async () => {
    registry = new FakeRegistry(HOST);
    registry.push(pluginRepo('k8saudit'), pluginArtifact('k8saudit', '0.18.0'), releaseTags('0.18.0'));
    registry.push(pluginRepo('json'), pluginArtifact('json', '0.7.4', '3.9.0'), releaseTags('0.7.4'));
    registry.push(rulesRepo('falco-rules'), rulesArtifact('falco-rules', '5.1.0'), releaseTags('5.1.0'));
    area = await scratch();
  });
  afterEach(() => area.cleanup());

  const manifest = () => manifestOf([pluginEntry('k8saudit', '0.18.0'), pluginEntry('json', '0.7.4')], [rulesEntry('falco-rules', '5.1.0')]);

  it('writes each plugin per platform, the rules and a lock that parses, and no second copy of any layer', async () => {
    const events: ExtractEvent[] = [];
    const result = await runExtract(registry, area, manifest(), { onEvent: (e) => events.push(e), now: () => new Date('2025-06-01T00:00:00Z') });
    for (const platform of ['linux/amd64', 'linux/arm64']) {
      const dir = platform.replace('/', '-');
      const bytes = await readFile(join(area.out, 'extracted', dir, 'libk8saudit.so'));
      expect(Buffer.compare(bytes, Buffer.from(library('k8saudit', platform)))).toBe(0);
    }
    await expect(stat(join(area.out, 'source'))).rejects.toThrow(/ENOENT/);
    expect(await readFile(join(area.out, 'extracted', 'rules', 'falco_rules.yaml'), 'utf8')).toBe('- rule: fixture\n');
    const lock = parseLock(await readFile(join(area.out, 'plugins-lock.yaml'), 'utf8'));
    expect(lock.generatedAt).toBe('2025-06-01T00:00:00.000Z');
    const k8saudit = lock.plugins.find((p) => p.name === 'k8saudit')!;
    expect(k8saudit.platforms.map((p) => [p.platform, p.elfMachine, p.pluginApiVersion, p.path])).toEqual([
      ['linux/amd64', 'x86-64', '3.10.0', 'linux-amd64/libk8saudit.so'],
      ['linux/arm64', 'aarch64', '3.10.0', 'linux-arm64/libk8saudit.so'],
    ]);
    expect(k8saudit.platforms[0]!.sha256).toBe(sha256(library('k8saudit', 'linux/amd64')));
    expect(lock.plugins.find((p) => p.name === 'json')!.platforms[0]!.pluginApiVersion).toBe('3.9.0');
    expect(lock.rulesfiles[0]).toMatchObject({ name: 'falco-rules', files: [{ file: 'falco_rules.yaml', path: 'rules/falco_rules.yaml' }] });
    expect(result.stats.blobsDownloaded).toBe(1 + 2 + 1 + 2 + 2); // k8saudit config + 2 layers, json config + 2 layers, rules config + layer
    const items = ['plugin/json/linux/amd64', 'plugin/json/linux/arm64', 'plugin/k8saudit/linux/amd64', 'plugin/k8saudit/linux/arm64', 'rulesfile/falco-rules'];
    const named = (item: ExtractItem) => (item.kind === 'plugin' ? `plugin/${item.name}/${item.platform}` : `rulesfile/${item.name}`);
    expect(events.flatMap((e) => (e.type === 'resolve' ? [named(e.item)] : [])).sort()).toEqual(items);
    expect(events.flatMap((e) => (e.type === 'stage' && e.status === 'staged' ? [named(e.item)] : [])).sort()).toEqual(items);
    expect(events.some((e) => e.type === 'blob' && named(e.item) === 'plugin/k8saudit/linux/amd64' && e.loaded === e.total)).toBe(true);
    expect(events.flatMap((e) => (e.type === 'install' ? [`${e.path} ${e.status}`] : [])).sort()).toEqual(result.files.map((f) => `${f.path} written`).sort());
    expect(await area.outsideOut()).toEqual([]);
  });

  it('writes the same files and lock when no layer fits in memory and every one is unpacked as a stream', async () => {
    const fixed = { now: () => new Date('2025-06-01T00:00:00Z') };
    await runExtract(registry, area, manifest(), fixed);
    const inMemory = await readFile(join(area.out, 'plugins-lock.yaml'), 'utf8');
    await rm(area.out, { recursive: true, force: true });
    await rm(area.cache, { recursive: true, force: true });
    const streamed = await runExtract(registry, area, manifest(), { ...fixed, memoryBytes: 0 });
    expect(streamed.stats.blobsDownloaded).toBe(8);
    expect(await readFile(join(area.out, 'plugins-lock.yaml'), 'utf8')).toBe(inMemory);
    const bytes = await readFile(join(area.out, 'extracted', 'linux-arm64', 'libk8saudit.so'));
    expect(Buffer.compare(bytes, Buffer.from(library('k8saudit', 'linux/arm64')))).toBe(0);
  });

  it('downloads no blob and rewrites nothing on a re-run with nothing changed', async () => {
    await runExtract(registry, area, manifest(), { now: () => new Date('2025-06-01T00:00:00Z') });
    const lockBefore = await readFile(join(area.out, 'plugins-lock.yaml'));
    const soBefore = await stat(join(area.out, 'extracted', 'linux-amd64', 'libk8saudit.so'));
    const blobGets = registry.blobGets();
    const again = await runExtract(registry, area, manifest(), { now: () => new Date('2030-01-01T00:00:00Z') });
    expect(registry.blobGets()).toBe(blobGets);
    expect(again.stats.blobsDownloaded).toBe(0);
    expect(again.lockStatus).toBe('unchanged');
    expect(again.files.every((f) => f.status === 'unchanged')).toBe(true);
    expect(await readFile(join(area.out, 'plugins-lock.yaml'))).toEqual(lockBefore);
    expect((await stat(join(area.out, 'extracted', 'linux-amd64', 'libk8saudit.so'))).mtimeMs).toBe(soBefore.mtimeMs);
  });

  it('extracts only the platforms asked for, and keeps the lock entries of the others', async () => {
    const result = await runExtract(registry, area, manifest(), { platforms: ['linux/arm64'] });
    expect(result.lock.plugins.every((p) => p.platforms.map((q) => q.platform).join() === 'linux/arm64')).toBe(true);
    await expect(stat(join(area.out, 'extracted', 'linux-amd64'))).rejects.toThrow(/ENOENT/);

    const full = await runExtract(registry, area, manifest());
    const amd64Only = await runExtract(registry, area, manifest(), { platforms: ['linux/amd64'], locked: true });
    expect(serializeLock(amd64Only.lock)).toBe(serializeLock(full.lock));
    expect(amd64Only.lockStatus).toBe('unchanged');
  });

  it('keeps the unpacked layers under source/ with keepSource, as hard links to the extracted files', async () => {
    await runExtract(registry, area, manifest(), { keepSource: true });
    for (const dir of ['linux-amd64', 'linux-arm64']) {
      const extracted = await stat(join(area.out, 'extracted', dir, 'libk8saudit.so'));
      const kept = await stat(join(area.out, 'source', 'k8saudit-0.18.0', dir, 'libk8saudit.so'));
      expect(kept.ino).toBe(extracted.ino);
      expect(extracted.nlink).toBe(2);
    }
    expect(await readFile(join(area.out, 'source', 'falco-rules-5.1.0', 'falco_rules.yaml'), 'utf8')).toBe('- rule: fixture\n');
  });

  it('checks the files on disk against the lock on a re-run and reads no layer, until a file changes', async () => {
    await runExtract(registry, area, manifest());
    const layers = new Set(
      [...registry.blobs.entries()].filter(([key, bytes]) => bytes.length > 1000 || key.includes('falco-rules')).map(([key]) => key.split('@')[1]!),
    );
    const layerGets = () => registry.log.filter((r) => r.method === 'GET' && layers.has(r.path.split('/').pop()!)).length;
    const before = { gets: layerGets(), requests: registry.log.length };
    const again = await runExtract(registry, area, manifest(), { locked: true });
    expect(layerGets()).toBe(before.gets);
    expect(again.stats).toEqual({ blobsDownloaded: 0, blobsFromCache: 0 });
    // One HEAD per distinct reference, nothing else.
    expect(registry.log.slice(before.requests).map((r) => r.method)).toEqual(['HEAD', 'HEAD', 'HEAD']);

    // A damaged file is noticed and replaced from the cache: the layer is read again, not downloaded.
    await writeFile(join(area.out, 'extracted', 'linux-arm64', 'libjson.so'), 'tampered');
    const repaired = await runExtract(registry, area, manifest());
    expect(layerGets()).toBe(before.gets);
    expect(repaired.stats.blobsFromCache).toBeGreaterThan(0);
    expect(repaired.files.filter((f) => f.status === 'written').map((f) => f.path)).toEqual(['extracted/linux-arm64/libjson.so']);
    expect(repaired.lockStatus).toBe('unchanged');
  });

  it('passes --locked when nothing moved', async () => {
    await runExtract(registry, area, manifest());
    const result = await runExtract(registry, area, manifest(), { locked: true });
    expect(result.lockStatus).toBe('unchanged');
  });
});

describe('extract from container images (--via direct)', () => {
  let registry: FakeRegistry;
  let area: Scratch;
  const image = (path: string) => manifestOf([{ name: 'container', version: '0.7.1', from: { image: `${HOST}/falcosecurity/falco:0.44.1-debian`, path } }]);
  beforeEach(async () => {
    registry = new FakeRegistry(HOST);
    registry.push('falcosecurity/falco', buildFalcoImage(), ['0.44.1-debian']);
    area = await scratch();
  });
  afterEach(() => area.cleanup());

  it('takes the file from the upper layer, for both platforms, and reads the API version from the ELF', async () => {
    const result = await runExtract(registry, area, image('/usr/share/falco/plugins/libcontainer.so'));
    const builds = compilePlugin(FIXTURE_IMAGE_PLUGIN);
    for (const build of builds) {
      const bytes = await readFile(join(area.out, 'extracted', build.platform.replace('/', '-'), 'libcontainer.so'));
      expect(sha256(bytes)).toBe(sha256(build.library));
    }
    expect(result.lock.plugins[0]!.platforms.map((p) => p.pluginApiVersion)).toEqual(['3.11.0', '3.11.0']);
    // Only the wanted file is written unless keepSource asks for the filesystem.
    await expect(stat(join(area.out, 'source'))).rejects.toThrow(/ENOENT/);
  });

  it('reports a file the upper layer whited out as not found', async () => {
    await expect(runExtract(registry, area, image('/usr/share/falco/plugins/libobsolete.so'))).rejects.toMatchObject({
      code: 'EXTRACT_PATH_NOT_FOUND',
      category: 'input',
    });
    await expect(runExtract(registry, area, image('/etc/falco'))).rejects.toMatchObject({ code: 'EXTRACT_PATH_NOT_FOUND' });
  });

  it('follows a symlink to the real file and refuses a tar-slip layer', async () => {
    const so = compilePlugin(FIXTURE_IMAGE_PLUGIN).find((b) => b.platform === 'linux/amd64')!.library;
    const linked = buildContainerImage({
      created: '2025-01-01T00:00:00Z',
      platforms: [
        {
          platform: 'linux/amd64',
          layers: [
            {
              createdBy: 'x',
              entries: [
                { type: 'file', path: 'opt/libcontainer.so.0', content: so },
                { type: 'symlink', path: 'opt/libcontainer.so', target: 'libcontainer.so.0' },
              ],
            },
          ],
        },
      ],
    });
    registry.push('falcosecurity/falco', linked, ['0.44.1-debian']);
    const amd64 = { ...image('/opt/libcontainer.so'), platforms: ['linux/amd64' as const] };
    const result = await runExtract(registry, area, amd64);
    expect(result.lock.plugins[0]!.platforms[0]!.sha256).toBe(sha256(so));

    const slip = buildContainerImage({
      created: '2025-01-01T00:00:00Z',
      platforms: [{ platform: 'linux/amd64', layers: [{ createdBy: 'x', entries: [{ type: 'file', path: '../../etc/cron.d/x', content: 'boom' }] }] }],
    });
    registry.push('falcosecurity/falco', slip, ['0.44.1-debian']);
    await expect(runExtract(registry, area, amd64)).rejects.toMatchObject({ code: 'EXTRACT_TAR_SLIP', category: 'verification' });
  });
});

describe('Docker v2 schema 2 images', () => {
  it('reads a Docker manifest list, manifest and gzip layer like their OCI counterparts', async () => {
    const registry = new FakeRegistry(HOST);
    const area = await scratch();
    try {
      const so = compilePlugin(FIXTURE_IMAGE_PLUGIN).find((b) => b.platform === 'linux/amd64')!.library;
      const layer = blob('application/vnd.docker.image.rootfs.diff.tar.gzip', tarGz([{ type: 'file', path: 'plugins/libcontainer.so', content: so }]));
      const config = blob(
        'application/vnd.docker.container.image.v1+json',
        JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }),
      );
      const manifest = imageManifest({ mediaType: OciMediaType.dockerManifest, config: config.descriptor, layers: [layer.descriptor] });
      const list = imageIndex({
        mediaType: OciMediaType.dockerManifestList,
        manifests: [{ ...manifest.descriptor, platform: { architecture: 'amd64', os: 'linux' } }],
      });
      registry.push('falcosecurity/falco', { root: list, manifests: [manifest], blobs: [config, layer] }, ['docker-v2']);
      const result = await runExtract(registry, area, {
        ...manifestOf([{ name: 'container', version: '0.7.1', from: { image: `${HOST}/falcosecurity/falco:docker-v2`, path: '/plugins/libcontainer.so' } }]),
        platforms: ['linux/amd64'],
      });
      expect(result.lock.plugins[0]!.platforms[0]!.sha256).toBe(sha256(so));
    } finally {
      await area.cleanup();
    }
  });
});

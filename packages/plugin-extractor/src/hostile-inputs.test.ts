import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { notAnElf } from '@falco-airgap/fixtures';
import { ExtractErrorCode } from './errors.ts';
import type { ExtractEvent } from './events.ts';
import {
  customPluginArtifact,
  FakeRegistry,
  FalcoMediaType,
  HOST,
  library,
  manifestOf,
  pluginArtifact,
  pluginEntry,
  pluginRepo,
  releaseTags,
  runExtract,
  scratch,
  exitCodeOf,
  tarGz,
  type RunOptions,
  type Scratch,
  type TarEntry,
} from './test-support/harness.ts';
import type { PluginsManifest } from '@falco-airgap/manifest';

// Every case: a stable error code, the exit code the CLI maps it to, and nothing written outside
// the output directory (nor a final file or lock inside it, for a first run).

const AMD64 = 'linux/amd64';
const ARM64 = 'linux/arm64';
const so = (platform = AMD64, name = 'k8saudit') => library(name, platform);
const file = (path: string, content: Uint8Array | string = so()): TarEntry => ({ type: 'file', path, content, mode: 0o755 });

describe('hostile inputs', () => {
  let registry: FakeRegistry;
  let area: Scratch;
  beforeEach(async () => {
    registry = new FakeRegistry(HOST);
    area = await scratch();
  });
  afterEach(() => area.cleanup());

  const amd64Only = (): PluginsManifest => manifestOf([pluginEntry('k8saudit', '0.18.0')], [], [AMD64]);

  function publishLayer(entries: TarEntry[] | Buffer, extra: Partial<Parameters<typeof customPluginArtifact>[0]> = {}) {
    registry.push(
      pluginRepo('k8saudit'),
      customPluginArtifact({ name: 'k8saudit', version: '0.18.0', platforms: [{ platform: AMD64, layer: entries }], ...extra }),
      ['0.18.0'],
    );
  }

  async function expectRefused(code: string, exitCode: number, options: RunOptions = {}, manifest = amd64Only()) {
    const error = await runExtract(registry, area, manifest, options).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error, 'extract should have failed').toBeDefined();
    expect((error as { code: string }).code).toBe(code);
    expect(exitCodeOf(error)).toBe(exitCode);
    expect((error as Error).message.length).toBeGreaterThan(10);
    expect((error as { hint?: string }).hint).toBeTruthy();
    expect(await area.outsideOut()).toEqual([]);
    const inOut = await readdir(area.out).catch(() => []);
    expect(inOut.filter((n) => n !== 'plugins-lock.yaml' || options.locked)).not.toContain('extracted');
    if (!options.locked) expect(inOut).not.toContain('plugins-lock.yaml');
    return error as Error & { code: string };
  }

  it('1. refuses a ../ tar-slip entry', async () => {
    publishLayer([file('../../../../../escape.so'), file('libk8saudit.so')]);
    await expectRefused(ExtractErrorCode.TarSlip, 3);
  });

  it('2. refuses an absolute path entry', async () => {
    publishLayer([file(join(area.work, 'absolute.so')), file('libk8saudit.so')]);
    await expectRefused(ExtractErrorCode.TarSlip, 3);
  });

  it('3. refuses a symlink entry', async () => {
    publishLayer([{ type: 'symlink', path: 'libk8saudit.so', target: '/etc/passwd' }]);
    await expectRefused(ExtractErrorCode.TarLink, 3);
  });

  it('4. refuses a hardlink entry', async () => {
    publishLayer([file('real.so'), { type: 'hardlink', path: 'libk8saudit.so', target: 'real.so' }]);
    await expectRefused(ExtractErrorCode.TarLink, 3);
  });

  it('5. refuses a device node', async () => {
    publishLayer([{ type: 'chardev', path: 'libk8saudit.so', devmajor: 1, devminor: 3 }]);
    await expectRefused(ExtractErrorCode.TarSpecialFile, 3);
  });

  it('6. refuses duplicate names (the second would silently win)', async () => {
    publishLayer([file('libk8saudit.so'), file('libk8saudit.so', so(ARM64))]);
    await expectRefused(ExtractErrorCode.TarDuplicate, 3);
  });

  it('7. stops a decompression bomb while it inflates', async () => {
    const bomb = Buffer.alloc(64 * 1024 * 1024);
    publishLayer([file('libk8saudit.so', bomb)]);
    const layer = [...registry.blobs.values()].sort((a, b) => b.length - a.length)[0]!;
    expect(layer.length).toBeLessThan(200 * 1024);
    await expectRefused(ExtractErrorCode.TarTooLarge, 3, { artifactLimits: { maxBytes: 8 * 1024 * 1024, maxEntries: 100 } });
  });

  it('8. refuses an archive with more entries than allowed', async () => {
    publishLayer([...Array.from({ length: 50 }, (_, i) => file(`f${i}`, 'x')), file('libk8saudit.so')]);
    await expectRefused(ExtractErrorCode.TarTooManyEntries, 3, { artifactLimits: { maxBytes: 1 << 30, maxEntries: 20 } });
  });

  it('9. refuses a blob whose bytes do not match its digest', async () => {
    publishLayer([file('libk8saudit.so')]);
    registry.faults.blobBody = (digest) => {
      const stored = [...registry.blobs.entries()].find(([k]) => k.endsWith(digest))![1];
      if (stored.length < 1000) return undefined;
      const tampered = Buffer.from(stored);
      tampered[tampered.length - 10]! ^= 0xff;
      return tampered;
    };
    await expectRefused(ExtractErrorCode.DigestMismatch, 3);
  });

  it('9b. names altered bytes a digest mismatch even when unpacking them fails first', async () => {
    publishLayer([file('libk8saudit.so')]);
    registry.faults.blobBody = (digest) => {
      const stored = [...registry.blobs.entries()].find(([k]) => k.endsWith(digest))![1];
      if (stored.length < 1000) return undefined;
      const tampered = Buffer.from(stored);
      for (let i = 0; i < 64; i++) tampered[i]! ^= 0xff;
      return tampered;
    };
    // Delivered in pieces, the archive is found unreadable long before the last byte and its digest arrive.
    registry.faults.blobChunkBytes = 256;
    await expectRefused(ExtractErrorCode.DigestMismatch, 3);
  });

  it('10. refuses a truncated blob', async () => {
    publishLayer([file('libk8saudit.so')]);
    registry.faults.blobBody = (digest) => {
      const stored = [...registry.blobs.entries()].find(([k]) => k.endsWith(digest))![1];
      return stored.length > 1000 ? stored.subarray(0, stored.length - 100) : undefined;
    };
    await expectRefused(ExtractErrorCode.TruncatedBlob, 3);
  });

  it('11. refuses a blob longer than its descriptor says', async () => {
    publishLayer([file('libk8saudit.so')]);
    registry.faults.blobBody = (digest) => {
      const stored = [...registry.blobs.entries()].find(([k]) => k.endsWith(digest))![1];
      return stored.length > 1000 ? Buffer.concat([stored, Buffer.alloc(4096)]) : undefined;
    };
    await expectRefused(ExtractErrorCode.SizeMismatch, 3);
  });

  it('12. refuses a plugin layer with a wrong media type', async () => {
    publishLayer([file('libk8saudit.so')], {
      platforms: [{ platform: AMD64, layer: [file('libk8saudit.so')], layerMediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' }],
    });
    await expectRefused(ExtractErrorCode.WrongMediaType, 3);
  });

  it('13. refuses a rulesfile artifact listed as a plugin (config media type)', async () => {
    publishLayer([file('libk8saudit.so')], { configMediaType: FalcoMediaType.rulesfileConfig });
    await expectRefused(ExtractErrorCode.WrongMediaType, 3);
  });

  it('14. refuses a file named .so that is not ELF', async () => {
    publishLayer([file('libk8saudit.so', notAnElf('k8saudit'))]);
    await expectRefused(ExtractErrorCode.NotElf, 3);
  });

  it('15. refuses an arm64 .so in the amd64 slot', async () => {
    publishLayer([file('libk8saudit.so', so(ARM64))]);
    const error = await expectRefused(ExtractErrorCode.ElfWrongMachine, 3);
    expect(error.message).toContain('aarch64');
  });

  it('16. refuses a plugin missing a required symbol', async () => {
    publishLayer([file('libk8saudit.so', library('k8saudit', AMD64, '3.10.0', { omitSymbol: 'plugin_get_last_error' }))]);
    const error = await expectRefused(ExtractErrorCode.ElfMissingSymbols, 3);
    expect(error.message).toContain('plugin_get_last_error');
  });

  it('17. refuses a config whose name disagrees with the manifest', async () => {
    publishLayer([file('libk8saudit.so')], { configName: 'k8smeta' });
    const error = await expectRefused(ExtractErrorCode.ConfigMismatch, 2);
    expect(error.message).toContain('k8smeta@0.18.0');
  });

  it('18. reports an unknown tag', async () => {
    registry.push(pluginRepo('k8saudit'), pluginArtifact('k8saudit', '0.18.0'), ['0.18.0']);
    await expectRefused(ExtractErrorCode.UnknownTag, 2, {}, manifestOf([pluginEntry('k8saudit', '0.19.0')], [], [AMD64]));
  });

  it('19. reports 401 when the registry wants credentials and none are configured', async () => {
    registry.push(pluginRepo('k8saudit'), pluginArtifact('k8saudit', '0.18.0'), ['0.18.0']);
    registry.auth = { kind: 'bearer', username: 'alice', password: 'secret' };
    const error = await expectRefused(ExtractErrorCode.Unauthorized, 2);
    expect(error.message).toContain('none are configured');
  });

  it('20. reports 401 when the configured credentials are wrong', async () => {
    registry.push(pluginRepo('k8saudit'), pluginArtifact('k8saudit', '0.18.0'), ['0.18.0']);
    registry.auth = { kind: 'basic', username: 'alice', password: 'secret' };
    await expectRefused(ExtractErrorCode.Unauthorized, 2, { credentials: { [HOST]: { username: 'alice', password: 'wrong' } } });
  });

  it('21. gives up with an operational error when the registry keeps answering 500', async () => {
    registry.push(pluginRepo('k8saudit'), pluginArtifact('k8saudit', '0.18.0'), ['0.18.0']);
    registry.faults.status = (req) => (req.url.includes('/blobs/') ? 500 : undefined);
    const error = await expectRefused(ExtractErrorCode.RegistryError, 1);
    expect(error.message).toContain('500');
  });

  it('22. refuses --locked when a tag moved', async () => {
    registry.push(pluginRepo('k8saudit'), pluginArtifact('k8saudit', '0.18.0'), ['0.18.0']);
    await runExtract(registry, area, amd64Only());
    const lockBefore = await readFile(join(area.out, 'plugins-lock.yaml'), 'utf8');
    const soBefore = await readFile(join(area.out, 'extracted/linux-amd64/libk8saudit.so'));
    // The publisher re-pushes 0.18.0 with another build: same name, different bytes.
    registry.push(pluginRepo('k8saudit'), pluginArtifact('k8saudit', '0.18.0', '3.11.0'), ['0.18.0']);
    const error = await runExtract(registry, area, amd64Only(), { locked: true }).catch((e: unknown) => e as Error & { code: string });
    expect(error).toMatchObject({ code: ExtractErrorCode.LockDrift, category: 'verification' });
    expect(exitCodeOf(error)).toBe(3);
    expect((error as Error).message).toMatch(/plugin k8saudit .*(digest|sha256).*locked sha256:|locked [a-f0-9]{64}/);
    expect(await readFile(join(area.out, 'plugins-lock.yaml'), 'utf8')).toBe(lockBefore);
    expect(await readFile(join(area.out, 'extracted/linux-amd64/libk8saudit.so'))).toEqual(soBefore);
    expect(await area.outsideOut()).toEqual([]);
  });

  it('23. refuses --locked without a lock', async () => {
    registry.push(pluginRepo('k8saudit'), pluginArtifact('k8saudit', '0.18.0'), ['0.18.0']);
    const error = await runExtract(registry, area, amd64Only(), { locked: true }).catch((e: unknown) => e as { code: string });
    expect(error).toMatchObject({ code: ExtractErrorCode.LockMissing, category: 'input' });
  });

  it('24. refuses a platform the index does not offer', async () => {
    registry.push(
      pluginRepo('k8saudit'),
      customPluginArtifact({ name: 'k8saudit', version: '0.18.0', platforms: [{ platform: AMD64, layer: [file('libk8saudit.so')] }] }),
      ['0.18.0'],
    );
    await expectRefused(ExtractErrorCode.PlatformMissing, 2, {}, manifestOf([pluginEntry('k8saudit', '0.18.0')], [], [AMD64, ARM64]));
  });

  it('25. refuses a plugin API major version Falco does not load', async () => {
    publishLayer([file('libk8saudit.so')], { apiVersion: '4.0.0' });
    await expectRefused(ExtractErrorCode.PluginApiVersion, 3);
  });

  it('26. refuses a layer that is not an archive', async () => {
    publishLayer(gzipSync(Buffer.from('this is not a tar archive, just text '.repeat(100))));
    await expectRefused(ExtractErrorCode.TarMalformed, 3);
  });

  it('26b. refuses a gzip stream cut short whose digest is the one the manifest names', async () => {
    publishLayer(tarGz([file('libk8saudit.so')]).subarray(0, -64));
    await expectRefused(ExtractErrorCode.TarMalformed, 3);
  });

  it('26c. names a zstd-compressed layer as such', async () => {
    publishLayer(Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), Buffer.alloc(256, 1)]));
    const error = await expectRefused(ExtractErrorCode.WrongMediaType, 3);
    expect(error.message).toMatch(/zstd/);
  });

  it('reads an uncompressed tar layer like a compressed one', async () => {
    publishLayer(gunzipSync(tarGz([file('libk8saudit.so')])));
    await runExtract(registry, area, amd64Only());
    expect(await readFile(join(area.out, 'extracted', 'linux-amd64', 'libk8saudit.so'))).toEqual(Buffer.from(so()));
  });

  it('27. refuses a layer without lib<name>.so', async () => {
    publishLayer([file('libother.so')]);
    await expectRefused(ExtractErrorCode.UnexpectedLayerContent, 3);
  });

  it('28. never writes through a symlink planted in the output directory', async () => {
    registry.push(pluginRepo('k8saudit'), pluginArtifact('k8saudit', '0.18.0'), ['0.18.0']);
    const elsewhere = join(area.root, 'elsewhere');
    await mkdir(elsewhere);
    await mkdir(join(area.out, 'extracted'), { recursive: true });
    await symlink(elsewhere, join(area.out, 'extracted', 'linux-amd64'));
    const error = await runExtract(registry, area, amd64Only()).catch((e: unknown) => e as { code: string });
    expect(error).toMatchObject({ code: ExtractErrorCode.OutputDir, category: 'input' });
    expect(await readdir(elsewhere)).toEqual([]);
  });

  it('29. refuses a manifest whose bytes do not match the digest the registry announced', async () => {
    registry.push(pluginRepo('k8saudit'), pluginArtifact('k8saudit', '0.18.0'), ['0.18.0']);
    const wrong = `sha256:${createHash('sha256').update('something else').digest('hex')}`;
    const original = registry.transport;
    const lying: typeof original = async (request) => {
      const response = await original(request);
      if (request.url.includes('/manifests/0.18.0')) response.headers['docker-content-digest'] = wrong;
      if (request.method === 'GET' && request.url.endsWith(wrong)) {
        return original({ ...request, url: request.url.replace(wrong, '0.18.0') });
      }
      return response;
    };
    Object.defineProperty(registry, 'transport', { value: lying });
    await expectRefused(ExtractErrorCode.DigestMismatch, 3);
  });
});

describe('flaky registries', () => {
  let registry: FakeRegistry;
  let area: Scratch;
  beforeEach(async () => {
    registry = new FakeRegistry(HOST);
    registry.push(pluginRepo('k8saudit'), pluginArtifact('k8saudit', '0.18.0'), releaseTags('0.18.0'));
    area = await scratch();
  });
  afterEach(() => area.cleanup());

  it('retries a registry that answers 500 then recovers', async () => {
    registry.faults.status = (req, attempt) => (attempt <= 2 ? (req.url.includes('/blobs/') ? 503 : 500) : undefined);
    const result = await runExtract(registry, area, manifestOf([pluginEntry('k8saudit', '0.18.0')]));
    expect(result.lock.plugins[0]!.platforms).toHaveLength(2);
    expect(registry.log.filter((r) => r.status >= 500).length).toBeGreaterThanOrEqual(4);
  });

  it('retries 429 with Retry-After', async () => {
    registry.faults.status = (req, attempt) => (req.url.includes('/manifests/') && attempt === 1 ? 429 : undefined);
    const result = await runExtract(registry, area, manifestOf([pluginEntry('k8saudit', '0.18.0')], [], [AMD64]));
    expect(result.files).toHaveLength(1);
  });

  it('resumes a blob after a connection reset mid-transfer and verifies the whole', async () => {
    const layer = [...registry.blobs.entries()].filter(([k]) => k.startsWith(pluginRepo('k8saudit'))).sort((a, b) => b[1].length - a[1].length)[0]!;
    const digest = layer[0].split('@')[1]!;
    registry.faults.resetBlob = { digest, after: 1000, times: 1 };
    const events: ExtractEvent[] = [];
    const result = await runExtract(registry, area, manifestOf([pluginEntry('k8saudit', '0.18.0')]), { onEvent: (e) => events.push(e) });
    const gets = registry.log.filter((r) => r.path.endsWith(digest));
    expect(gets.map((g) => [g.status, g.range])).toEqual([
      [200, undefined],
      [206, 'bytes=1000-'],
    ]);
    // The caller hears of the retry as it happens, on the item whose blob it was.
    const retries = events.filter((e) => e.type === 'retry');
    expect(retries).toHaveLength(1);
    expect(retries[0]).toMatchObject({ digest, attempt: 2, item: { kind: 'plugin', name: 'k8saudit' } });
    expect(result.lock.plugins[0]!.platforms.every((p) => p.sha256.length === 64)).toBe(true);
  });

  it('restarts a reset download when the registry ignores Range, and still verifies', async () => {
    const layer = [...registry.blobs.entries()].sort((a, b) => b[1].length - a[1].length)[0]!;
    const digest = layer[0].split('@')[1]!;
    registry.faults.resetBlob = { digest, after: 500, times: 2 };
    registry.faults.ignoreRange = true;
    await runExtract(registry, area, manifestOf([pluginEntry('k8saudit', '0.18.0')]));
    expect(registry.log.filter((r) => r.path.endsWith(digest)).length).toBe(3);
  });

  it('answers a bearer challenge anonymously when the token server allows it', async () => {
    registry.auth = { kind: 'bearer' };
    const result = await runExtract(registry, area, manifestOf([pluginEntry('k8saudit', '0.18.0')], [], [AMD64]));
    expect(result.files).toHaveLength(1);
    expect(registry.log.some((r) => r.path === '/token')).toBe(true);
  });

  it('uses configured credentials for a bearer token and for basic auth', async () => {
    registry.auth = { kind: 'bearer', username: 'alice', password: 'secret' };
    await runExtract(registry, area, manifestOf([pluginEntry('k8saudit', '0.18.0')], [], [AMD64]), {
      credentials: { [HOST]: { username: 'alice', password: 'secret' } },
    });
    registry.auth = { kind: 'basic', username: 'alice', password: 'secret' };
    const again = await scratch();
    try {
      const result = await runExtract(registry, again, manifestOf([pluginEntry('k8saudit', '0.18.0')], [], [AMD64]), {
        credentials: { [HOST]: { username: 'alice', password: 'secret' } },
      });
      expect(result.files).toHaveLength(1);
    } finally {
      await again.cleanup();
    }
  });

  it('leaves no half-written file anywhere when interrupted mid-download', async () => {
    await runExtract(registry, area, manifestOf([pluginEntry('k8saudit', '0.18.0')], [], [AMD64]));
    const before = await readFile(join(area.out, 'extracted/linux-amd64/libk8saudit.so'));
    // A new release under the same tag, whose layer download stalls until Ctrl-C.
    registry.push(pluginRepo('k8saudit'), pluginArtifact('k8saudit', '0.18.0', '3.11.0'), ['0.18.0']);
    const layers = [...registry.blobs.entries()].filter(([, bytes]) => bytes.length > 1000).map(([key]) => key.split('@')[1]!);
    const controller = new AbortController();
    registry.faults.stallBlob = layers.at(-2);
    registry.faults.onStall = () => controller.abort(new Error('received SIGINT'));
    const error = await runExtract(registry, area, manifestOf([pluginEntry('k8saudit', '0.18.0')], [], [AMD64]), { signal: controller.signal }).catch(
      (e: unknown) => e as Error,
    );
    expect(controller.signal.aborted).toBe(true);
    expect(error).toBeInstanceOf(Error);
    expect(await readFile(join(area.out, 'extracted/linux-amd64/libk8saudit.so'))).toEqual(before);
    expect((await readdir(area.out)).sort()).toEqual(['extracted', 'plugins-lock.yaml']);
    expect(await readdir(join(area.cache, 'ingest'))).toEqual([]);
    expect(await area.outsideOut()).toEqual([]);
  });

  it('redownloads a cache entry that was corrupted on disk', async () => {
    await runExtract(registry, area, manifestOf([pluginEntry('k8saudit', '0.18.0')], [], [AMD64]));
    const blobsDir = join(area.cache, 'blobs', 'sha256');
    for (const name of await readdir(blobsDir)) await writeFile(join(blobsDir, name), 'corrupted');
    // Without the output the run must read the layer again, and finds the cached copy damaged.
    await rm(area.out, { recursive: true });
    const before = registry.blobGets();
    const result = await runExtract(registry, area, manifestOf([pluginEntry('k8saudit', '0.18.0')], [], [AMD64]));
    expect(registry.blobGets()).toBeGreaterThan(before);
    expect(result.files[0]!.status).toBe('written');
  });
});

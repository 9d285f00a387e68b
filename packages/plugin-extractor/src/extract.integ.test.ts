import { FIXTURE_IMAGE_PLUGIN, FIXTURE_PLUGINS, buildContainerImage, compilePlugin, publishArtifactTo, publishFixturesTo } from '@falco-airgap/fixtures';
import { parseReference } from '@falco-airgap/core';
import { type PluginsManifest } from '@falco-airgap/manifest';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireTestbed } from '@falco-airgap/testbed/env';
import { createExtractorPorts, type ExtractorSetup } from './create-extractor.ts';
import { DockerConfigCredentials } from '@falco-airgap/oci';
import { startFaultProxy } from '@falco-airgap/oci/test-support';
import { extract, type ExtractResult } from './extract.ts';

const env = requireTestbed(
  'TESTBED_REGISTRY',
  'TESTBED_REGISTRY_AUTH',
  'TESTBED_REGISTRY_AUTH_USER',
  'TESTBED_REGISTRY_AUTH_PASSWORD',
  'TESTBED_CA_FILE',
  'TESTBED_DOCKER_HOST',
  'TESTBED_REGISTRY_LOG',
);
const PLAIN = env.TESTBED_REGISTRY!;
const AUTH = env.TESTBED_REGISTRY_AUTH!;
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** The standard fixture set as a manifest, every reference pointing at `registry`. */
function fixtureManifest(registry: string): PluginsManifest {
  return {
    apiVersion: 'falco-airgap/v1alpha1',
    kind: 'PluginsManifest',
    falco: { version: '0.44.1' },
    platforms: ['linux/amd64', 'linux/arm64'],
    plugins: [
      ...FIXTURE_PLUGINS.map((p) => ({
        name: p.name,
        version: p.version,
        from: { artifact: `${registry}/falcosecurity/plugins/plugin/${p.name}:${p.version}` },
      })),
      {
        name: 'container',
        version: '0.7.1',
        from: { image: `${registry}/falcosecurity/falco:0.44.1-debian`, path: '/usr/share/falco/plugins/libcontainer.so' },
      },
    ],
    rulesfiles: [{ name: 'falco-rules', version: '5.1.0', from: { artifact: `${registry}/falcosecurity/rules/falco-rules:5.1.0` } }],
  };
}

let root: string;
let dockerConfigDir: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'extract-integ-'));
  await publishFixturesTo(
    { registry: PLAIN, plainHttp: true },
    { registry: AUTH, username: env.TESTBED_REGISTRY_AUTH_USER, password: env.TESTBED_REGISTRY_AUTH_PASSWORD, ca: await readFile(env.TESTBED_CA_FILE!) },
  );
  // Credentials the way users have them: docker login wrote them into config.json.
  dockerConfigDir = join(root, 'docker-config');
  await mkdir(dockerConfigDir);
  const auth64 = Buffer.from(`${env.TESTBED_REGISTRY_AUTH_USER}:${env.TESTBED_REGISTRY_AUTH_PASSWORD}`).toString('base64');
  await writeFile(join(dockerConfigDir, 'config.json'), JSON.stringify({ auths: { [`https://${AUTH}`]: { auth: auth64 } } }));
}, 300_000);

afterAll(() => rm(root, { recursive: true, force: true }));

async function run(
  manifest: PluginsManifest,
  out: string,
  setup: Omit<ExtractorSetup, 'cacheDir'> & { cacheDir?: string },
  extra: { locked?: boolean } = {},
): Promise<ExtractResult> {
  const ports = await createExtractorPorts({ cacheDir: join(root, 'cache-default'), ...setup });
  try {
    return await extract({ manifest, manifestSha256: 'b'.repeat(64), outDir: out, ...extra }, ports);
  } finally {
    await ports.close();
  }
}

function expectFixtureBytes(result: ExtractResult): void {
  for (const plugin of [...FIXTURE_PLUGINS, FIXTURE_IMAGE_PLUGIN]) {
    const builds = compilePlugin({ ...plugin, version: plugin.version });
    const locked = result.lock.plugins.find((p) => p.name === plugin.name)!;
    for (const build of builds) {
      expect(locked.platforms.find((p) => p.platform === build.platform)!.sha256, `${plugin.name} ${build.platform}`).toBe(sha256(build.library));
    }
  }
}

function blobGets(log: string, since: number): Promise<number> {
  return readFile(log, 'utf8').then(
    (text) =>
      text
        .slice(since)
        .split('\n')
        .filter((l) => /"GET \/v2\/\S+\/blobs\/sha256:/.test(l) && /" (200|206) /.test(l)).length,
  );
}

describe('extract against the testbed registries', () => {
  it('mirrors the fixture set from the plain registry, both platforms, rules and the image plugin, byte for byte', async () => {
    const out = join(root, 'plain');
    const result = await run(fixtureManifest(PLAIN), out, { plainHttp: [PLAIN], cacheDir: join(root, 'cache-plain') });
    expect(result.files).toHaveLength(11);
    expectFixtureBytes(result);
    expect(await readFile(join(out, 'extracted/rules/falco_rules.yaml'), 'utf8')).toContain('rule');
    expect(result.lock.plugins.find((p) => p.name === 'container')!.platforms.map((p) => p.pluginApiVersion)).toEqual(['3.11.0', '3.11.0']);
  });

  it('re-runs without downloading a single blob (counted at the registry) or rewriting the lock', async () => {
    const out = join(root, 'rerun');
    const setup = { plainHttp: [PLAIN], cacheDir: join(root, 'cache-rerun') };
    await run(fixtureManifest(PLAIN), out, setup);
    const lockBefore = await readFile(join(out, 'plugins-lock.yaml'));
    const logOffset = (await readFile(env.TESTBED_REGISTRY_LOG!, 'utf8')).length;
    // How long the re-run takes is measured by bench/extract, not here.
    const again = await run(fixtureManifest(PLAIN), out, setup);
    // The registry writes its access log asynchronously; give it a moment before counting.
    await new Promise((r) => setTimeout(r, 300));
    expect(await blobGets(env.TESTBED_REGISTRY_LOG!, logOffset)).toBe(0);
    expect(again.stats.blobsDownloaded).toBe(0);
    expect(again.lockStatus).toBe('unchanged');
    expect(await readFile(join(out, 'plugins-lock.yaml'))).toEqual(lockBefore);
  });

  it('pulls from the TLS + basic-auth registry with the testbed CA and docker-config credentials', async () => {
    const result = await run(fixtureManifest(AUTH), join(root, 'auth'), {
      caFile: env.TESTBED_CA_FILE,
      credentials: new DockerConfigCredentials({ directory: dockerConfigDir }),
      cacheDir: join(root, 'cache-auth'),
    });
    expectFixtureBytes(result);
  });

  it('refuses the TLS registry without the CA, and without credentials', async () => {
    const manifest = fixtureManifest(AUTH);
    await expect(
      run(manifest, join(root, 'no-ca'), { credentials: new DockerConfigCredentials({ directory: dockerConfigDir }), cacheDir: join(root, 'cache-no-ca') }),
    ).rejects.toMatchObject({
      code: 'EXTRACT_REGISTRY_UNREACHABLE',
      hint: expect.stringContaining('`caFile`'),
    });
    await expect(
      run(manifest, join(root, 'no-creds'), {
        caFile: env.TESTBED_CA_FILE,
        credentials: new DockerConfigCredentials({ directory: join(root, 'empty') }),
        cacheDir: join(root, 'cache-no-creds'),
      }),
    ).rejects.toMatchObject({
      code: 'EXTRACT_UNAUTHORIZED',
      category: 'input',
    });
  });

  it('gives the same bytes through --via docker as --via direct, for both platforms', async () => {
    const manifest = { ...fixtureManifest(PLAIN), plugins: fixtureManifest(PLAIN).plugins.filter((p) => p.name === 'container'), rulesfiles: [] };
    const direct = await run(manifest, join(root, 'via-direct'), { plainHttp: [PLAIN], cacheDir: join(root, 'cache-via') });
    const docker = await run(manifest, join(root, 'via-docker'), {
      plainHttp: [PLAIN],
      cacheDir: join(root, 'cache-via'),
      via: 'docker',
      dockerHost: env.TESTBED_DOCKER_HOST,
    });
    const shas = (r: ExtractResult) => r.lock.plugins[0]!.platforms.map((p) => [p.platform, p.sha256, p.manifestDigest]);
    expect(shas(docker)).toEqual(shas(direct));
    expect(shas(direct)).toHaveLength(2);
    expect(await readFile(join(root, 'via-docker/extracted/linux-arm64/libcontainer.so'))).toEqual(
      await readFile(join(root, 'via-direct/extracted/linux-arm64/libcontainer.so')),
    );
  });

  it('pulls through --via docker from the TLS + auth registry with docker-config credentials', async () => {
    const manifest = {
      ...fixtureManifest(AUTH),
      plugins: fixtureManifest(AUTH).plugins.filter((p) => p.name === 'container'),
      rulesfiles: [],
      platforms: ['linux/amd64' as const],
    };
    const credentials = new DockerConfigCredentials({ directory: dockerConfigDir });
    const result = await run(manifest, join(root, 'via-docker-auth'), {
      caFile: env.TESTBED_CA_FILE,
      credentials,
      cacheDir: join(root, 'cache-via-auth'),
      via: 'docker',
      dockerHost: env.TESTBED_DOCKER_HOST,
    });
    expect(result.lock.plugins[0]!.platforms[0]!.sha256).toBe(sha256(compilePlugin(FIXTURE_IMAGE_PLUGIN).find((b) => b.platform === 'linux/amd64')!.library));
  });

  it('keeps its EXTRACT_* codes through --via docker for a path the image lacks and an engine that is not there', async () => {
    const manifest: PluginsManifest = {
      ...fixtureManifest(PLAIN),
      rulesfiles: [],
      platforms: ['linux/amd64'],
      plugins: [
        { name: 'container', version: '0.7.1', from: { image: `${PLAIN}/falcosecurity/falco:0.44.1-debian`, path: '/usr/share/falco/plugins/libabsent.so' } },
      ],
    };
    const setup = { plainHttp: [PLAIN], cacheDir: join(root, 'cache-docker-errors'), via: 'docker' as const };
    await expect(run(manifest, join(root, 'docker-absent-path'), { ...setup, dockerHost: env.TESTBED_DOCKER_HOST })).rejects.toMatchObject({
      code: 'EXTRACT_PATH_NOT_FOUND',
      category: 'input',
    });
    await expect(run(manifest, join(root, 'docker-no-engine'), { ...setup, dockerHost: `unix://${join(root, 'no-engine.sock')}` })).rejects.toMatchObject({
      code: 'EXTRACT_DOCKER_ENGINE',
      category: 'operational',
    });
  });

  it('follows a symlinked plugin path the same way through --via docker and --via direct', async () => {
    const builds = compilePlugin(FIXTURE_IMAGE_PLUGIN);
    const linked = buildContainerImage({
      created: '2025-01-01T00:00:00Z',
      platforms: builds.map((b) => ({
        platform: b.platform,
        layers: [
          {
            createdBy: 'versioned library',
            entries: [{ type: 'file' as const, path: 'usr/lib/falco/libcontainer.so.0.7.1', content: b.library, mode: 0o755 }],
          },
          {
            createdBy: 'plugin dir links',
            entries: [
              { type: 'symlink' as const, path: 'usr/share/falco/plugins', target: '/usr/lib/falco' },
              { type: 'symlink' as const, path: 'usr/lib/falco/libcontainer.so', target: 'libcontainer.so.0.7.1' },
            ],
          },
        ],
      })),
    });
    const repository = `falco-airgap-test/extract-symlink-${process.pid}-${Date.now()}/falco`;
    await publishArtifactTo({ registry: PLAIN, plainHttp: true }, repository, linked, ['1.0.0']);
    const manifest: PluginsManifest = {
      ...fixtureManifest(PLAIN),
      rulesfiles: [],
      plugins: [{ name: 'container', version: '0.7.1', from: { image: `${PLAIN}/${repository}:1.0.0`, path: '/usr/share/falco/plugins/libcontainer.so' } }],
    };
    const direct = await run(manifest, join(root, 'link-direct'), { plainHttp: [PLAIN], cacheDir: join(root, 'cache-link') });
    const docker = await run(manifest, join(root, 'link-docker'), {
      plainHttp: [PLAIN],
      cacheDir: join(root, 'cache-link'),
      via: 'docker',
      dockerHost: env.TESTBED_DOCKER_HOST,
    });
    const expected = builds.map((b) => [b.platform, sha256(b.library)]);
    expect(direct.lock.plugins[0]!.platforms.map((p) => [p.platform, p.sha256])).toEqual(expected);
    expect(docker.lock.plugins[0]!.platforms.map((p) => [p.platform, p.sha256])).toEqual(expected);
  });

  it('keeps the whole image filesystem with keepSource, whiteouts applied', async () => {
    const manifest = {
      ...fixtureManifest(PLAIN),
      plugins: fixtureManifest(PLAIN).plugins.filter((p) => p.name === 'container'),
      rulesfiles: [],
      platforms: ['linux/amd64' as const],
    };
    const out = join(root, 'keep-source');
    const ports = await createExtractorPorts({ plainHttp: [PLAIN], cacheDir: join(root, 'cache-keep') });
    try {
      await extract({ manifest, manifestSha256: 'c'.repeat(64), outDir: out, keepSource: true }, ports);
    } finally {
      await ports.close();
    }
    const rootfs = join(out, 'source/container-0.7.1/linux-amd64');
    expect(await readFile(join(rootfs, 'etc/falco/config.d/10-container.yaml'), 'utf8')).toContain('container_engines');
    await expect(readFile(join(rootfs, 'etc/falco/config.d/00-legacy.yaml'))).rejects.toThrow(/ENOENT/);
    await expect(readFile(join(rootfs, 'usr/share/falco/plugins/libobsolete.so'))).rejects.toThrow(/ENOENT/);
  });
});

describe('extract through a misbehaving network', () => {
  it('retries a registry that answers 500 then recovers, and resumes a blob cut mid-transfer', async () => {
    const manifest = fixtureManifest(PLAIN);
    const reference = parseReference((manifest.plugins[0]!.from as { artifact: string }).artifact);
    if (!reference.ok) throw new Error('bad fixture reference');
    // Find the amd64 layer of the first plugin to cut it mid-transfer.
    const probe = await run({ ...manifest, plugins: [manifest.plugins[0]!], rulesfiles: [], platforms: ['linux/amd64'] }, join(root, 'probe'), {
      plainHttp: [PLAIN],
      cacheDir: join(root, 'cache-probe'),
    });
    const layer = probe.lock.plugins[0]!.platforms[0]!.layerDigest;
    const proxy = await startFaultProxy(PLAIN, { failFirst: 2, resetBlob: { digest: layer, afterBytes: 800, times: 1 } });
    try {
      const proxied = fixtureManifest(proxy.address);
      const result = await run({ ...proxied, plugins: [proxied.plugins[0]!], rulesfiles: [], platforms: ['linux/amd64'] }, join(root, 'flaky'), {
        plainHttp: [proxy.address],
        cacheDir: join(root, 'cache-flaky'),
        retry: { attempts: 5, baseDelayMs: 10, maxDelayMs: 50 },
      });
      expect(result.lock.plugins[0]!.platforms[0]!.sha256).toBe(probe.lock.plugins[0]!.platforms[0]!.sha256);
      const layerGets = proxy.requests.filter((r) => r.startsWith('GET') && r.includes(layer));
      expect(layerGets).toHaveLength(2);
      expect(layerGets[1]).toMatch(/ range=bytes=\d+-$/);
      expect(proxy.requests.length).toBeGreaterThan(4);
    } finally {
      await proxy.close();
    }
  });
});

import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { retryDelayMs } from '@falco-airgap/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRegistryClient, chainCredentials } from './create-registry-client.ts';
import { StaticCredentials, type RegistryCredentials } from './docker-config.ts';
import { OciErrorCode } from './errors.ts';
import { MediaType } from './media-types.ts';
import type { RegistryClient } from './oci-client.ts';
import { describeRegistryContract } from './registry.contract.ts';
import { isRetryableNetworkError } from './retry.ts';
import { FakeRegistry, type AuthMode, type PushableArtifact } from './test-support/fake-registry.ts';

const HOST = 'registry.test';
const FAST = { attempts: 4, baseDelayMs: 1, maxDelayMs: 5 };
const sha256 = (bytes: Uint8Array) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

function fakeTarget(auth: AuthMode) {
  return async () => {
    const fake = new FakeRegistry(HOST);
    fake.auth = auth;
    const login = auth.kind === 'none' ? undefined : { username: auth.username ?? 'alice', password: auth.password ?? 'secret' };
    return {
      registry: HOST,
      requiresCredentials: auth.kind === 'basic' || (auth.kind === 'bearer' && auth.username !== undefined),
      connect: ({ cacheDir, credentials = 'valid' }: { cacheDir?: string; credentials?: 'valid' | 'wrong' | 'none' }) =>
        createRegistryClient({
          transport: fake.transport,
          cacheDir,
          retry: FAST,
          credentials:
            login && credentials !== 'none'
              ? new StaticCredentials({ [HOST]: { ...login, password: credentials === 'valid' ? login.password : 'wrong' } })
              : undefined,
        }),
    };
  };
}

describeRegistryContract('in-memory fake registry', fakeTarget({ kind: 'none' }));
describeRegistryContract('in-memory fake registry with basic auth', fakeTarget({ kind: 'basic', username: 'alice', password: 'secret' }));
describeRegistryContract('in-memory fake registry with bearer tokens', fakeTarget({ kind: 'bearer', username: 'alice', password: 'secret' }));
describeRegistryContract(
  'in-memory fake registry with bearer tokens that expire every third request',
  fakeTarget({ kind: 'bearer', username: 'alice', password: 'secret', tokenUses: 3 }),
);

describe('RegistryClient against a misbehaving registry', () => {
  let fake: FakeRegistry;
  let client: RegistryClient;
  let cacheDir: string;
  const location = { registry: HOST, repository: 'flaky/repo' };
  beforeEach(async () => {
    fake = new FakeRegistry(HOST);
    cacheDir = await mkdtemp(join(tmpdir(), 'oci-client-'));
    client = await createRegistryClient({ transport: fake.transport, cacheDir, retry: FAST });
  });
  afterEach(async () => {
    await client.close();
    await rm(cacheDir, { recursive: true, force: true });
  });

  it('starts an upload session again when a chunk fails with a 503, and the registry ends up with the whole blob', async () => {
    const bytes = Buffer.alloc(3000, 7);
    let failed = false;
    fake.faults.status = (request) => {
      if (request.method === 'PATCH' && !failed) {
        failed = true;
        return 503;
      }
      return undefined;
    };
    await client.putBlob(location, bytes, { chunkSize: 1024 });
    expect(fake.blobs.get(`${location.repository}@${sha256(bytes)}`)).toEqual(bytes);
    expect(fake.log.filter((r) => r.method === 'POST').length).toBe(2);
  });

  it('retries a manifest PUT answered with 500, then gives up with an operational error', async () => {
    const blob = Buffer.from('{}');
    await client.putBlob(location, blob);
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(blob), size: 2 },
        layers: [],
      }),
    );
    fake.faults.status = (request, attempt) => (request.method === 'PUT' && attempt === 1 ? 500 : undefined);
    expect(await client.putManifest(location, 'v1', manifest, 'application/vnd.oci.image.manifest.v1+json')).toEqual({ digest: sha256(manifest) });
    fake.faults.status = (request) => (request.method === 'PUT' ? 500 : undefined);
    await expect(client.putManifest(location, 'v2', manifest, 'application/vnd.oci.image.manifest.v1+json')).rejects.toMatchObject({
      code: OciErrorCode.RegistryError,
      category: 'operational',
      status: 500,
      hint: expect.stringContaining('kept failing'),
    });
    expect(fake.log.filter((r) => r.method === 'PUT' && r.path.endsWith('/v2')).length).toBe(FAST.attempts);
  });

  it('pushes exactly what it is given, even a manifest a careful client would refuse', async () => {
    const config = Buffer.from('not json at all');
    await client.putBlob(location, config);
    const odd = Buffer.from(JSON.stringify({ schemaVersion: 2, config: { mediaType: 'text/plain', digest: sha256(config), size: config.length }, layers: [] }));
    await client.putManifest(location, 'odd', odd, 'application/vnd.docker.distribution.manifest.v2+json');
    expect(fake.manifests.get(`${location.repository}:odd`)).toEqual({ mediaType: 'application/vnd.docker.distribution.manifest.v2+json', bytes: odd });
  });

  it('uploads a file chunk by chunk', async () => {
    const bytes = Buffer.from(Array.from({ length: 5000 }, (_, i) => i % 251));
    const file = join(cacheDir, 'layer.bin');
    await writeFile(file, bytes);
    await client.putBlob(location, { path: file, size: bytes.length, digest: sha256(bytes) }, { chunkSize: 2048 });
    expect(fake.blobs.get(`${location.repository}@${sha256(bytes)}`)).toEqual(bytes);
    expect(fake.log.filter((r) => r.method === 'PATCH').length).toBe(3);
  });

  it('reports an unreachable registry with the attempts it made', async () => {
    const elsewhere = { registry: 'elsewhere.test', repository: 'r' };
    await expect(client.blobExists(elsewhere, sha256(Buffer.from('x')))).rejects.toMatchObject({
      code: OciErrorCode.RegistryUnreachable,
      category: 'operational',
      hint: 'check the network, the registry address and the proxy settings (`proxy`)',
    });
  });

  it('gets a token with push scope for uploads and reuses it for reads', async () => {
    fake.auth = { kind: 'bearer' };
    const bytes = Buffer.from('hello');
    await client.putBlob(location, bytes);
    expect(await client.blobExists(location, sha256(bytes))).toBe(true);
    expect(fake.log.filter((r) => r.path === '/token').length).toBe(1);
  });

  it('stops at once when the signal aborts, with OCI_ABORTED', async () => {
    const controller = new AbortController();
    controller.abort(new Error('received SIGINT'));
    await expect(client.putBlob(location, Buffer.from('x'), { signal: controller.signal })).rejects.toMatchObject({ code: OciErrorCode.Aborted });
  });
});

describe('createRegistryClient', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'oci-setup-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('refuses a CA file it cannot read, or one without a PEM certificate, naming the caFile option', async () => {
    await expect(createRegistryClient({ caFile: join(dir, 'absent.pem') })).rejects.toMatchObject({
      code: OciErrorCode.CaFile,
      category: 'input',
      hint: expect.stringContaining('`caFile`'),
    });
    await writeFile(join(dir, 'junk.pem'), 'not a certificate');
    await expect(createRegistryClient({ caFile: join(dir, 'junk.pem') })).rejects.toMatchObject({ code: OciErrorCode.CaFile });
  });

  it('asks the given credentials first, then the docker config', async () => {
    await writeFile(join(dir, 'config.json'), JSON.stringify({ auths: { 'a.example': { auth: Buffer.from('docker:pw').toString('base64') } } }));
    const fake = new FakeRegistry('a.example');
    fake.auth = { kind: 'basic', username: 'docker', password: 'pw' };
    const client = await createRegistryClient({
      transport: fake.transport,
      dockerConfigDir: dir,
      credentials: new StaticCredentials({ 'b.example': { username: 'static', password: 'pw' } }),
    });
    expect(await client.blobExists({ registry: 'a.example', repository: 'r' }, sha256(Buffer.from('x')))).toBe(false);
    expect(await client.credentials.lookup('b.example')).toMatchObject({ username: 'static' });
    await client.close();
  });

  it('chains credential sources in order', async () => {
    const first = { lookup: async (host: string): Promise<RegistryCredentials | undefined> => (host === 'x' ? { username: 'one' } : undefined) };
    const second = { lookup: async (): Promise<RegistryCredentials | undefined> => ({ username: 'two' }) };
    const chained = chainCredentials(first, undefined, second);
    expect(await chained.lookup('x')).toEqual({ username: 'one' });
    expect(await chained.lookup('y')).toEqual({ username: 'two' });
    expect(await chainCredentials().lookup('x')).toBeUndefined();
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

/** A one-layer image: its manifest, the layer's descriptor and bytes, ready to push to a fake registry. */
function oneLayerImage(layer: Buffer) {
  const config = Buffer.from('{"architecture":"amd64","os":"linux"}');
  const layerDescriptor = { mediaType: MediaType.ociLayerTarGzip, digest: sha256(layer), size: layer.length };
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: { mediaType: MediaType.ociImageConfig, digest: sha256(config), size: config.length },
      layers: [layerDescriptor],
    }),
  );
  const artifact: PushableArtifact = {
    root: { descriptor: { mediaType: MediaType.ociManifest, digest: sha256(manifest) }, bytes: manifest },
    manifests: [],
    blobs: [
      { descriptor: { digest: sha256(config) }, bytes: config },
      { descriptor: { digest: sha256(layer) }, bytes: layer },
    ],
  };
  return { artifact, manifest, layerDescriptor };
}

describe('RegistryClient reads', () => {
  let cacheDir: string;
  beforeEach(async () => {
    cacheDir = await mkdtemp(join(tmpdir(), 'oci-reads-'));
  });
  afterEach(async () => {
    await rm(cacheDir, { recursive: true, force: true });
  });

  it('resolves a tag with one GET, and on Docker Hub asks with a HEAD first, so that a cached manifest costs no pull', async () => {
    const { artifact, manifest } = oneLayerImage(randomBytes(64));
    for (const [apiHost, registry] of [
      [HOST, HOST],
      ['registry-1.docker.io', 'docker.io'],
    ] as const) {
      const fake = new FakeRegistry(apiHost);
      fake.push('team/app', artifact, ['1.0']);
      for (let run = 0; run < 2; run++) {
        const client = await createRegistryClient({ transport: fake.transport, cacheDir: join(cacheDir, apiHost), retry: FAST });
        const resolved = await client.resolve({ registry, repository: 'team/app', tag: '1.0', digest: undefined });
        expect(resolved).toMatchObject({ digest: sha256(manifest), bytes: manifest });
        await client.close();
      }
      const requests = fake.log.map((r) => r.method);
      expect(requests).toEqual(registry === HOST ? ['GET', 'GET'] : ['HEAD', 'GET', 'HEAD']);
    }
  });

  it('streams a blob as it downloads, every byte once across a reset, and keeps it in the cache', async () => {
    const layer = randomBytes(256 * 1024);
    const { artifact, layerDescriptor } = oneLayerImage(layer);
    const fake = new FakeRegistry(HOST);
    fake.push('team/app', artifact, ['1.0']);
    fake.faults.blobChunkBytes = 16 * 1024;
    fake.faults.resetBlob = { digest: layerDescriptor.digest, after: 100_000, times: 1 };
    fake.faults.ignoreRange = true;
    const client = await createRegistryClient({ transport: fake.transport, cacheDir, retry: FAST });
    const location = { registry: HOST, repository: 'team/app' };
    const opened = await client.openBlob(location, layerDescriptor);
    expect(opened.downloaded).toBe(true);
    expect(sha256(Buffer.concat(await opened.readable.toArray()))).toBe(layerDescriptor.digest);
    expect(await client.fetchBlob(location, layerDescriptor)).toMatchObject({ downloaded: false });
    const again = await client.openBlob(location, layerDescriptor);
    expect(again.downloaded).toBe(false);
    expect(sha256(Buffer.concat(await again.readable.toArray()))).toBe(layerDescriptor.digest);
    await client.close();
  });

  it('fails the stream, instead of ending it, when the bytes do not match the digest, and caches nothing', async () => {
    const layer = randomBytes(64 * 1024);
    const { artifact, layerDescriptor } = oneLayerImage(layer);
    const fake = new FakeRegistry(HOST);
    fake.push('team/app', artifact, ['1.0']);
    fake.faults.blobChunkBytes = 4096;
    fake.faults.blobBody = (digest) =>
      digest === layerDescriptor.digest ? Buffer.concat([layer.subarray(0, -1), Buffer.from([layer.at(-1)! ^ 1])]) : undefined;
    const client = await createRegistryClient({ transport: fake.transport, cacheDir, retry: FAST });
    const location = { registry: HOST, repository: 'team/app' };
    const opened = await client.openBlob(location, layerDescriptor);
    const error = await opened.readable.toArray().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: OciErrorCode.DigestMismatch });
    delete fake.faults.blobBody;
    // Nothing of it stayed behind: the next read downloads it again.
    expect(await client.fetchBlob(location, layerDescriptor)).toMatchObject({ downloaded: true });
    await client.close();
  });

  it('drops a download the reader abandoned, and lets the next caller download it whole', async () => {
    const layer = randomBytes(128 * 1024);
    const { artifact, layerDescriptor } = oneLayerImage(layer);
    const fake = new FakeRegistry(HOST);
    fake.push('team/app', artifact, ['1.0']);
    fake.faults.blobChunkBytes = 4096;
    const client = await createRegistryClient({ transport: fake.transport, cacheDir, retry: FAST });
    const location = { registry: HOST, repository: 'team/app' };
    const opened = await client.openBlob(location, layerDescriptor);
    for await (const _chunk of opened.readable) break;
    const fetched = await client.fetchBlob(location, layerDescriptor);
    expect(fetched.downloaded).toBe(true);
    expect(sha256(await readFile(fetched.path))).toBe(layerDescriptor.digest);
    await client.close();
  });
});

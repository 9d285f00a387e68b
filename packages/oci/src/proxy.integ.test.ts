import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { requireTestbed } from '@falco-airgap/testbed/env';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegistryClient, type RegistryClientSetup } from './create-registry-client.ts';
import { digestOf } from './digest.ts';
import { StaticCredentials } from './docker-config.ts';
import { OciErrorCode } from './errors.ts';
import type { RegistryClient } from './oci-client.ts';
import { startForwardProxy, type ForwardProxy } from './test-support/forward-proxy.ts';

const env = requireTestbed('TESTBED_REGISTRY', 'TESTBED_REGISTRY_AUTH', 'TESTBED_REGISTRY_AUTH_USER', 'TESTBED_REGISTRY_AUTH_PASSWORD', 'TESTBED_CA_FILE');
const PLAIN = env.TESTBED_REGISTRY!;
const AUTH = env.TESTBED_REGISTRY_AUTH!;
const FAST = { attempts: 2, baseDelayMs: 10, maxDelayMs: 20 };
const credentials = new StaticCredentials({ [AUTH]: { username: env.TESTBED_REGISTRY_AUTH_USER, password: env.TESTBED_REGISTRY_AUTH_PASSWORD } });
const repository = `oci-proxy/${process.pid}-${Date.now().toString(36)}`;

/** Pushes fresh bytes and reads them back: what a mirror run does, in two requests' worth. */
async function roundTrip(client: RegistryClient, registry: string): Promise<void> {
  const bytes = randomBytes(1500);
  await client.putBlob({ registry, repository }, bytes);
  expect(await client.readBlob({ registry, repository }, { digest: digestOf(bytes), size: bytes.length })).toEqual(bytes);
}

async function withClient(setup: RegistryClientSetup, use: (client: RegistryClient) => Promise<void>): Promise<void> {
  const client = await createRegistryClient({ retry: FAST, ...setup });
  try {
    await use(client);
  } finally {
    await client.close();
  }
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('registries behind a forward proxy', () => {
  let proxy: ForwardProxy;
  beforeAll(async () => {
    proxy = await startForwardProxy();
  });
  afterAll(() => proxy?.close());

  it('sends plain-HTTP registry requests to the proxy with their absolute URL', async () => {
    const before = proxy.requests.length;
    await withClient({ plainHttp: [PLAIN], proxy: { httpProxy: proxy.url } }, (client) => roundTrip(client, PLAIN));
    const forwarded = proxy.requests.slice(before);
    expect(forwarded.some((r) => r.startsWith(`POST http://${PLAIN}/v2/${repository}/blobs/uploads/`))).toBe(true);
    expect(forwarded.filter((r) => r.startsWith(`GET http://${PLAIN}/v2/${repository}/blobs/sha256:`))).toHaveLength(1);
  });

  it('tunnels HTTPS with CONNECT and still verifies the registry certificate against the configured CA', async () => {
    const before = proxy.tunnels.length;
    await withClient({ caFile: env.TESTBED_CA_FILE, credentials, proxy: { httpsProxy: proxy.url } }, (client) => roundTrip(client, AUTH));
    const opened = proxy.tunnels.slice(before);
    expect(opened.length).toBeGreaterThanOrEqual(1);
    expect(new Set(opened)).toEqual(new Set([AUTH]));

    // Without the CA the tunnel opens, but TLS inside it is refused: the proxy does not weaken verification.
    await withClient({ credentials, proxy: { httpsProxy: proxy.url } }, async (client) => {
      await expect(client.blobExists({ registry: AUTH, repository }, digestOf(Buffer.from('x')))).rejects.toMatchObject({
        code: OciErrorCode.RegistryUnreachable,
        hint: expect.stringContaining('`caFile`'),
      });
    });
  });

  it('goes direct for hosts NO_PROXY lists: host:port, the IP, or *', async () => {
    const before = { tunnels: proxy.tunnels.length, requests: proxy.requests.length };
    const [host, port] = AUTH.split(':') as [string, string];
    for (const noProxy of [AUTH, host, `example.com, ${host}:${port}`, '*']) {
      await withClient({ caFile: env.TESTBED_CA_FILE, credentials, proxy: { httpsProxy: proxy.url, noProxy } }, (client) => roundTrip(client, AUTH));
    }
    await withClient({ plainHttp: [PLAIN], proxy: { httpProxy: proxy.url, noProxy: [PLAIN] } }, (client) => roundTrip(client, PLAIN));
    expect(proxy.tunnels.length).toBe(before.tunnels);
    expect(proxy.requests.length).toBe(before.requests);

    // Another port of the same host is not listed: that one still goes through the proxy.
    await withClient({ caFile: env.TESTBED_CA_FILE, credentials, proxy: { httpsProxy: proxy.url, noProxy: `${host}:1` } }, (client) => roundTrip(client, AUTH));
    expect(proxy.tunnels.length).toBeGreaterThan(before.tunnels);
  });
});

describe('proxies that say no', () => {
  it('sends the proxy credentials from the proxy URL, and fails with OCI_PROXY_AUTH without them', async () => {
    const proxy = await startForwardProxy({ credentials: { username: 'corp user', password: 'p@ss:word' } });
    const withUser = proxy.url.replace('//', `//${encodeURIComponent('corp user')}:${encodeURIComponent('p@ss:word')}@`);
    try {
      await withClient({ caFile: env.TESTBED_CA_FILE, credentials, proxy: { httpsProxy: withUser } }, (client) => roundTrip(client, AUTH));
      await withClient({ plainHttp: [PLAIN], proxy: { httpProxy: withUser } }, (client) => roundTrip(client, PLAIN));
      expect(new Set(proxy.tunnels)).toEqual(new Set([AUTH]));
      expect(proxy.requests.filter((r) => r.includes(`http://${PLAIN}/v2/${repository}/`)).length).toBeGreaterThanOrEqual(2);
      expect(proxy.refused).toEqual([]);

      await withClient({ caFile: env.TESTBED_CA_FILE, credentials, proxy: { httpsProxy: proxy.url } }, async (client) => {
        const error = await client.blobExists({ registry: AUTH, repository }, digestOf(Buffer.from('x'))).catch((e: unknown) => e);
        expect(error).toMatchObject({ code: OciErrorCode.ProxyAuth, category: 'input', status: 407, hint: expect.stringContaining('`proxy`') });
        expect(String((error as Error).message)).not.toContain('p@ss');
      });
      await withClient({ plainHttp: [PLAIN], proxy: { httpProxy: proxy.url } }, async (client) => {
        await expect(client.blobExists({ registry: PLAIN, repository }, digestOf(Buffer.from('x')))).rejects.toMatchObject({
          code: OciErrorCode.ProxyAuth,
        });
      });
      await withClient({ plainHttp: [PLAIN], proxy: { httpProxy: proxy.url.replace('//', '//corp%20user:wrong@') } }, async (client) => {
        await expect(client.blobExists({ registry: PLAIN, repository }, digestOf(Buffer.from('x')))).rejects.toMatchObject({
          code: OciErrorCode.ProxyAuth,
          message: expect.not.stringContaining('wrong'),
        });
      });
    } finally {
      await proxy.close();
    }
  });

  it('reports a proxy that refuses the registry, or cannot be reached, as OCI_PROXY_FAILED', async () => {
    const proxy = await startForwardProxy({ refuse: (target) => (target === AUTH ? 403 : undefined) });
    try {
      await withClient({ caFile: env.TESTBED_CA_FILE, credentials, proxy: { httpsProxy: proxy.url } }, async (client) => {
        await expect(client.blobExists({ registry: AUTH, repository }, digestOf(Buffer.from('x')))).rejects.toMatchObject({
          code: OciErrorCode.ProxyFailed,
          category: 'operational',
          status: 403,
          message: expect.stringContaining(`refused to open a tunnel to ${AUTH}: 403`),
        });
      });
      // A refusal is an answer: it is not retried.
      expect(proxy.refused).toEqual([`CONNECT ${AUTH} 403`]);
    } finally {
      await proxy.close();
    }

    const nowhere = `http://127.0.0.1:${await closedPort()}`;
    await withClient({ caFile: env.TESTBED_CA_FILE, credentials, proxy: { httpsProxy: nowhere } }, async (client) => {
      await expect(client.blobExists({ registry: AUTH, repository }, digestOf(Buffer.from('x')))).rejects.toMatchObject({
        code: OciErrorCode.ProxyFailed,
        message: expect.stringMatching(new RegExp(`proxy ${nowhere} cannot be reached.*after 2 attempts`)),
        hint: expect.stringContaining('`proxy`'),
      });
    });
  });
});

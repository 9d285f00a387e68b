import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { requireTestbed } from '../env.ts';
import { OCI_INDEX, pushPluginArtifact, registryRequest, sha256Digest, type RegistryEndpoint } from './registry-http.ts';

const run = promisify(execFile);
const env = requireTestbed(
  'TESTBED_REGISTRY',
  'TESTBED_REGISTRY_LOG',
  'TESTBED_REGISTRY_AUTH',
  'TESTBED_REGISTRY_AUTH_USER',
  'TESTBED_REGISTRY_AUTH_PASSWORD',
  'TESTBED_REGISTRY_AUTH_LOG',
  'TESTBED_CA_FILE',
);
const ca = readFileSync(env.TESTBED_CA_FILE!);
const plain: RegistryEndpoint = { address: env.TESTBED_REGISTRY!, tls: false };
const authed: RegistryEndpoint = {
  address: env.TESTBED_REGISTRY_AUTH!,
  tls: true,
  ca,
  credentials: { user: env.TESTBED_REGISTRY_AUTH_USER!, password: env.TESTBED_REGISTRY_AUTH_PASSWORD! },
};
// Each run writes to fresh repositories, so leftovers from earlier runs cannot make a test pass.
const runId = randomBytes(4).toString('hex');
const tmp = mkdtempSync(join(tmpdir(), 'registry-integ-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function accessLogLine(file: string, pattern: string): Promise<string | undefined> {
  // The registry writes the access log line after the response is sent.
  for (let i = 0; i < 20; i++) {
    const line = readFileSync(file, 'utf8')
      .split('\n')
      .find((l) => l.includes(pattern));
    if (line) return line;
    await new Promise((r) => setTimeout(r, 100));
  }
  return undefined;
}

describe.each([
  { name: 'plain HTTP registry', endpoint: plain, log: env.TESTBED_REGISTRY_LOG! },
  { name: 'TLS + basic auth registry', endpoint: authed, log: env.TESTBED_REGISTRY_AUTH_LOG! },
])('$name', ({ endpoint, log }) => {
  const repo = `testbed-integ/plugin/dummy-${runId}`;
  const layer = randomBytes(1024);

  it('stores a falcoctl-style OCI artifact and serves it back byte for byte', async () => {
    const pushed = await pushPluginArtifact(endpoint, repo, '0.1.0', layer);
    expect(pushed.indexDigest).toBe(sha256Digest(pushed.indexBytes));

    const index = await registryRequest(endpoint, 'GET', `/v2/${repo}/manifests/0.1.0`, { headers: { accept: OCI_INDEX } });
    expect(index.status).toBe(200);
    expect(index.headers['content-type']).toBe(OCI_INDEX);
    expect(sha256Digest(index.body)).toBe(pushed.indexDigest);

    const blob = await registryRequest(endpoint, 'GET', `/v2/${repo}/blobs/${pushed.layerDigest}`);
    expect(blob.status).toBe(200);
    expect(blob.body.equals(layer)).toBe(true);
  });

  it('records every blob GET in the access log named by the env file', async () => {
    const digest = sha256Digest(layer);
    const line = await accessLogLine(log, `"GET /v2/${repo}/blobs/${digest} `);
    expect(line).toMatch(/" 200 1024 /);
  });

  it('deletes a manifest by digest', async () => {
    const tagged = await registryRequest(endpoint, 'HEAD', `/v2/${repo}/manifests/0.1.0`, { headers: { accept: OCI_INDEX } });
    const digest = String(tagged.headers['docker-content-digest']);
    expect((await registryRequest(endpoint, 'DELETE', `/v2/${repo}/manifests/${digest}`)).status).toBe(202);
    expect((await registryRequest(endpoint, 'GET', `/v2/${repo}/manifests/0.1.0`, { headers: { accept: OCI_INDEX } })).status).toBe(404);
  });
});

describe('TLS + basic auth registry access control', () => {
  it('answers 401 with a Basic challenge without credentials', async () => {
    const res = await registryRequest({ ...authed, credentials: undefined }, 'GET', '/v2/');
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/^Basic realm=/);
  });

  it('answers 401 to a wrong password', async () => {
    const res = await registryRequest({ ...authed, credentials: { user: authed.credentials!.user, password: 'wrong' } }, 'GET', '/v2/');
    expect(res.status).toBe(401);
  });

  it('presents a certificate that only the testbed CA vouches for', async () => {
    await expect(registryRequest({ ...authed, ca: undefined }, 'GET', '/v2/')).rejects.toThrow(/certificate/i);
    expect((await registryRequest(authed, 'GET', '/v2/')).status).toBe(200);
  });

  it('lets skopeo read the artifact when given the CA and credentials, and not without the CA', async () => {
    const repo = `testbed-integ/skopeo-${runId}`;
    const pushed = await pushPluginArtifact(authed, repo, 'latest', randomBytes(64));
    const certDir = join(tmp, 'certs');
    const emptyCertDir = join(tmp, 'no-certs');
    for (const d of [certDir, emptyCertDir]) mkdirSync(d, { recursive: true });
    copyFileSync(env.TESTBED_CA_FILE!, join(certDir, 'ca.crt'));
    const creds = `${authed.credentials!.user}:${authed.credentials!.password}`;
    const ref = `docker://${authed.address}/${repo}:latest`;

    const { stdout } = await run('skopeo', ['inspect', '--raw', '--creds', creds, '--cert-dir', certDir, ref]);
    expect(sha256Digest(Buffer.from(stdout))).toBe(pushed.indexDigest);
    await expect(run('skopeo', ['inspect', '--raw', '--creds', creds, '--cert-dir', emptyCertDir, ref])).rejects.toThrow(
      /certificate signed by unknown authority/,
    );
    await expect(run('skopeo', ['inspect', '--raw', '--no-creds', '--cert-dir', certDir, ref])).rejects.toThrow(/unauthorized|authentication required/i);
  });
});

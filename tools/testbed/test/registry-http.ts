import { createHash } from 'node:crypto';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface RegistryEndpoint {
  /** host:port */
  address: string;
  tls: boolean;
  /** PEM of the CA that signed the registry's certificate; omitted means the system trust store. */
  ca?: Buffer | undefined;
  credentials?: { user: string; password: string } | undefined;
}

export interface RegistryResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export const sha256Digest = (bytes: Buffer): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

// node:https instead of fetch: fetch cannot be told to trust one extra CA per request.
export function registryRequest(
  endpoint: RegistryEndpoint,
  method: string,
  pathOrUrl: string,
  options: { headers?: Record<string, string>; body?: Buffer } = {},
): Promise<RegistryResponse> {
  const url = new URL(pathOrUrl, `${endpoint.tls ? 'https' : 'http'}://${endpoint.address}`);
  const headers: Record<string, string> = { ...options.headers };
  if (endpoint.credentials) {
    const { user, password } = endpoint.credentials;
    headers.authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  }
  if (options.body) headers['content-length'] = String(options.body.length);
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(url, { method, headers, ca: endpoint.ca }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

async function expectStatus(res: Promise<RegistryResponse>, expected: number, what: string): Promise<RegistryResponse> {
  const r = await res;
  if (r.status !== expected) throw new Error(`${what}: HTTP ${r.status}, expected ${expected}: ${r.body.toString('utf8')}`);
  return r;
}

/** Monolithic blob upload (POST then PUT ?digest=), the flow every OCI client supports. */
export async function pushBlob(endpoint: RegistryEndpoint, repo: string, bytes: Buffer): Promise<string> {
  const digest = sha256Digest(bytes);
  const started = await expectStatus(registryRequest(endpoint, 'POST', `/v2/${repo}/blobs/uploads/`), 202, `start upload to ${repo}`);
  const location = new URL(String(started.headers.location), `http://${endpoint.address}`);
  location.searchParams.set('digest', digest);
  await expectStatus(
    registryRequest(endpoint, 'PUT', `${location.pathname}${location.search}`, {
      headers: { 'content-type': 'application/octet-stream' },
      body: bytes,
    }),
    201,
    `upload blob ${digest}`,
  );
  return digest;
}

/** Puts a manifest or index under a tag, or under its own digest when no tag is given. */
export async function pushManifest(
  endpoint: RegistryEndpoint,
  repo: string,
  manifest: { mediaType: string; [field: string]: unknown },
  tag?: string,
): Promise<{ digest: string; bytes: Buffer }> {
  const bytes = Buffer.from(JSON.stringify(manifest));
  const reference = tag ?? sha256Digest(bytes);
  const res = await expectStatus(
    registryRequest(endpoint, 'PUT', `/v2/${repo}/manifests/${reference}`, { headers: { 'content-type': manifest.mediaType }, body: bytes }),
    201,
    `put manifest ${repo}:${reference}`,
  );
  return { digest: String(res.headers['docker-content-digest']), bytes };
}

export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

/** A falcoctl-style plugin artifact: an index with one linux/amd64 manifest, custom config and layer media types. */
export async function pushPluginArtifact(endpoint: RegistryEndpoint, repo: string, tag: string, layer: Buffer) {
  const config = Buffer.from(JSON.stringify({ name: 'dummy', version: '0.1.0', requirements: [{ name: 'plugin_api_version', version: '3.0.0' }] }));
  const configDigest = await pushBlob(endpoint, repo, config);
  const layerDigest = await pushBlob(endpoint, repo, layer);
  const manifest = await pushManifest(endpoint, repo, {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: 'application/vnd.cncf.falco.plugin.config.v1+json', digest: configDigest, size: config.length },
    layers: [
      {
        mediaType: 'application/vnd.cncf.falco.plugin.layer.v1+tar.gz',
        digest: layerDigest,
        size: layer.length,
        annotations: { 'org.opencontainers.image.title': 'dummy-0.1.0-linux-x86_64.tar.gz' },
      },
    ],
  });
  const index = await pushManifest(
    endpoint,
    repo,
    {
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: [{ mediaType: OCI_MANIFEST, digest: manifest.digest, size: manifest.bytes.length, platform: { os: 'linux', architecture: 'amd64' } }],
    },
    tag,
  );
  return { configDigest, layerDigest, manifestDigest: manifest.digest, indexDigest: index.digest, indexBytes: index.bytes };
}

import {
  buildJwks,
  createJwksFileVerifier,
  generateClusterKeyPair,
  issueClusterToken,
  readSigningKey,
  renderJwks,
  type ClusterTokenVerifier,
  type SigningKey,
} from '@falco-airgap/fleet-identity';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createIngestor, type Ingestor, type IngestorOptions } from '../server.ts';

export const ISSUER = 'falco-airgap-test';
export const AUDIENCE = 'falco-event-ingestor-test';

/** Signing keys and the JWKS file an ingestor reads them from. */
export interface KeyRing {
  dir: string;
  jwksFile: string;
  key(name: string): SigningKey;
  /** Publishes exactly these keys (as a Secret update would: the whole file replaced at once). */
  publish(...names: string[]): Promise<void>;
  token(name: string, cluster: string, options?: { ttl?: number; now?: Date; issuer?: string; audience?: string }): Promise<string>;
  verifier(): Promise<ClusterTokenVerifier>;
  remove(): Promise<void>;
}

export async function createKeyRing(names: string[], published: string[] = names): Promise<KeyRing> {
  const dir = await mkdtemp(join(tmpdir(), 'ingestor-keys-'));
  const jwksFile = join(dir, 'jwks.json');
  const keys = new Map<string, SigningKey>();
  for (const name of names)
    keys.set(name, await readSigningKey((await generateClusterKeyPair({ algorithm: name.startsWith('ed') ? 'EdDSA' : 'ES256' })).privateKeyPem));
  const key = (name: string) => {
    const found = keys.get(name);
    if (!found) throw new Error(`no key ${name}`);
    return found;
  };
  const publish = async (...list: string[]) => {
    await writeFile(`${jwksFile}.tmp`, renderJwks(buildJwks(list.map((name) => key(name).publicJwk))));
    await rename(`${jwksFile}.tmp`, jwksFile);
  };
  await publish(...published);
  return {
    dir,
    jwksFile,
    key,
    publish,
    token: async (name, cluster, options = {}) =>
      (
        await issueClusterToken({
          cluster,
          key: key(name),
          ttl: options.ttl ?? 3600,
          issuer: options.issuer ?? ISSUER,
          audience: options.audience ?? AUDIENCE,
          ...(options.now ? { now: options.now } : {}),
        })
      ).token,
    verifier: () => createJwksFileVerifier({ file: jwksFile, issuer: ISSUER, audience: AUDIENCE, checkIntervalMs: 0, unknownKeyReloadIntervalMs: 0 }),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

export interface RunningIngestor {
  ingestor: Ingestor;
  url: string;
  close(): Promise<void>;
}

/** An ingestor listening on a loopback port of its own. */
export async function startIngestor(databaseUrl: string, verifier: ClusterTokenVerifier, options: Partial<IngestorOptions> = {}): Promise<RunningIngestor> {
  const ingestor = createIngestor({ database: { connectionString: databaseUrl }, verifier, ...options });
  const url = await ingestor.start({ host: '127.0.0.1', port: 0 });
  return { ingestor, url, close: () => ingestor.close() };
}

export interface PostResult {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

/** POSTs (or PUTs, as with its `webhook.method: PUT`) to /events the way Falcosidekick's webhook output does, unless told otherwise. */
export async function postEvent(
  url: string,
  body: unknown,
  options: { token?: string; contentType?: string; raw?: string | Uint8Array; headers?: Record<string, string>; method?: 'POST' | 'PUT' } = {},
): Promise<PostResult> {
  const headers: Record<string, string> = { 'user-agent': 'Falcosidekick', ...options.headers };
  if (options.contentType !== '') headers['content-type'] = options.contentType ?? 'application/json; charset=utf-8';
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  const response = await fetch(`${url}/events`, {
    method: options.method ?? 'POST',
    headers,
    body: options.raw ?? JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  const json = response.headers.get('content-type')?.startsWith('application/json');
  return { status: response.status, headers: response.headers, body: json ? (JSON.parse(text) as Record<string, unknown>) : { text } };
}

import { createHash } from 'node:crypto';
import type { HttpRequest, HttpResponse, HttpTransport } from '../transport.ts';

// An in-memory OCI registry behind the HttpTransport port, with switches for the ways a real
// registry or network misbehaves. Unit tests drive the real client through it.

export interface StoredManifest {
  mediaType: string;
  bytes: Buffer;
}

export interface PushableArtifact {
  root: { descriptor: { mediaType: string; digest: string }; bytes: Buffer };
  manifests: { descriptor: { mediaType: string; digest: string }; bytes: Buffer }[];
  blobs: { descriptor: { digest: string }; bytes: Buffer }[];
}

export interface Faults {
  /** Status to answer instead, per request (attempt counts from 1 per path). */
  status?: (request: HttpRequest, attempt: number) => number | undefined;
  /** Serve these bytes for a blob instead of the stored ones (a tampered or truncated blob). */
  blobBody?: (digest: string) => Buffer | undefined;
  /** Cut the connection after this many bytes of a blob, on the first `times` GETs without Range. */
  resetBlob?: { digest: string; after: number; times: number };
  /** Answer Range requests with the whole body (200), as some registries do. */
  ignoreRange?: boolean;
  /** Send half of this blob, then nothing until the request is aborted (a stalled transfer). */
  stallBlob?: string;
  /** Called when the stalled transfer starts waiting. */
  onStall?: () => void;
}

export type AuthMode = { kind: 'none' } | { kind: 'basic'; username: string; password: string } | { kind: 'bearer'; username?: string; password?: string };

export interface LoggedRequest {
  method: string;
  path: string;
  range: string | undefined;
  status: number;
}

export class FakeRegistry {
  readonly host: string;
  readonly manifests = new Map<string, StoredManifest>();
  readonly blobs = new Map<string, Buffer>();
  readonly log: LoggedRequest[] = [];
  faults: Faults = {};
  auth: AuthMode = { kind: 'none' };
  readonly #attempts = new Map<string, number>();
  #resets = 0;

  constructor(host = 'registry.test') {
    this.host = host;
  }

  push(repository: string, artifact: PushableArtifact, tags: readonly string[]): void {
    for (const b of artifact.blobs) this.blobs.set(`${repository}@${b.descriptor.digest}`, b.bytes);
    for (const m of artifact.manifests) this.manifests.set(`${repository}@${m.descriptor.digest}`, { mediaType: m.descriptor.mediaType, bytes: m.bytes });
    const root = { mediaType: artifact.root.descriptor.mediaType, bytes: artifact.root.bytes };
    this.manifests.set(`${repository}@${artifact.root.descriptor.digest}`, root);
    for (const tag of tags) this.manifests.set(`${repository}:${tag}`, root);
  }

  /** Blob GETs answered with content, the way the testbed counts them in its access log. */
  blobGets(): number {
    return this.log.filter((r) => r.method === 'GET' && r.path.includes('/blobs/') && (r.status === 200 || r.status === 206)).length;
  }

  readonly transport: HttpTransport = async (request) => {
    const url = new URL(request.url);
    if (url.host !== this.host) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${url.host}`), { code: 'ENOTFOUND' });
    const respond = (status: number, headers: Record<string, string> = {}, body: Buffer | AsyncIterable<Uint8Array> = Buffer.alloc(0)): HttpResponse => {
      this.log.push({ method: request.method, path: url.pathname, range: request.headers.range, status });
      const iterable = Buffer.isBuffer(body)
        ? (async function* () {
            if (body.length && request.method !== 'HEAD') yield body;
          })()
        : body;
      return { status, headers, body: iterable, discard: async () => undefined };
    };
    if (url.pathname === '/token') return this.#token(request, respond);
    const key = `${request.method} ${url.pathname}`;
    const attempt = (this.#attempts.get(key) ?? 0) + 1;
    this.#attempts.set(key, attempt);
    const forced = this.faults.status?.(request, attempt);
    if (forced) return respond(forced, forced === 429 ? { 'retry-after': '0' } : {});
    const denied = this.#authorize(request);
    if (denied) return respond(401, { 'www-authenticate': denied });

    const m = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(url.pathname);
    if (url.pathname === '/v2/') return respond(200);
    if (!m) return respond(404);
    const [, repository, kind, reference] = m as unknown as [string, string, string, string];
    if (kind === 'manifests') {
      const stored = this.manifests.get(reference.includes(':') ? `${repository}@${reference}` : `${repository}:${reference}`);
      if (!stored) return respond(404, {}, Buffer.from('{"errors":[{"code":"MANIFEST_UNKNOWN"}]}'));
      const digest = `sha256:${createHash('sha256').update(stored.bytes).digest('hex')}`;
      return respond(200, { 'content-type': stored.mediaType, 'docker-content-digest': digest, 'content-length': String(stored.bytes.length) }, stored.bytes);
    }
    const stored = this.blobs.get(`${repository}@${reference}`);
    if (!stored) return respond(404, {}, Buffer.from('{"errors":[{"code":"BLOB_UNKNOWN"}]}'));
    const content = this.faults.blobBody?.(reference) ?? stored;
    const range = /^bytes=(\d+)-$/.exec(request.headers.range ?? '');
    if (range && !this.faults.ignoreRange) {
      const from = Number(range[1]);
      return respond(
        206,
        { 'content-range': `bytes ${from}-${content.length - 1}/${content.length}`, 'content-length': String(content.length - from) },
        content.subarray(from),
      );
    }
    if (this.faults.stallBlob === reference) {
      const signal = request.signal;
      const onStall = this.faults.onStall;
      return respond(
        200,
        { 'content-length': String(content.length) },
        (async function* () {
          yield content.subarray(0, content.length >> 1);
          onStall?.();
          await new Promise((_, reject) => {
            const abort = () => reject(Object.assign(new Error('The operation was aborted'), { name: 'AbortError', code: 'ABORT_ERR' }));
            if (!signal) return;
            if (signal.aborted) abort();
            signal.addEventListener('abort', abort, { once: true });
          });
        })(),
      );
    }
    const reset = this.faults.resetBlob;
    if (reset && reset.digest === reference && this.#resets < reset.times) {
      this.#resets++;
      const cut = content.subarray(0, reset.after);
      return respond(
        200,
        { 'content-length': String(content.length) },
        (async function* () {
          yield cut;
          throw Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
        })(),
      );
    }
    return respond(200, { 'content-length': String(content.length) }, content);
  };

  #authorize(request: HttpRequest): string | undefined {
    const header = request.headers.authorization;
    if (this.auth.kind === 'none') return undefined;
    if (this.auth.kind === 'basic') {
      const expected = `Basic ${Buffer.from(`${this.auth.username}:${this.auth.password}`).toString('base64')}`;
      return header === expected ? undefined : 'Basic realm="fake"';
    }
    return header === 'Bearer fake-token' ? undefined : `Bearer realm="https://${this.host}/token",service="fake-registry"`;
  }

  #token(request: HttpRequest, respond: (status: number, headers?: Record<string, string>, body?: Buffer) => HttpResponse): HttpResponse {
    if (this.auth.kind !== 'bearer') return respond(404);
    if (this.auth.username !== undefined) {
      const expected = `Basic ${Buffer.from(`${this.auth.username}:${this.auth.password}`).toString('base64')}`;
      if (request.headers.authorization !== expected) return respond(401, {}, Buffer.from('{"details":"incorrect username or password"}'));
    }
    return respond(200, { 'content-type': 'application/json' }, Buffer.from(JSON.stringify({ token: 'fake-token' })));
  }
}

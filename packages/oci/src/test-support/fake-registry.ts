import { createHash } from 'node:crypto';
import type { HttpRequest, HttpResponse, HttpTransport } from '../transport.ts';

// An in-memory OCI registry behind the HttpTransport port, with switches for the ways a real
// registry or network misbehaves. Unit tests drive the real client through it; the registry
// contract suite keeps it answering like the testbed's registries.

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
  /** Status to answer instead, per request (attempt counts from 1 per method and path). */
  status?: (request: HttpRequest, attempt: number) => number | undefined;
  /** Serve these bytes for a blob instead of the stored ones (a tampered or truncated blob). */
  blobBody?: (digest: string) => Buffer | undefined;
  /** Cut the connection after this many bytes of a blob, on the first `times` GETs without Range. */
  resetBlob?: { digest: string; after: number; times: number };
  /** Answer Range requests with the whole body (200), as some registries do. */
  ignoreRange?: boolean;
  /** Send half of this blob, then nothing until the request is aborted (a stalled transfer). */
  stallBlob?: string | undefined;
  /** Called when the stalled transfer starts waiting. */
  onStall?: () => void;
  /** Send blob bodies in pieces of this many bytes, as a network delivers them, instead of whole. */
  blobChunkBytes?: number | undefined;
}

export type AuthMode =
  | { kind: 'none' }
  | {
      kind: 'basic';
      username: string;
      password: string;
      /** The WWW-Authenticate value to challenge with, e.g. ECR's `Basic realm="https://<host>/",service="ecr.amazonaws.com"`. */
      challenge?: string;
    }
  | {
      kind: 'bearer';
      username?: string;
      password?: string;
      /** Registry requests a token is accepted for; afterwards it has expired (`invalid_token`). Unlimited by default. */
      tokenUses?: number;
      /** What the account may do per repository, as the token server grants it; everything by default. */
      access?: (repository: string) => readonly ('pull' | 'push')[];
    };

interface IssuedToken {
  /** `<repository>:<action>` the token grants. */
  grants: Set<string>;
  usesLeft: number;
}

export interface LoggedRequest {
  method: string;
  path: string;
  range: string | undefined;
  status: number;
}

interface Upload {
  repository: string;
  chunks: Buffer[];
  size: number;
}

const sha256 = (bytes: Uint8Array) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
const errorBody = (code: string, message = code.toLowerCase().replaceAll('_', ' ')) => Buffer.from(JSON.stringify({ errors: [{ code, message }] }));

export class FakeRegistry {
  readonly host: string;
  /** `<repository>@<digest>` → bytes. */
  readonly manifests = new Map<string, StoredManifest>();
  readonly blobs = new Map<string, Buffer>();
  readonly log: LoggedRequest[] = [];
  faults: Faults = {};
  auth: AuthMode = { kind: 'none' };
  /** Answer the OCI 1.1 referrers API; off, the route is unknown (404) as on distribution 2.x. */
  referrersApi = false;
  readonly #attempts = new Map<string, number>();
  readonly #uploads = new Map<string, Upload>();
  readonly #tokens = new Map<string, IssuedToken>();
  #resets = 0;
  #nextUpload = 0;

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
    const denied = this.#authorize(request, url);
    if (denied) return respond(401, { 'www-authenticate': denied }, errorBody('UNAUTHORIZED'));

    if (url.pathname === '/v2/') return respond(200);
    const body = request.body === undefined ? Buffer.alloc(0) : Buffer.from(request.body);
    const tagList = /^\/v2\/(.+)\/tags\/list$/.exec(url.pathname);
    if (tagList && request.method === 'GET') return this.#tags(tagList[1]!, respond);
    const upload = /^\/v2\/(.+)\/blobs\/uploads\/([^/]*)$/.exec(url.pathname);
    if (upload) return this.#upload(request.method, upload[1]!, upload[2]!, url, request.headers, body, respond);
    const referrers = /^\/v2\/(.+)\/referrers\/([^/]+)$/.exec(url.pathname);
    if (referrers && request.method === 'GET' && this.referrersApi) return this.#referrers(referrers[1]!, referrers[2]!, respond);
    const m = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(url.pathname);
    if (!m) return respond(404);
    const [, repository, kind, reference] = m as unknown as [string, string, string, string];
    if (kind === 'manifests') {
      if (request.method === 'PUT') return this.#putManifest(repository, reference, request.headers['content-type'] ?? '', body, respond);
      const stored = this.manifests.get(reference.includes(':') ? `${repository}@${reference}` : `${repository}:${reference}`);
      if (!stored) return respond(404, {}, errorBody('MANIFEST_UNKNOWN'));
      const digest = sha256(stored.bytes);
      return respond(200, { 'content-type': stored.mediaType, 'docker-content-digest': digest, 'content-length': String(stored.bytes.length) }, stored.bytes);
    }
    const stored = this.blobs.get(`${repository}@${reference}`);
    if (!stored) return respond(404, {}, errorBody('BLOB_UNKNOWN'));
    if (request.method === 'HEAD') return respond(200, { 'content-length': String(stored.length), 'docker-content-digest': reference });
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
    const chunk = this.faults.blobChunkBytes;
    return respond(
      200,
      { 'content-length': String(content.length) },
      chunk
        ? (async function* () {
            for (let offset = 0; offset < content.length; offset += chunk) yield content.subarray(offset, offset + chunk);
          })()
        : content,
    );
  };

  /** The distribution API's upload session: POST (with an optional mount), PATCH chunks, PUT with the digest. */
  #upload(
    method: string,
    repository: string,
    id: string,
    url: URL,
    headers: Record<string, string>,
    body: Buffer,
    respond: (status: number, headers?: Record<string, string>, body?: Buffer) => HttpResponse,
  ): HttpResponse {
    if (method === 'POST' && id === '') {
      const mount = url.searchParams.get('mount');
      const from = url.searchParams.get('from');
      if (mount && from && this.blobs.has(`${from}@${mount}`)) {
        this.blobs.set(`${repository}@${mount}`, this.blobs.get(`${from}@${mount}`)!);
        return respond(201, { location: `/v2/${repository}/blobs/${mount}`, 'docker-content-digest': mount });
      }
      const session = `u${++this.#nextUpload}`;
      this.#uploads.set(session, { repository, chunks: [], size: 0 });
      return respond(202, { location: `/v2/${repository}/blobs/uploads/${session}?_state=${session}`, range: '0-0' });
    }
    const upload = this.#uploads.get(id);
    if (!upload || upload.repository !== repository || url.searchParams.get('_state') !== id) return respond(404, {}, errorBody('BLOB_UPLOAD_UNKNOWN'));
    const range = /^(\d+)-(\d+)$/.exec(headers['content-range'] ?? '');
    if (range && (Number(range[1]) !== upload.size || Number(range[2]) - Number(range[1]) + 1 !== body.length)) {
      return respond(416, {}, errorBody('BLOB_UPLOAD_INVALID'));
    }
    upload.chunks.push(body);
    upload.size += body.length;
    if (method === 'PATCH') {
      return respond(202, { location: `/v2/${repository}/blobs/uploads/${id}?_state=${id}`, range: `0-${Math.max(0, upload.size - 1)}` });
    }
    if (method !== 'PUT') return respond(405);
    this.#uploads.delete(id);
    const digest = url.searchParams.get('digest') ?? '';
    const bytes = Buffer.concat(upload.chunks);
    if (sha256(bytes) !== digest) return respond(400, {}, errorBody('DIGEST_INVALID', 'provided digest did not match uploaded content'));
    this.blobs.set(`${repository}@${digest}`, bytes);
    return respond(201, { location: `/v2/${repository}/blobs/${digest}`, 'docker-content-digest': digest });
  }

  /** Like distribution: a manifest by digest must hash to it, and everything it names must be in the repository. */
  #putManifest(
    repository: string,
    reference: string,
    mediaType: string,
    body: Buffer,
    respond: (status: number, headers?: Record<string, string>, body?: Buffer) => HttpResponse,
  ): HttpResponse {
    const digest = sha256(body);
    if (reference.includes(':') && reference !== digest) return respond(400, {}, errorBody('DIGEST_INVALID', 'provided digest did not match content'));
    let document: { config?: { digest?: string }; layers?: { digest?: string }[]; manifests?: { digest?: string }[] };
    try {
      document = JSON.parse(body.toString('utf8')) as typeof document;
    } catch (error) {
      return respond(400, {}, errorBody('MANIFEST_INVALID', (error as Error).message));
    }
    const blobs = [document.config, ...(document.layers ?? [])].filter((d) => d?.digest).map((d) => d!.digest!);
    const children = (document.manifests ?? []).filter((d) => d.digest).map((d) => d.digest!);
    if (blobs.some((d) => !this.blobs.has(`${repository}@${d}`)) || children.some((d) => !this.manifests.has(`${repository}@${d}`))) {
      return respond(400, {}, errorBody('MANIFEST_BLOB_UNKNOWN', 'blob unknown to registry'));
    }
    const stored = { mediaType, bytes: body };
    this.manifests.set(`${repository}@${digest}`, stored);
    if (!reference.includes(':')) this.manifests.set(`${repository}:${reference}`, stored);
    return respond(201, { location: `/v2/${repository}/manifests/${digest}`, 'docker-content-digest': digest });
  }

  #tags(repository: string, respond: (status: number, headers?: Record<string, string>, body?: Buffer) => HttpResponse): HttpResponse {
    const prefix = `${repository}:`;
    const tags = [...this.manifests.keys()].filter((k) => k.startsWith(prefix) && !k.slice(prefix.length).includes(':')).map((k) => k.slice(prefix.length));
    if (!tags.length && ![...this.manifests.keys(), ...this.blobs.keys()].some((k) => k.startsWith(`${repository}@`))) {
      return respond(404, {}, errorBody('NAME_UNKNOWN', 'repository name not known to registry'));
    }
    return respond(200, { 'content-type': 'application/json' }, Buffer.from(JSON.stringify({ name: repository, tags: tags.sort() })));
  }

  /** Every manifest of the repository whose subject is `digest`, as an index; the artifact type falls back to the config's media type. */
  #referrers(repository: string, digest: string, respond: (status: number, headers?: Record<string, string>, body?: Buffer) => HttpResponse): HttpResponse {
    const manifests = [];
    for (const [key, stored] of this.manifests) {
      if (!key.startsWith(`${repository}@`)) continue;
      const document = JSON.parse(stored.bytes.toString('utf8')) as { subject?: { digest?: string }; artifactType?: string; config?: { mediaType?: string } };
      if (document.subject?.digest !== digest) continue;
      const artifactType = document.artifactType ?? document.config?.mediaType;
      manifests.push({ mediaType: stored.mediaType, digest: sha256(stored.bytes), size: stored.bytes.length, ...(artifactType ? { artifactType } : {}) });
    }
    const index = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests };
    return respond(200, { 'content-type': 'application/vnd.oci.image.index.v1+json' }, Buffer.from(JSON.stringify(index)));
  }

  /** Tokens issued so far (the token server's successful answers). */
  tokensIssued(): number {
    return this.#tokens.size;
  }

  /** Every token issued so far expires now, as tokens do in the middle of a long run. */
  expireTokens(): void {
    for (const token of this.#tokens.values()) token.usesLeft = 0;
  }

  /** Like distribution's token auth: a token names what it grants and is refused with `insufficient_scope` for anything else. */
  #authorize(request: HttpRequest, url: URL): string | undefined {
    const header = request.headers.authorization;
    const auth = this.auth;
    if (auth.kind === 'none') return undefined;
    if (auth.kind === 'basic') {
      const expected = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
      return header === expected ? undefined : (auth.challenge ?? 'Basic realm="fake"');
    }
    const repository = /^\/v2\/(.+?)\/(?:manifests|blobs|tags|referrers)\//.exec(url.pathname)?.[1];
    const action = request.method === 'GET' || request.method === 'HEAD' ? 'pull' : 'push';
    const scope = repository ? `,scope="repository:${repository}:${action === 'pull' ? 'pull' : 'pull,push'}"` : '';
    const challenge = `Bearer realm="https://${this.host}/token",service="fake-registry"${scope}`;
    const token = header?.startsWith('Bearer ') ? this.#tokens.get(header.slice('Bearer '.length)) : undefined;
    if (!header) return challenge;
    if (!token || token.usesLeft <= 0) return `${challenge},error="invalid_token"`;
    if (repository && !token.grants.has(`${repository}:${action}`)) return `${challenge},error="insufficient_scope"`;
    token.usesLeft--;
    return undefined;
  }

  #token(request: HttpRequest, respond: (status: number, headers?: Record<string, string>, body?: Buffer) => HttpResponse): HttpResponse {
    const auth = this.auth;
    if (auth.kind !== 'bearer') return respond(404);
    if (auth.username !== undefined) {
      const expected = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
      if (request.headers.authorization !== expected) return respond(401, {}, Buffer.from('{"details":"incorrect username or password"}'));
    }
    // Like distribution's token servers: a valid login gets a token for what it may do, possibly nothing.
    const grants = new Set<string>();
    for (const scope of new URL(request.url).searchParams.getAll('scope')) {
      const m = /^repository:(.+):([a-z,*]+)$/.exec(scope);
      if (!m) continue;
      const allowed = auth.access?.(m[1]!) ?? ['pull', 'push'];
      for (const action of m[2]!.split(',')) if ((allowed as readonly string[]).includes(action)) grants.add(`${m[1]}:${action}`);
    }
    const token = `fake-token-${this.#tokens.size + 1}`;
    this.#tokens.set(token, { grants, usesLeft: auth.tokenUses ?? Number.POSITIVE_INFINITY });
    return respond(200, { 'content-type': 'application/json' }, Buffer.from(JSON.stringify({ token, expires_in: 300 })));
  }
}

import { createLimit, DEFAULT_RETRY_POLICY, retryDelayMs, sleep, type ImageReference, type RetryPolicy } from '@falco-airgap/core';
import { RegistryAuth } from './auth.ts';
import type { BlobCache } from './blob-cache.ts';
import { digestOf, verifyBytes } from './digest.ts';
import type { CredentialSource } from './docker-config.ts';
import { ExtractError, ExtractErrorCode, isExtractError } from './errors.ts';
import { ACCEPT_MANIFESTS } from './media-types.ts';
import { parseManifestDocument, type Descriptor, type ManifestDocument } from './oci-index.ts';
import { isRetryableNetworkError, isRetryableStatus } from './retry.ts';
import type { HttpResponse, HttpTransport } from './transport.ts';

/** Manifests and indexes larger than this are refused before reading them whole. */
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
const MAX_REDIRECTS = 5;

export interface RegistryClientOptions {
  transport: HttpTransport;
  credentials: CredentialSource;
  cache: BlobCache;
  /** Registries (host[:port]) to talk plain HTTP to; everything else is HTTPS. */
  plainHttp?: readonly string[];
  retry?: RetryPolicy;
  /** Blob downloads at once, over all repositories. */
  concurrency?: number;
  userAgent?: string;
  /** Replaceable so tests do not wait out real backoff. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** Where a repository lives. */
export interface RepositoryLocation {
  registry: string;
  repository: string;
}

export interface FetchedManifest {
  digest: string;
  size: number;
  bytes: Buffer;
  document: ManifestDocument;
}

export interface BlobFetchOptions {
  signal?: AbortSignal | undefined;
  onProgress?: ((loaded: number, total: number) => void) | undefined;
}

export interface FetchedBlob {
  path: string;
  /** False when the cache already held it: no byte crossed the network. */
  downloaded: boolean;
}

/**
 * The pull side of the OCI distribution API: tags to digests, manifests and blobs, each verified
 * against its digest while streaming, cached by digest, with auth, retries and resumed downloads.
 */
export class RegistryClient {
  readonly #options: RegistryClientOptions;
  readonly #auth: RegistryAuth;
  readonly #policy: RetryPolicy;
  readonly #limit: <T>(task: () => Promise<T>) => Promise<T>;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly #userAgent: string;
  /** A tag resolves once per client: every platform of a run sees the same digest. */
  readonly #resolved = new Map<string, Promise<FetchedManifest>>();
  readonly #inFlight = new Map<string, Promise<FetchedBlob>>();

  constructor(options: RegistryClientOptions) {
    this.#options = options;
    this.#userAgent = options.userAgent ?? 'falco-airgap';
    this.#auth = new RegistryAuth({ credentials: options.credentials, transport: options.transport, userAgent: this.#userAgent });
    this.#policy = options.retry ?? DEFAULT_RETRY_POLICY;
    this.#limit = createLimit(options.concurrency ?? 4);
    this.#sleep = options.sleep ?? sleep;
  }

  /** Tag or digest to a verified manifest or index. A digest in the reference wins over its tag. */
  resolve(reference: ImageReference, signal?: AbortSignal): Promise<FetchedManifest> {
    const key = `${reference.registry}/${reference.repository}:${reference.tag ?? ''}@${reference.digest ?? ''}`;
    let pending = this.#resolved.get(key);
    if (!pending) {
      pending = this.#resolveUncached(reference, signal);
      this.#resolved.set(key, pending);
      // Forget a failed resolution so a later call retries; callers still get the rejection.
      pending.catch(() => this.#resolved.delete(key));
    }
    return pending;
  }

  async #resolveUncached(reference: ImageReference, signal?: AbortSignal): Promise<FetchedManifest> {
    const location = { registry: reference.registry, repository: reference.repository };
    if (reference.digest) return this.manifest(location, reference.digest, undefined, signal);
    const tag = reference.tag!;
    const path = `/v2/${reference.repository}/manifests/${tag}`;
    const head = await this.#send(location, 'HEAD', path, { accept: ACCEPT_MANIFESTS }, signal);
    await head.discard();
    if (head.status === 404) throw unknownTag(reference);
    if (head.status !== 200) throw this.#statusError(location, 'HEAD', path, head.status);
    const digest = head.headers['docker-content-digest'];
    const length = Number(head.headers['content-length']);
    if (digest && /^sha(256|512):[a-f0-9]+$/.test(digest))
      return this.manifest(location, digest, Number.isSafeInteger(length) && length > 0 ? length : undefined, signal);
    // Some registries omit the digest on HEAD: fetch by tag and hash what we got.
    const fetched = await this.#getManifest(location, tag, signal);
    if (fetched.status === 404) throw unknownTag(reference);
    const computed = digestOf(fetched.bytes);
    await this.#options.cache.put(computed, fetched.bytes);
    return {
      digest: computed,
      size: fetched.bytes.length,
      bytes: fetched.bytes,
      document: parseManifestDocument(fetched.bytes, fetched.contentType, `${reference.repository}:${tag}`),
    };
  }

  /** A manifest or index by digest, from the cache when it is there. */
  async manifest(location: RepositoryLocation, digest: string, size: number | undefined, signal?: AbortSignal): Promise<FetchedManifest> {
    const what = `${location.repository}@${digest}`;
    const cache = this.#options.cache;
    const cached = size !== undefined ? await cache.read(digest, size) : undefined;
    if (cached) return { digest, size: cached.length, bytes: cached, document: parseManifestDocument(cached, undefined, what) };
    if (size !== undefined && size > MAX_MANIFEST_BYTES) throw tooLarge(what, size);
    const fetched = await this.#getManifest(location, digest, signal);
    if (fetched.status === 404) {
      throw new ExtractError(
        ExtractErrorCode.RegistryError,
        `${location.registry} has no manifest ${what}`,
        'the registry lost content that an index or the lock names; republish it or re-resolve the tag',
      );
    }
    verifyBytes(fetched.bytes, digest, size, `manifest ${what}`);
    await cache.put(digest, fetched.bytes);
    return { digest, size: fetched.bytes.length, bytes: fetched.bytes, document: parseManifestDocument(fetched.bytes, fetched.contentType, what) };
  }

  /** Makes sure a blob is in the cache, verified, and returns its path. Downloads resume after a reset. */
  async fetchBlob(location: RepositoryLocation, descriptor: Descriptor, options: BlobFetchOptions = {}): Promise<FetchedBlob> {
    // Two platforms sharing a config blob download it once; the second caller waits for the first.
    const inFlight = this.#inFlight.get(descriptor.digest);
    if (inFlight) {
      const fetched = await inFlight;
      options.onProgress?.(descriptor.size, descriptor.size);
      return { ...fetched, downloaded: false };
    }
    const pending = this.#download(location, descriptor, options);
    this.#inFlight.set(descriptor.digest, pending);
    try {
      return await pending;
    } finally {
      this.#inFlight.delete(descriptor.digest);
    }
  }

  #download(location: RepositoryLocation, descriptor: Descriptor, options: BlobFetchOptions): Promise<FetchedBlob> {
    return this.#limit(async () => {
      const cache = this.#options.cache;
      if (await cache.has(descriptor.digest, descriptor.size)) {
        options.onProgress?.(descriptor.size, descriptor.size);
        return { path: cache.path(descriptor.digest), downloaded: false };
      }
      const what = `blob ${descriptor.digest} of ${location.repository}`;
      const writer = await cache.writer(descriptor.digest, descriptor.size, what);
      const path = `/v2/${location.repository}/blobs/${descriptor.digest}`;
      try {
        for (let attempt = 1; ; attempt++) {
          const from = writer.received;
          const res = await this.#send(location, 'GET', path, from > 0 ? { range: `bytes=${from}-` } : {}, options.signal);
          if (res.status === 404) {
            await res.discard();
            throw new ExtractError(
              ExtractErrorCode.RegistryError,
              `${location.registry} has no ${what}, though a manifest names it`,
              'the registry is missing content; republish the artifact',
            );
          }
          if (res.status === 206 && from > 0 && (res.headers['content-range'] ?? '').startsWith(`bytes ${from}-`)) {
            // resumed where the last attempt stopped
          } else if (res.status === 200 || res.status === 206) {
            if (from > 0) await writer.restart();
          } else {
            await res.discard();
            throw this.#statusError(location, 'GET', path, res.status);
          }
          try {
            for await (const chunk of res.body) {
              await writer.write(chunk);
              options.onProgress?.(writer.received, descriptor.size);
            }
          } catch (error) {
            if (isExtractError(error) || options.signal?.aborted) throw error;
            if (!isRetryableNetworkError(error) || attempt >= this.#policy.attempts) throw unreachable(location, `GET ${path}`, error, attempt);
            await this.#sleep(retryDelayMs(this.#policy, attempt + 1), options.signal);
            continue;
          }
          return { path: await writer.commit(), downloaded: true };
        }
      } catch (error) {
        await writer.abort();
        throw error;
      }
    });
  }

  async #getManifest(
    location: RepositoryLocation,
    reference: string,
    signal?: AbortSignal,
  ): Promise<{ status: number; bytes: Buffer; contentType: string | undefined }> {
    const path = `/v2/${location.repository}/manifests/${reference}`;
    const res = await this.#send(location, 'GET', path, { accept: ACCEPT_MANIFESTS }, signal);
    if (res.status === 404) {
      await res.discard();
      return { status: 404, bytes: Buffer.alloc(0), contentType: undefined };
    }
    if (res.status !== 200) {
      await res.discard();
      throw this.#statusError(location, 'GET', path, res.status);
    }
    const declared = Number(res.headers['content-length']);
    if (declared > MAX_MANIFEST_BYTES) {
      await res.discard();
      throw tooLarge(`${location.repository}:${reference}`, declared);
    }
    const chunks: Buffer[] = [];
    let total = 0;
    try {
      for await (const chunk of res.body) {
        total += chunk.length;
        if (total > MAX_MANIFEST_BYTES) throw tooLarge(`${location.repository}:${reference}`, total);
        chunks.push(Buffer.from(chunk));
      }
    } catch (error) {
      if (isExtractError(error)) throw error;
      throw unreachable(location, `GET ${path}`, error, 1);
    }
    return { status: 200, bytes: Buffer.concat(chunks), contentType: res.headers['content-type'] };
  }

  /** One request with auth, retries on 429/5xx/resets, and redirects (credentials stay on the registry's origin). */
  async #send(
    location: RepositoryLocation,
    method: 'GET' | 'HEAD',
    path: string,
    headers: Record<string, string>,
    signal?: AbortSignal,
  ): Promise<HttpResponse> {
    const scope = `repository:${location.repository}:pull`;
    const origin = this.#origin(location.registry);
    let answered = false;
    for (let attempt = 1; ; attempt++) {
      let url = `${origin}${path}`;
      let res: HttpResponse | undefined;
      try {
        for (let redirects = 0; ; redirects++) {
          const sameOrigin = new URL(url).origin === origin;
          const authorization = sameOrigin ? this.#auth.header(location.registry, scope) : undefined;
          res = await this.#options.transport({
            method,
            url,
            headers: { 'user-agent': this.#userAgent, ...headers, ...(authorization ? { authorization } : {}) },
            signal,
          });
          const location_ = res.headers.location;
          if (![301, 302, 303, 307, 308].includes(res.status) || !location_) break;
          await res.discard();
          if (redirects >= MAX_REDIRECTS)
            throw new ExtractError(
              ExtractErrorCode.RegistryError,
              `${location.registry}: ${method} ${path} redirects more than ${MAX_REDIRECTS} times`,
              'check the registry',
            );
          url = new URL(location_, url).href;
        }
      } catch (error) {
        if (isExtractError(error) || signal?.aborted) throw error;
        if (!isRetryableNetworkError(error) || attempt >= this.#policy.attempts) throw unreachable(location, `${method} ${path}`, error, attempt);
        await this.#sleep(retryDelayMs(this.#policy, attempt + 1), signal);
        continue;
      }
      if (res.status === 401) {
        await res.discard();
        if (answered) {
          const why = (await this.#auth.hasCredentials(location.registry))
            ? 'the configured credentials were rejected'
            : 'it requires credentials and none are configured';
          throw new ExtractError(
            ExtractErrorCode.Unauthorized,
            `${location.registry} refused access to ${location.repository}: ${why}`,
            `log in with docker login ${location.registry} (extract reads ~/.docker/config.json, credHelpers and credsStore)`,
          );
        }
        await this.#auth.answer(location.registry, scope, res.headers['www-authenticate'], signal);
        answered = true;
        attempt--;
        continue;
      }
      if (isRetryableStatus(res.status) && attempt < this.#policy.attempts) {
        await res.discard();
        await this.#sleep(retryDelayMs(this.#policy, attempt + 1, res.headers['retry-after']), signal);
        continue;
      }
      return res;
    }
  }

  #origin(registry: string): string {
    const host = registry === 'docker.io' ? 'registry-1.docker.io' : registry;
    return `${this.#options.plainHttp?.includes(registry) ? 'http' : 'https'}://${host}`;
  }

  #statusError(location: RepositoryLocation, method: string, path: string, status: number): ExtractError {
    if (status === 403) {
      return new ExtractError(
        ExtractErrorCode.Unauthorized,
        `${location.registry} denied ${method} ${path} (403)`,
        `check that your account may pull ${location.repository}`,
      );
    }
    return new ExtractError(
      ExtractErrorCode.RegistryError,
      `${location.registry}: ${method} ${path} answered ${status}`,
      isRetryableStatus(status) ? 'the registry kept failing after retries; try again later' : 'check the reference and the registry',
    );
  }
}

function unknownTag(reference: ImageReference): ExtractError {
  return new ExtractError(
    ExtractErrorCode.UnknownTag,
    `${reference.registry}/${reference.repository}:${reference.tag} does not exist`,
    `check the version in the manifest; the tag must be published (falcoctl tags X.Y.Z, X.Y, X and latest)`,
  );
}

function tooLarge(what: string, size: number): ExtractError {
  return new ExtractError(
    ExtractErrorCode.BadManifest,
    `manifest ${what} is ${size} bytes, more than the ${MAX_MANIFEST_BYTES} a manifest may have`,
    'this is not a manifest; check the reference',
  );
}

const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
]);

function unreachable(location: RepositoryLocation, request: string, cause: unknown, attempts: number): ExtractError {
  let code: string | undefined;
  let message = String(cause);
  for (let e: unknown = cause, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    code ??= (e as NodeJS.ErrnoException).code;
    if ((e as NodeJS.ErrnoException).code && TLS_CODES.has((e as NodeJS.ErrnoException).code!)) code = (e as NodeJS.ErrnoException).code;
    message = e.message;
  }
  const tls = code !== undefined && TLS_CODES.has(code);
  const plain = /wrong version number|EPROTO|packet length too long/i.test(`${code} ${message}`);
  const hint = tls
    ? `the registry's certificate is not trusted: pass --ca-file with the CA that signed it`
    : plain
      ? `${location.registry} does not speak TLS: pass --plain-http ${location.registry} if it is a plain-HTTP registry you trust`
      : 'check the network, the registry address and the proxy settings';
  return new ExtractError(
    ExtractErrorCode.RegistryUnreachable,
    `${location.registry}: ${request} failed${attempts > 1 ? ` after ${attempts} attempts` : ''}: ${code ? `${code} ` : ''}${message}`,
    hint,
    cause,
  );
}

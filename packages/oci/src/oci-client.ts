import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { createLimit, DEFAULT_RETRY_POLICY, isDigest, retry, retryDelayMs, sleep, type ImageReference, type RetryPolicy } from '@falco-airgap/core';
import { challengeError, loginHint, RegistryAuth } from './auth.ts';
import type { BlobCache, BlobWriter } from './blob-cache.ts';
import { digestOf, verifyBytes } from './digest.ts';
import type { CredentialSource } from './docker-config.ts';
import { isOciError, OciError, OciErrorCode } from './errors.ts';
import { ACCEPT_MANIFESTS, MediaType } from './media-types.ts';
import { parseManifestDocument, type Descriptor, type ManifestDocument } from './oci-index.ts';
import { proxyFailure } from './proxy.ts';
import { canonicalRegistryHost, DOCKER_HUB, registryApiHost } from './registry-host.ts';
import { isRetryableNetworkError, isRetryableStatus } from './retry.ts';
import type { HttpMethod, HttpResponse, HttpTransport } from './transport.ts';

/** Manifests and indexes larger than this are refused before reading them whole. */
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
/** Largest blob `readBlob` holds in memory; bigger ones go through the cache with `fetchBlob`. */
const DEFAULT_MAX_READ_BYTES = 64 * 1024 * 1024;
const MAX_ERROR_BODY_BYTES = 64 * 1024;
const MAX_REDIRECTS = 5;
const MAX_TAG_PAGES = 100;
/** Reads of cached blobs: a few large reads instead of many small ones. */
const FILE_CHUNK_BYTES = 256 * 1024;
/** Blobs up to this size go up in one PUT; larger ones in PATCH chunks of this size. */
export const DEFAULT_CHUNK_SIZE = 16 * 1024 * 1024;

export interface RegistryClientOptions {
  transport: HttpTransport;
  credentials: CredentialSource;
  /** Where verified blobs and manifests are kept by digest; `fetchBlob` needs it. */
  cache?: BlobCache | undefined;
  /** Registries (host[:port], any spelling) to talk plain HTTP to; everything else is HTTPS. */
  plainHttp?: readonly string[] | undefined;
  retry?: RetryPolicy | undefined;
  /** Blob transfers at once, over all repositories. */
  concurrency?: number | undefined;
  userAgent?: string | undefined;
  /** Upload chunk size; blobs up to it are uploaded in one request. */
  chunkSize?: number | undefined;
  /** Releases what the client owns (e.g. the connection pool); called by `close()`. */
  onClose?: (() => Promise<void>) | undefined;
}

/** Where a repository lives; the registry in any spelling (`GHCR.io:443` is `ghcr.io`, `index.docker.io` is `docker.io`). */
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

/** What a HEAD of a manifest tells: its digest, size and media type, nothing downloaded. */
export interface ManifestHead {
  digest: string;
  size: number;
  mediaType: string | undefined;
}

export interface BlobFetchOptions {
  signal?: AbortSignal | undefined;
  onProgress?: ((loaded: number, total: number) => void) | undefined;
  /** Called before the download is tried again (a reset, a body cut short, a 429/5xx); `attempt` is the one about to start. */
  onRetry?: ((attempt: number, error: unknown) => void) | undefined;
}

/** A blob being read as it downloads (or from the cache). */
export interface OpenedBlob {
  /** The blob's bytes; fails instead of ending when they do not match the digest. */
  readable: Readable;
  /** False when the cache already held it: no byte crossed the network. */
  downloaded: boolean;
}

/** The right to download one blob; others wanting it wait until it is released. */
interface DownloadClaim {
  release(): void;
}

export interface FetchedBlob {
  path: string;
  /** False when the cache already held it: no byte crossed the network. */
  downloaded: boolean;
}

/** A small blob in memory, verified. */
export interface FetchedBlobBytes {
  bytes: Buffer;
  /** False when the cache already held it: no byte crossed the network. */
  downloaded: boolean;
}

/** A blob on disk to upload; read chunk by chunk, so it may be larger than memory. */
export interface BlobFile {
  path: string;
  size: number;
  digest: string;
}

/** A blob read piece by piece from anywhere (a range of an archive, parts of a split file); never held whole. */
export interface BlobReader {
  digest: string;
  size: number;
  /** Exactly `length` bytes from `offset`. */
  read(offset: number, length: number): Promise<Uint8Array>;
}

/** What to upload: bytes in memory (digest computed unless given), a file, or a reader, with known digest and size. */
export type BlobContent = Uint8Array | BlobFile | BlobReader;

export interface PutBlobOptions {
  /** The digest to announce; the bytes' sha256 by default. A wrong one makes the registry refuse the upload. */
  digest?: string | undefined;
  chunkSize?: number | undefined;
  signal?: AbortSignal | undefined;
}

export interface PushBlobOptions extends PutBlobOptions {
  /** A repository on the same registry that may hold the blob: the registry is asked to mount it from there. */
  mountFrom?: string | undefined;
}

export interface PushedBlob {
  digest: string;
  size: number;
  /** `present`: the registry had it; `mounted`: linked from `mountFrom`; `uploaded`: bytes were sent. */
  outcome: 'present' | 'mounted' | 'uploaded';
}

export interface ReferrersOptions {
  /** Only manifests of this artifact type (the registry may filter; the client always does). */
  artifactType?: string | undefined;
  signal?: AbortSignal | undefined;
}

/** What refers to a manifest, and where the list came from: the registry's referrers API or the referrers tag schema. */
export interface Referrers {
  descriptors: Descriptor[];
  source: 'api' | 'tag-schema';
}

interface SendOptions {
  headers?: Record<string, string> | undefined;
  body?: Uint8Array | undefined;
  /** The token scope the request needs, e.g. `repository:falcosecurity/falco:pull`. */
  scope: string;
  signal?: AbortSignal | undefined;
  /** Off inside an upload session: a failed request restarts the session, not itself. */
  retry?: boolean | undefined;
  onRetry?: ((attempt: number, error: unknown) => void) | undefined;
}

/** A 429/5xx answer to try again, carrying the server's Retry-After. */
class RetryableAnswer extends Error {
  readonly retryAfter: string | undefined;
  constructor(status: number, retryAfter: string | undefined) {
    super(`answered ${status}`);
    this.retryAfter = retryAfter;
  }
}

const pullScope = (location: RepositoryLocation) => `repository:${location.repository}:pull`;
const pushScope = (location: RepositoryLocation) => `repository:${location.repository}:pull,push`;

/**
 * The OCI distribution API, both ways: tags to digests, manifests and blobs verified against their
 * digests while streaming and cached by digest, resumed downloads; blob uploads (exists check,
 * cross-repository mount, monolithic or chunked) and manifest pushes. Auth, redirects and one
 * retry policy for every request.
 */
export class RegistryClient {
  readonly credentials: CredentialSource;
  readonly #options: RegistryClientOptions;
  readonly #auth: RegistryAuth;
  readonly #policy: RetryPolicy;
  readonly #limit: <T>(task: () => Promise<T>) => Promise<T>;
  readonly #userAgent: string;
  /** A tag resolves once per client: every platform of a run sees the same digest. */
  readonly #resolved = new Map<string, Promise<FetchedManifest>>();
  /** Blobs being downloaded, by digest: a second caller waits for the first. */
  readonly #inFlight = new Map<string, Promise<void>>();
  /** Small blobs being read into memory, by digest. */
  readonly #readsInFlight = new Map<string, Promise<Buffer>>();
  readonly #plainHttp: ReadonlySet<string>;

  constructor(options: RegistryClientOptions) {
    this.#options = options;
    this.credentials = options.credentials;
    this.#userAgent = options.userAgent ?? 'falco-airgap';
    this.#auth = new RegistryAuth({ credentials: options.credentials, transport: options.transport, userAgent: this.#userAgent });
    this.#policy = options.retry ?? DEFAULT_RETRY_POLICY;
    this.#limit = createLimit(options.concurrency ?? 4);
    this.#plainHttp = new Set((options.plainHttp ?? []).map(canonicalRegistryHost));
  }

  /** Releases the connections the client owns. */
  async close(): Promise<void> {
    await this.#options.cache?.settle();
    await this.#options.onClose?.();
  }

  /** Tag or digest to a verified manifest or index. A digest in the reference wins over its tag. */
  resolve(reference: ImageReference, signal?: AbortSignal): Promise<FetchedManifest> {
    reference = canonicalLocation(reference);
    const key = resolvedKey(reference.registry, reference.repository, reference.tag, reference.digest);
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
    // Docker Hub counts manifest GETs against its pull limit, HEADs not: there a cached manifest costs no pull.
    if (location.registry === DOCKER_HUB) {
      const head = await this.#headManifest(location, tag, signal);
      if (!head) throw unknownTag(reference);
      if (head !== 'no-digest') return this.manifest(location, head.digest, head.size > 0 ? head.size : undefined, signal);
    }
    // Elsewhere one GET by tag, not a HEAD and then a GET by digest: every artifact starts one round trip sooner.
    const fetched = await this.#getManifest(location, tag, signal);
    if (!fetched) throw unknownTag(reference);
    const what = `manifest ${reference.repository}:${tag}`;
    // The digest the registry announces must be the bytes' digest; registries that announce none get it computed.
    if (fetched.announcedDigest) verifyBytes(fetched.bytes, fetched.announcedDigest, undefined, what);
    const computed = fetched.announcedDigest ?? digestOf(fetched.bytes);
    this.#options.cache?.putInBackground(computed, fetched.bytes);
    return {
      digest: computed,
      size: fetched.bytes.length,
      bytes: fetched.bytes,
      document: parseManifestDocument(fetched.bytes, fetched.contentType, `${reference.repository}:${tag}`),
    };
  }

  /** A manifest or index by digest, from the cache when it is there. */
  async manifest(location: RepositoryLocation, digest: string, size: number | undefined, signal?: AbortSignal): Promise<FetchedManifest> {
    location = canonicalLocation(location);
    const what = `${location.repository}@${digest}`;
    const cache = this.#options.cache;
    const cached = size !== undefined && cache ? await cache.read(digest, size) : undefined;
    if (cached) return { digest, size: cached.length, bytes: cached, document: parseManifestDocument(cached, undefined, what) };
    if (size !== undefined && size > MAX_MANIFEST_BYTES) throw tooLarge(what, size);
    const fetched = await this.#getManifest(location, digest, signal);
    if (!fetched) {
      throw new OciError(
        OciErrorCode.ManifestUnknown,
        `${location.registry} has no manifest ${what}`,
        'the registry lost content that an index or a lock names; republish it or resolve the tag again',
      );
    }
    verifyBytes(fetched.bytes, digest, size, `manifest ${what}`);
    cache?.putInBackground(digest, fetched.bytes);
    return { digest, size: fetched.bytes.length, bytes: fetched.bytes, document: parseManifestDocument(fetched.bytes, fetched.contentType, what) };
  }

  /** What a tag or digest points at, without downloading it; undefined when the registry does not know it. */
  async headManifest(location: RepositoryLocation, reference: string, signal?: AbortSignal): Promise<ManifestHead | undefined> {
    location = canonicalLocation(location);
    const head = await this.#headManifest(location, reference, signal);
    if (head !== 'no-digest') return head;
    const fetched = await this.#getManifest(location, reference, signal);
    return fetched && { digest: digestOf(fetched.bytes), size: fetched.bytes.length, mediaType: fetched.contentType };
  }

  async #headManifest(location: RepositoryLocation, reference: string, signal?: AbortSignal): Promise<ManifestHead | 'no-digest' | undefined> {
    const path = `/v2/${location.repository}/manifests/${reference}`;
    const res = await this.#send(location, 'HEAD', path, { headers: { accept: ACCEPT_MANIFESTS }, scope: pullScope(location), signal });
    await res.discard();
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw await this.#statusError(location, 'HEAD', path, res);
    const digest = res.headers['docker-content-digest'];
    if (!digest || !isDigest(digest)) return 'no-digest';
    const length = Number(res.headers['content-length']);
    return { digest, size: Number.isSafeInteger(length) && length >= 0 ? length : 0, mediaType: res.headers['content-type']?.split(';')[0]?.trim() };
  }

  /** Makes sure a blob is in the cache, verified, and returns its path. Downloads resume after a reset. */
  async fetchBlob(location: RepositoryLocation, descriptor: Descriptor, options: BlobFetchOptions = {}): Promise<FetchedBlob> {
    location = canonicalLocation(location);
    const cache = this.#requireCache('fetchBlob');
    const claim = await this.#claimDownload(descriptor, options);
    if (!claim) return { path: cache.path(descriptor.digest), downloaded: false };
    for await (const _chunk of this.#download(location, descriptor, options, claim)) {
      // Only the cache wants the bytes.
    }
    return { path: cache.path(descriptor.digest), downloaded: true };
  }

  /**
   * A blob's bytes as they arrive, for a caller that unpacks or hashes them while they download:
   * each byte once and in order, written to the cache on the way (served from the cache when it
   * holds the blob). The stream fails instead of ending when the bytes do not match the digest, so
   * nothing read from it may be trusted before it ended. Read it to its end or destroy it.
   */
  async openBlob(location: RepositoryLocation, descriptor: Descriptor, options: BlobFetchOptions = {}): Promise<OpenedBlob> {
    location = canonicalLocation(location);
    const cache = this.#requireCache('openBlob');
    const claim = await this.#claimDownload(descriptor, options);
    if (!claim) return { readable: createReadStream(cache.path(descriptor.digest), { highWaterMark: FILE_CHUNK_BYTES }), downloaded: false };
    const readable = Readable.from(this.#download(location, descriptor, options, claim), { objectMode: false });
    // A stream destroyed before its first read never runs the download, which would release the claim.
    readable.once('close', () => claim.release());
    return { readable, downloaded: true };
  }

  #requireCache(method: string): BlobCache {
    const cache = this.#options.cache;
    if (!cache) throw new TypeError(`${method} needs a blob cache: create the client with a cache (\`cacheDir\`)`);
    return cache;
  }

  /**
   * Undefined when the cache holds the blob, verified (after waiting for a download of it already
   * under way: two platforms sharing a config blob download it once); otherwise the caller's claim
   * to download it, which others wait for until it is released.
   */
  async #claimDownload(descriptor: Descriptor, options: BlobFetchOptions): Promise<DownloadClaim | undefined> {
    const cache = this.#requireCache('fetchBlob');
    for (let pending = this.#inFlight.get(descriptor.digest); pending; pending = this.#inFlight.get(descriptor.digest)) await pending;
    let settle!: () => void;
    const pending = new Promise<void>((resolve) => (settle = resolve));
    this.#inFlight.set(descriptor.digest, pending);
    let released = false;
    const claim: DownloadClaim = {
      release: () => {
        if (released) return;
        released = true;
        this.#inFlight.delete(descriptor.digest);
        settle();
      },
    };
    try {
      if (await cache.has(descriptor.digest, descriptor.size)) {
        claim.release();
        options.onProgress?.(descriptor.size, descriptor.size);
        return undefined;
      }
    } catch (error) {
      claim.release();
      throw error;
    }
    return claim;
  }

  /**
   * Downloads a blob into the cache, yielding each byte once as it arrives. A body cut short is asked
   * for again from where it stopped; a registry that answers with the whole body again has the bytes
   * already yielded skipped, and the digest of everything is checked before the generator ends.
   */
  async *#download(location: RepositoryLocation, descriptor: Descriptor, options: BlobFetchOptions, claim: DownloadClaim): AsyncGenerator<Buffer> {
    const cache = this.#requireCache('fetchBlob');
    const what = `blob ${descriptor.digest} of ${location.repository}`;
    const path = `/v2/${location.repository}/blobs/${descriptor.digest}`;
    let freeSlot = () => undefined as void;
    await new Promise<void>((acquired) => void this.#limit(() => new Promise<void>((free) => ((freeSlot = free), acquired()))));
    let writer: BlobWriter | undefined;
    let attempts = 0;
    try {
      writer = await cache.writer(descriptor.digest, descriptor.size, what);
      for (let attempt = 1; ; attempt++) {
        attempts = attempt;
        options.signal?.throwIfAborted();
        const from = writer.received;
        try {
          const headers: Record<string, string> = from > 0 ? { range: `bytes=${from}-` } : {};
          const res = await this.#send(location, 'GET', path, { headers, scope: pullScope(location), signal: options.signal, onRetry: options.onRetry });
          if (res.status === 404) {
            await res.discard();
            throw blobUnknown(location, `${what}, though a manifest names it`);
          }
          if (res.status !== 200 && res.status !== 206) throw await this.#statusError(location, 'GET', path, res);
          // A 200 (or a range that starts earlier) repeats bytes this download already has: they are skipped.
          const start = res.status === 206 ? Number(/^bytes (\d+)-/.exec(res.headers['content-range'] ?? '')?.[1] ?? NaN) : 0;
          if (!(start <= from)) {
            await res.discard();
            throw new OciError(
              OciErrorCode.RegistryError,
              `${location.registry}: GET ${path} answered a range that does not start at byte ${from}`,
              'check the registry',
            );
          }
          let skip = from - start;
          for await (const chunk of res.body as AsyncIterable<Buffer>) {
            let piece = chunk;
            if (skip > 0) {
              const dropped = Math.min(skip, piece.length);
              skip -= dropped;
              piece = piece.subarray(dropped);
              if (!piece.length) continue;
            }
            await writer.write(piece);
            options.onProgress?.(writer.received, descriptor.size);
            yield piece;
          }
          break;
        } catch (error) {
          if (isOciError(error) || !isRetryableNetworkError(error) || attempt >= this.#policy.attempts || options.signal?.aborted) throw error;
          options.onRetry?.(attempt + 1, error);
          await sleep(retryDelayMs(this.#policy, attempt + 1), options.signal);
        }
      }
      await writer.commit();
      writer = undefined;
    } catch (error) {
      throw this.#failure(location, `GET ${path}`, error, attempts, options.signal);
    } finally {
      // Reached also when the reader stops early: the partial download is dropped, never cached.
      await writer?.abort();
      freeSlot();
      claim.release();
    }
  }

  /** A blob read into memory and verified (configs and other small blobs); the cache serves it when it has it. */
  async readBlob(
    location: RepositoryLocation,
    descriptor: { digest: string; size?: number | undefined },
    options: { signal?: AbortSignal | undefined; maxBytes?: number | undefined } = {},
  ): Promise<Buffer> {
    return (await this.fetchBlobBytes(location, descriptor, options)).bytes;
  }

  /**
   * `readBlob`, saying whether the bytes crossed the network. A downloaded blob of known size is
   * cached without the caller waiting for the write.
   */
  async fetchBlobBytes(
    location: RepositoryLocation,
    descriptor: { digest: string; size?: number | undefined },
    options: BlobFetchOptions & { maxBytes?: number | undefined } = {},
  ): Promise<FetchedBlobBytes> {
    location = canonicalLocation(location);
    // Two platforms sharing a config read it once: the second caller gets the first one's bytes.
    const inFlight = this.#readsInFlight.get(descriptor.digest);
    const shared = inFlight && (await inFlight.catch(() => undefined));
    if (shared) {
      options.onProgress?.(shared.length, shared.length);
      return { bytes: shared, downloaded: false };
    }
    const reading = this.#readBlobUncached(location, descriptor, options);
    const bytes = reading.then((read) => read.bytes);
    // Its failure reaches this caller through `reading`; others waiting on it try for themselves.
    bytes.catch(() => undefined);
    this.#readsInFlight.set(descriptor.digest, bytes);
    try {
      const read = await reading;
      options.onProgress?.(read.bytes.length, read.bytes.length);
      return read;
    } finally {
      if (this.#readsInFlight.get(descriptor.digest) === bytes) this.#readsInFlight.delete(descriptor.digest);
    }
  }

  async #readBlobUncached(
    location: RepositoryLocation,
    descriptor: { digest: string; size?: number | undefined },
    options: BlobFetchOptions & { maxBytes?: number | undefined },
  ): Promise<FetchedBlobBytes> {
    const cache = this.#options.cache;
    const cached = descriptor.size !== undefined && cache ? await cache.read(descriptor.digest, descriptor.size) : undefined;
    if (cached) return { bytes: cached, downloaded: false };
    const what = `blob ${descriptor.digest} of ${location.repository}`;
    const path = `/v2/${location.repository}/blobs/${descriptor.digest}`;
    const res = await this.#send(location, 'GET', path, { scope: pullScope(location), signal: options.signal, onRetry: options.onRetry });
    if (res.status === 404) {
      await res.discard();
      throw blobUnknown(location, what);
    }
    if (res.status !== 200) throw await this.#statusError(location, 'GET', path, res);
    const limit = descriptor.size ?? options.maxBytes ?? DEFAULT_MAX_READ_BYTES;
    const bytes = await this.#readBody(location, `GET ${path}`, res, limit, () =>
      descriptor.size === undefined
        ? new OciError(OciErrorCode.SizeMismatch, `${what} is larger than ${limit} bytes`, 'read it with fetchBlob into the cache, or raise maxBytes')
        : new OciError(
            OciErrorCode.SizeMismatch,
            `${what} is larger than the ${limit} bytes its descriptor declares`,
            'the registry serves content that does not match the manifest; republish it',
          ),
    );
    verifyBytes(bytes, descriptor.digest, descriptor.size, what);
    if (descriptor.size !== undefined) cache?.putInBackground(descriptor.digest, bytes);
    return { bytes, downloaded: true };
  }

  /** Whether the repository holds the blob. */
  async blobExists(location: RepositoryLocation, digest: string, signal?: AbortSignal): Promise<boolean> {
    location = canonicalLocation(location);
    const path = `/v2/${location.repository}/blobs/${digest}`;
    const res = await this.#send(location, 'HEAD', path, { scope: pullScope(location), signal });
    await res.discard();
    if (res.status === 200) return true;
    if (res.status === 404) return false;
    throw await this.#statusError(location, 'HEAD', path, res);
  }

  /** The repository's tags, every page of them; none when the repository does not exist. */
  async tags(location: RepositoryLocation, signal?: AbortSignal): Promise<string[]> {
    location = canonicalLocation(location);
    const tags: string[] = [];
    let path: string | undefined = `/v2/${location.repository}/tags/list?n=1000`;
    for (let page = 0; path && page < MAX_TAG_PAGES; page++) {
      const res = await this.#send(location, 'GET', path, { scope: pullScope(location), signal });
      if (res.status === 404) {
        await res.discard();
        return tags;
      }
      if (res.status !== 200) throw await this.#statusError(location, 'GET', path, res);
      const body = await this.#readBody(location, `GET ${path}`, res, MAX_MANIFEST_BYTES, () =>
        tooLarge(`tag list of ${location.repository}`, MAX_MANIFEST_BYTES),
      );
      const json = parseJson(body) as { tags?: unknown } | undefined;
      if (!json || (json.tags !== null && json.tags !== undefined && !Array.isArray(json.tags))) {
        throw new OciError(OciErrorCode.RegistryError, `${location.registry}: the tag list of ${location.repository} is not valid JSON`, 'check the registry');
      }
      for (const tag of (json.tags as unknown[] | null | undefined) ?? []) if (typeof tag === 'string') tags.push(tag);
      // Link: </v2/...?last=x&n=1000>; rel="next"
      path = /<([^>]+)>\s*;\s*rel="?next"?/.exec(res.headers.link ?? '')?.[1];
    }
    return tags;
  }

  /**
   * The manifests that name `digest` as their subject, optionally only those of one artifact type:
   * from the referrers API, or where the registry has none (404) from the index that the referrers
   * tag schema keeps under `sha256-<hex>` in its place.
   */
  async referrers(location: RepositoryLocation, digest: string, options: ReferrersOptions = {}): Promise<Referrers> {
    location = canonicalLocation(location);
    const { signal, artifactType } = options;
    const wanted = (d: Descriptor) => artifactType === undefined || d.artifactType === artifactType;
    const what = `referrers of ${location.repository}@${digest}`;
    const descriptors: Descriptor[] = [];
    let path: string | undefined = `/v2/${location.repository}/referrers/${digest}${artifactType ? `?${new URLSearchParams({ artifactType })}` : ''}`;
    for (let page = 0; path && page < MAX_TAG_PAGES; page++) {
      const res = await this.#send(location, 'GET', path, { headers: { accept: MediaType.ociIndex }, scope: pullScope(location), signal });
      // Registries without the API answer 404 (distribution 2.x) or 400 for the unknown route.
      if (page === 0 && (res.status === 404 || res.status === 400)) {
        await res.discard();
        return { descriptors: (await this.#referrersTagIndex(location, digest, signal)).filter(wanted), source: 'tag-schema' };
      }
      if (res.status !== 200) throw await this.#statusError(location, 'GET', path, res);
      const body = await this.#readBody(location, `GET ${path}`, res, MAX_MANIFEST_BYTES, (total) => tooLarge(what, total));
      const document = parseManifestDocument(body, res.headers['content-type'], what);
      if (document.kind !== 'index')
        throw new OciError(OciErrorCode.BadManifest, `${what}: the registry answered a manifest, not an index`, 'check the registry');
      descriptors.push(...document.manifests.filter(wanted));
      path = /<([^>]+)>\s*;\s*rel="?next"?/.exec(res.headers.link ?? '')?.[1];
    }
    return { descriptors, source: 'api' };
  }

  async #referrersTagIndex(location: RepositoryLocation, digest: string, signal?: AbortSignal): Promise<Descriptor[]> {
    const head = await this.headManifest(location, digest.replace(':', '-'), signal);
    if (!head) return [];
    const fetched = await this.manifest(location, head.digest, head.size > 0 ? head.size : undefined, signal);
    return fetched.document.kind === 'index' ? fetched.document.manifests : [];
  }

  /**
   * Uploads exactly these bytes under this digest, with no exists check: one PUT up to the chunk
   * size, PATCH chunks above it. A failed session is started again under the retry policy.
   */
  async putBlob(location: RepositoryLocation, content: BlobContent, options: PutBlobOptions = {}): Promise<{ digest: string; size: number }> {
    location = canonicalLocation(location);
    const source = blobSource(content, options.digest);
    await this.#limit(() => this.#upload(location, source, options.chunkSize ?? this.#options.chunkSize ?? DEFAULT_CHUNK_SIZE, undefined, options.signal));
    return { digest: source.digest, size: source.size };
  }

  /** Uploads a blob unless the repository has it, mounting it from `mountFrom` when the registry can. */
  async pushBlob(location: RepositoryLocation, content: BlobContent, options: PushBlobOptions = {}): Promise<PushedBlob> {
    location = canonicalLocation(location);
    const source = blobSource(content, options.digest);
    const { digest, size } = source;
    if (await this.blobExists(location, digest, options.signal)) return { digest, size, outcome: 'present' };
    return this.#limit(async () => {
      let opened: string | undefined;
      if (options.mountFrom && options.mountFrom !== location.repository) {
        const path = `/v2/${location.repository}/blobs/uploads/?${new URLSearchParams({ mount: digest, from: options.mountFrom })}`;
        const scope = `${pushScope(location)} ${pullScope({ registry: location.registry, repository: options.mountFrom })}`;
        const res = await this.#send(location, 'POST', path, { scope, signal: options.signal });
        await res.discard();
        if (res.status === 201) return { digest, size, outcome: 'mounted' as const };
        // Not mountable: the registry opened an ordinary upload instead.
        if (res.status === 202 && res.headers.location) opened = new URL(res.headers.location, this.#url(location, path)).href;
        else throw await this.#statusError(location, 'POST', path, res);
      }
      await this.#upload(location, source, options.chunkSize ?? this.#options.chunkSize ?? DEFAULT_CHUNK_SIZE, opened, options.signal);
      return { digest, size, outcome: 'uploaded' as const };
    });
  }

  /**
   * Asks the registry to link a blob from another repository of the same registry, sending no bytes.
   * False when it will not (it then opens an upload, which is cancelled): the caller uploads instead.
   */
  async mountBlob(location: RepositoryLocation, digest: string, from: string, signal?: AbortSignal): Promise<boolean> {
    location = canonicalLocation(location);
    const path = `/v2/${location.repository}/blobs/uploads/?${new URLSearchParams({ mount: digest, from })}`;
    const scope = `${pushScope(location)} ${pullScope({ registry: location.registry, repository: from })}`;
    const res = await this.#send(location, 'POST', path, { scope, signal });
    await res.discard();
    if (res.status === 201) return true;
    if (res.status !== 202 || !res.headers.location) throw await this.#statusError(location, 'POST', path, res);
    const cancel = await this.#send(location, 'DELETE', new URL(res.headers.location, this.#url(location, path)).href, { scope, signal, retry: false });
    // A session the registry will not cancel expires on its own; nothing was written.
    await cancel.discard();
    return false;
  }

  async #upload(location: RepositoryLocation, source: ChunkSource, chunkSize: number, opened: string | undefined, signal?: AbortSignal): Promise<void> {
    const scope = pushScope(location);
    const octets = { 'content-type': 'application/octet-stream' };
    let attempts = 0;
    await retry(
      async (attempt) => {
        attempts = attempt;
        let url = attempt === 1 && opened ? opened : await this.#startUpload(location, signal);
        if (source.size <= chunkSize) {
          const body = await source.read(0, source.size);
          const res = await this.#send(location, 'PUT', withDigest(url, source.digest), { headers: octets, body, scope, signal, retry: false });
          await this.#expect(location, 'PUT', url, res, 201);
          return;
        }
        for (let offset = 0; offset < source.size; offset += chunkSize) {
          const body = await source.read(offset, Math.min(chunkSize, source.size - offset));
          const headers = { ...octets, 'content-range': `${offset}-${offset + body.length - 1}` };
          const res = await this.#send(location, 'PATCH', url, { headers, body, scope, signal, retry: false });
          await this.#expect(location, 'PATCH', url, res, 202);
          url = this.#uploadLocation(location, url, res);
        }
        const res = await this.#send(location, 'PUT', withDigest(url, source.digest), { scope, signal, retry: false });
        await this.#expect(location, 'PUT', url, res, 201);
      },
      { policy: this.#policy, signal, shouldRetry: isTransient },
    ).catch((error: unknown) => {
      throw this.#failure(location, `upload of ${source.digest} to ${location.repository}`, error, attempts, signal);
    });
  }

  async #startUpload(location: RepositoryLocation, signal?: AbortSignal): Promise<string> {
    const path = `/v2/${location.repository}/blobs/uploads/`;
    const res = await this.#send(location, 'POST', path, { scope: pushScope(location), signal, retry: false });
    await this.#expect(location, 'POST', path, res, 202);
    return this.#uploadLocation(location, this.#url(location, path), res);
  }

  #uploadLocation(location: RepositoryLocation, current: string, res: HttpResponse): string {
    const next = res.headers.location;
    if (!next) {
      throw new OciError(
        OciErrorCode.RegistryError,
        `${location.registry}: the upload to ${location.repository} gave no Location to continue at`,
        'check the registry',
      );
    }
    return new URL(next, current).href;
  }

  /**
   * PUTs exactly these bytes as a manifest or index under a tag or digest; nothing is checked, so
   * content a careful client would refuse can be published on purpose. Returns the digest.
   */
  async putManifest(location: RepositoryLocation, reference: string, bytes: Uint8Array, mediaType: string, signal?: AbortSignal): Promise<{ digest: string }> {
    location = canonicalLocation(location);
    const path = `/v2/${location.repository}/manifests/${reference}`;
    const res = await this.#send(location, 'PUT', path, { headers: { 'content-type': mediaType }, body: bytes, scope: pushScope(location), signal });
    await this.#expect(location, 'PUT', path, res, 201);
    // The tag may have moved: the next resolve must ask the registry again.
    this.#resolved.delete(resolvedKey(location.registry, location.repository, reference, undefined));
    const announced = res.headers['docker-content-digest'];
    return { digest: announced && isDigest(announced) ? announced : digestOf(bytes) };
  }

  async #expect(location: RepositoryLocation, method: string, url: string, res: HttpResponse, status: number): Promise<void> {
    if (res.status !== status) throw await this.#statusError(location, method, new URL(url, this.#origin(location.registry)).pathname, res);
    await res.discard();
  }

  async #getManifest(
    location: RepositoryLocation,
    reference: string,
    signal?: AbortSignal,
  ): Promise<{ bytes: Buffer; contentType: string | undefined; announcedDigest: string | undefined } | undefined> {
    const path = `/v2/${location.repository}/manifests/${reference}`;
    const res = await this.#send(location, 'GET', path, { headers: { accept: ACCEPT_MANIFESTS }, scope: pullScope(location), signal });
    if (res.status === 404) {
      await res.discard();
      return undefined;
    }
    if (res.status !== 200) throw await this.#statusError(location, 'GET', path, res);
    const declared = Number(res.headers['content-length']);
    if (declared > MAX_MANIFEST_BYTES) {
      await res.discard();
      throw tooLarge(`${location.repository}:${reference}`, declared);
    }
    const bytes = await this.#readBody(location, `GET ${path}`, res, MAX_MANIFEST_BYTES, (total) => tooLarge(`${location.repository}:${reference}`, total));
    const announced = res.headers['docker-content-digest'];
    return { bytes, contentType: res.headers['content-type'], announcedDigest: announced && isDigest(announced) ? announced : undefined };
  }

  /** Reads a body whole, refusing more than `limit` bytes. */
  async #readBody(location: RepositoryLocation, request: string, res: HttpResponse, limit: number, tooMuch: (total: number) => OciError): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let total = 0;
    try {
      for await (const chunk of res.body) {
        total += chunk.length;
        if (total > limit) throw tooMuch(total);
        chunks.push(Buffer.from(chunk));
      }
    } catch (error) {
      throw this.#failure(location, request, error, 1);
    }
    return Buffer.concat(chunks);
  }

  /** One request with auth, redirects (credentials stay on the registry's origin) and retries on 429/5xx and resets. */
  async #send(location: RepositoryLocation, method: HttpMethod, pathOrUrl: string, options: SendOptions): Promise<HttpResponse> {
    const url = this.#url(location, pathOrUrl);
    const policy = options.retry === false ? { ...this.#policy, attempts: 1 } : this.#policy;
    let answered = false;
    let attempts = 0;
    try {
      return await retry(
        async (attempt) => {
          attempts = attempt;
          for (;;) {
            const sent = this.#auth.header(location.registry, options.scope);
            const res = await this.#exchange(location, method, url, options);
            if (res.status === 401) {
              await res.discard();
              // The first 401 is a challenge, or a token that expired: answered once. A second one is final.
              if (answered) throw await this.#refused(location, method, res.headers['www-authenticate']);
              await this.#auth.answer(location.registry, options.scope, res.headers['www-authenticate'], sent, options.signal);
              answered = true;
              continue;
            }
            if (isRetryableStatus(res.status) && attempt < policy.attempts) {
              await res.discard();
              throw new RetryableAnswer(res.status, res.headers['retry-after']);
            }
            return res;
          }
        },
        {
          policy,
          signal: options.signal,
          shouldRetry: (error) =>
            error instanceof RetryableAnswer ? { retry: true, retryAfter: error.retryAfter } : !isOciError(error) && isRetryableNetworkError(error),
          onRetry: (error, attempt) => options.onRetry?.(attempt + 1, error),
        },
      );
    } catch (error) {
      throw this.#failure(location, `${method} ${new URL(url).pathname}`, error, attempts, options.signal);
    }
  }

  async #exchange(location: RepositoryLocation, method: HttpMethod, start: string, options: SendOptions): Promise<HttpResponse> {
    const origin = this.#origin(location.registry);
    let url = start;
    for (let redirects = 0; ; redirects++) {
      const authorization = new URL(url).origin === origin ? this.#auth.header(location.registry, options.scope) : undefined;
      const res = await this.#options.transport({
        method,
        url,
        headers: { 'user-agent': this.#userAgent, ...options.headers, ...(authorization ? { authorization } : {}) },
        body: options.body,
        signal: options.signal,
      });
      const next = res.headers.location;
      if (![301, 302, 303, 307, 308].includes(res.status) || !next) return res;
      await res.discard();
      if (redirects >= MAX_REDIRECTS) {
        throw new OciError(
          OciErrorCode.RegistryError,
          `${location.registry}: ${method} ${new URL(start).pathname} redirects more than ${MAX_REDIRECTS} times`,
          'check the registry',
        );
      }
      url = new URL(next, url).href;
    }
  }

  /** A 401 that answering the challenge did not cure: wrong credentials, none, or an account without access. */
  async #refused(location: RepositoryLocation, method: HttpMethod, wwwAuthenticate: string | undefined): Promise<OciError> {
    const withCredentials = await this.#auth.hasCredentials(location.registry);
    const access = method === 'GET' || method === 'HEAD' ? 'access to' : 'pushing to';
    const error = challengeError(wwwAuthenticate);
    if (withCredentials && error === 'insufficient_scope') return accessDenied(location, method, 401);
    const why = !withCredentials
      ? 'it requires credentials and none are configured'
      : error === 'invalid_token'
        ? 'it refused the token its token server had just issued (invalid_token)'
        : 'the configured credentials were rejected';
    return new OciError(
      OciErrorCode.Unauthorized,
      `${location.registry} refused ${access} ${location.repository}: ${why}`,
      withCredentials ? loginHint(location.registry) : `${loginHint(location.registry)}, or check that the repository exists`,
      undefined,
      { status: 401, registry: location.registry },
    );
  }

  /** Whatever a request failed with, as an OciError: aborts, network failures and our own errors. */
  #failure(location: RepositoryLocation, request: string, error: unknown, attempts: number, signal?: AbortSignal): OciError {
    if (isOciError(error)) return error;
    if (signal?.aborted) return new OciError(OciErrorCode.Aborted, `${location.registry}: ${request} was interrupted`, 'run it again to continue', error);
    return unreachable(location, request, error, attempts);
  }

  /** An unexpected answer as an OciError, with the registry's own error codes from the body. */
  async #statusError(location: RepositoryLocation, method: string, path: string, res: HttpResponse): Promise<OciError> {
    const { codes, detail } = await registryErrors(res, method);
    const details = { status: res.status, registryCodes: codes };
    const request = `${method} ${path}`;
    const answered = `${location.registry}: ${request} answered ${res.status}${detail ? ` (${detail})` : ''}`;
    if (res.status === 403 || codes.includes('DENIED') || codes.includes('UNAUTHORIZED')) {
      if (await this.#auth.hasCredentials(location.registry)) return accessDenied(location, method, res.status, codes);
      return new OciError(
        OciErrorCode.Unauthorized,
        `${location.registry} denied ${request} (${res.status}): it requires credentials and none are configured`,
        `${loginHint(location.registry)}, or check that the repository exists`,
        undefined,
        { ...details, registry: location.registry },
      );
    }
    if (codes.includes('DIGEST_INVALID')) {
      return new OciError(
        OciErrorCode.DigestMismatch,
        `${answered}: the content does not match its digest`,
        'the digest must be computed over exactly the bytes sent; do not use this content',
        undefined,
        details,
      );
    }
    if (codes.includes('SIZE_INVALID')) {
      return new OciError(
        OciErrorCode.SizeMismatch,
        `${answered}: the content does not have the declared size`,
        'send the size of the bytes',
        undefined,
        details,
      );
    }
    if (codes.includes('MANIFEST_BLOB_UNKNOWN') || codes.includes('BLOB_UNKNOWN')) {
      return new OciError(
        OciErrorCode.BlobUnknown,
        `${answered}: it names content the repository does not hold`,
        'push the blobs and child manifests before the manifest that names them',
        undefined,
        details,
      );
    }
    if (codes.includes('MANIFEST_INVALID') || codes.includes('MANIFEST_UNVERIFIED')) {
      return new OciError(OciErrorCode.BadManifest, `${answered}: the registry refuses the manifest`, 'check its media type and content', undefined, details);
    }
    return new OciError(
      OciErrorCode.RegistryError,
      answered,
      isRetryableStatus(res.status) ? 'the registry kept failing after retries; try again later' : 'check the reference and the registry',
      undefined,
      details,
    );
  }

  #url(location: RepositoryLocation, pathOrUrl: string): string {
    return pathOrUrl.startsWith('/') ? `${this.#origin(location.registry)}${pathOrUrl}` : pathOrUrl;
  }

  #origin(registry: string): string {
    return `${this.#plainHttp.has(registry) ? 'http' : 'https'}://${registryApiHost(registry)}`;
  }
}

export interface PushableBlob {
  descriptor: { digest: string };
  /** The bytes, or a file or reader they are uploaded from in chunks. */
  bytes: BlobContent;
}

export interface PushableManifest {
  descriptor: { mediaType: string; digest: string };
  bytes: Uint8Array;
}

/** An artifact or image as pushed: blobs, child manifests by digest, and a root (manifest or index) for the tags. */
export interface PushableArtifact {
  root: PushableManifest;
  manifests: readonly PushableManifest[];
  blobs: readonly PushableBlob[];
}

export interface PushReport {
  /** Digest of the root every tag now points at. */
  digest: string;
  blobsUploaded: number;
  blobsMounted: number;
  manifestsWritten: number;
  tagsWritten: string[];
}

export interface PushArtifactOptions {
  /** A repository on the same registry to mount blobs from. */
  mountFrom?: string | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * Pushes blobs, then child manifests by digest, then the root under each tag, exactly as given.
 * What the registry already holds is left alone, so pushing the same artifact twice writes nothing.
 */
export async function pushArtifact(
  client: RegistryClient,
  location: RepositoryLocation,
  artifact: PushableArtifact,
  tags: readonly string[],
  options: PushArtifactOptions = {},
): Promise<PushReport> {
  const { signal } = options;
  const report: PushReport = { digest: artifact.root.descriptor.digest, blobsUploaded: 0, blobsMounted: 0, manifestsWritten: 0, tagsWritten: [] };
  const pushed = await Promise.all(
    artifact.blobs.map((b) => client.pushBlob(location, b.bytes, { digest: b.descriptor.digest, mountFrom: options.mountFrom, signal })),
  );
  report.blobsUploaded = pushed.filter((b) => b.outcome === 'uploaded').length;
  report.blobsMounted = pushed.filter((b) => b.outcome === 'mounted').length;
  for (const m of artifact.manifests) {
    if ((await client.headManifest(location, m.descriptor.digest, signal))?.digest === m.descriptor.digest) continue;
    await client.putManifest(location, m.descriptor.digest, m.bytes, m.descriptor.mediaType, signal);
    report.manifestsWritten++;
  }
  for (const tag of tags) {
    if ((await client.headManifest(location, tag, signal))?.digest === report.digest) continue;
    await client.putManifest(location, tag, artifact.root.bytes, artifact.root.descriptor.mediaType, signal);
    report.tagsWritten.push(tag);
  }
  return report;
}

type ChunkSource = BlobReader;

function blobSource(content: BlobContent, digest: string | undefined): ChunkSource {
  if (content instanceof Uint8Array) {
    return { digest: digest ?? digestOf(content), size: content.length, read: async (offset, length) => content.subarray(offset, offset + length) };
  }
  if ('read' in content) return { digest: digest ?? content.digest, size: content.size, read: (offset, length) => content.read(offset, length) };
  return {
    digest: digest ?? content.digest,
    size: content.size,
    read: async (offset, length) => {
      const buffer = Buffer.alloc(length);
      const bytesRead = await open(content.path, 'r')
        .then((handle) => handle.read(buffer, 0, length, offset).finally(() => handle.close()))
        .then((read) => read.bytesRead)
        .catch((cause: Error) => {
          throw new OciError(OciErrorCode.UploadSource, `cannot read ${content.path}: ${cause.message}`, 'check the file given to upload', cause);
        });
      if (bytesRead !== length) {
        throw new OciError(
          OciErrorCode.UploadSource,
          `${content.path} ended at ${offset + bytesRead} bytes, but ${content.size} were to be uploaded`,
          'the file changed while it was uploaded; give its current size and digest',
        );
      }
      return buffer;
    },
  };
}

function withDigest(url: string, digest: string): string {
  const target = new URL(url);
  target.searchParams.append('digest', digest);
  return target.href;
}

/** The registry canonical, and Docker Hub's official images under `library/` as the API names them. */
function canonicalLocation<T extends RepositoryLocation>(location: T): T {
  const registry = canonicalRegistryHost(location.registry);
  const repository = registry === DOCKER_HUB && !location.repository.includes('/') ? `library/${location.repository}` : location.repository;
  return registry === location.registry && repository === location.repository ? location : { ...location, registry, repository };
}

/** Logged in, but the account may not pull (or push to) this repository; registries say so for one that does not exist, too. */
function accessDenied(location: RepositoryLocation, method: string, status: number, registryCodes: readonly string[] = []): OciError {
  const writing = method !== 'GET' && method !== 'HEAD';
  return new OciError(
    OciErrorCode.AccessDenied,
    `${location.registry} denied the configured account ${writing ? 'push' : 'pull'} access to ${location.repository} (${status})`,
    `grant the account ${writing ? 'push' : 'pull'} rights on ${location.repository}, or check the repository name (registries deny access to repositories that do not exist)`,
    undefined,
    { status, registryCodes, registry: location.registry },
  );
}

function resolvedKey(registry: string, repository: string, tag: string | undefined, digest: string | undefined): string {
  return `${registry}/${repository}:${tag ?? ''}@${digest ?? ''}`;
}

/** A failure a later attempt may not see: connection resets and 429/5xx answers. */
function isTransient(error: unknown): boolean {
  if (!isOciError(error)) return false;
  if (error.code === OciErrorCode.RegistryUnreachable) return isRetryableNetworkError(error.cause);
  return error.code === OciErrorCode.RegistryError && error.status !== undefined && isRetryableStatus(error.status);
}

/** The distribution spec's error body: `{"errors":[{"code":"DIGEST_INVALID","message":"..."}]}`. */
async function registryErrors(res: HttpResponse, method: string): Promise<{ codes: string[]; detail: string }> {
  if (method === 'HEAD') {
    await res.discard();
    return { codes: [], detail: '' };
  }
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of res.body) {
      chunks.push(Buffer.from(chunk));
      total += chunk.length;
      if (total >= MAX_ERROR_BODY_BYTES) break;
    }
  } catch (error) {
    // The status says what went wrong; a body cut short only loses the detail.
    return { codes: [], detail: `body unreadable: ${(error as Error).message}` };
  }
  const text = Buffer.concat(chunks).subarray(0, MAX_ERROR_BODY_BYTES).toString('utf8').trim();
  const json = parseJson(text) as { errors?: { code?: unknown; message?: unknown }[] } | undefined;
  const errors = Array.isArray(json?.errors) ? json.errors : [];
  const codes = errors.map((e) => (typeof e.code === 'string' ? e.code : '')).filter(Boolean);
  const detail = errors.length
    ? errors.map((e) => [e.code, e.message].filter((p) => typeof p === 'string' && p).join(': ')).join('; ')
    : text.slice(0, 200).replace(/\s+/g, ' ');
  return { codes, detail };
}

function parseJson(text: string | Buffer): unknown {
  try {
    return JSON.parse(text.toString());
  } catch {
    return undefined;
  }
}

function unknownTag(reference: ImageReference): OciError {
  return new OciError(
    OciErrorCode.UnknownTag,
    `${reference.registry}/${reference.repository}:${reference.tag} does not exist`,
    `check the version in the manifest; the tag must be published (falcoctl tags X.Y.Z, X.Y, X and latest)`,
  );
}

function blobUnknown(location: RepositoryLocation, what: string): OciError {
  return new OciError(OciErrorCode.BlobUnknown, `${location.registry} has no ${what}`, 'the registry is missing content; republish the artifact');
}

function tooLarge(what: string, size: number): OciError {
  return new OciError(
    OciErrorCode.BadManifest,
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

function unreachable(location: RepositoryLocation, request: string, cause: unknown, attempts: number): OciError {
  const atProxy = proxyFailure(`${location.registry}: ${request}`, cause, attempts);
  if (atProxy) return atProxy;
  let code: string | undefined;
  let message = String(cause);
  for (let e: unknown = cause, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    code ??= (e as NodeJS.ErrnoException).code;
    if ((e as NodeJS.ErrnoException).code && TLS_CODES.has((e as NodeJS.ErrnoException).code!)) code = (e as NodeJS.ErrnoException).code;
    message = e.message.trim();
  }
  const tls = code !== undefined && TLS_CODES.has(code);
  const plain = /wrong version number|EPROTO|packet length too long/i.test(`${code} ${message}`);
  const hint = tls
    ? "the registry's certificate is not trusted: pass `caFile` with the CA that signed it"
    : plain
      ? `${location.registry} does not speak TLS: pass \`plainHttp\` ${location.registry} if it is a plain-HTTP registry you trust`
      : 'check the network, the registry address and the proxy settings (`proxy`)';
  return new OciError(
    OciErrorCode.RegistryUnreachable,
    `${location.registry}: ${request} failed${attempts > 1 ? ` after ${attempts} attempts` : ''}: ${code ? `${code} ` : ''}${message}`,
    hint,
    cause,
  );
}

import { readFile } from 'node:fs/promises';
import type { RetryPolicy } from '@falco-airgap/core';
import { BlobCache } from './blob-cache.ts';
import { ANONYMOUS, DockerConfigCredentials, type CredentialSource } from './docker-config.ts';
import { OciError, OciErrorCode } from './errors.ts';
import { RegistryClient } from './oci-client.ts';
import type { ProxySettings } from './proxy.ts';
import { createHttpTransport, type HttpTransport } from './transport.ts';

export interface RegistryClientSetup {
  /** PEM file of a private CA to trust besides the public roots. */
  caFile?: string | undefined;
  /** PEM certificates to trust besides the public roots, given as text. */
  ca?: string | Buffer | undefined;
  /** Registries (host[:port]) to reach over plain HTTP. */
  plainHttp?: readonly string[] | undefined;
  /** Forward proxies as HTTPS_PROXY / HTTP_PROXY / NO_PROXY describe them; the caller reads the environment. Unused with `transport`. */
  proxy?: ProxySettings | undefined;
  /** Blob cache directory; without one, blobs can only be read into memory (`readBlob`). */
  cacheDir?: string | undefined;
  /** Directory of the docker config.json to read credentials from (auths, credHelpers, credsStore). */
  dockerConfigDir?: string | undefined;
  /** Credentials asked first; the docker config answers for hosts they do not know. */
  credentials?: CredentialSource | undefined;
  /** Blob transfers at once, and connections per origin. */
  concurrency?: number | undefined;
  retry?: RetryPolicy | undefined;
  /** A connection silent for this long is dropped and the request retried. */
  idleTimeoutMs?: number | undefined;
  /** Upload chunk size; blobs up to it go up in one request. */
  chunkSize?: number | undefined;
  /** Replaces the HTTP stack, e.g. with an in-memory registry in tests. */
  transport?: HttpTransport | undefined;
  userAgent?: string | undefined;
}

/**
 * A registry client built from plain settings: the CA file read and checked, the HTTP stack,
 * credentials from the given source and the docker config, and the blob cache. `close()` on the
 * client releases its connections.
 */
export async function createRegistryClient(setup: RegistryClientSetup = {}): Promise<RegistryClient> {
  const fromFile = setup.caFile ? await readCaFile(setup.caFile) : undefined;
  const ca = [fromFile, setup.ca?.toString()].filter(Boolean).join('\n') || undefined;
  const concurrency = setup.concurrency ?? 8;
  const http = setup.transport
    ? { transport: setup.transport, close: async () => undefined }
    : createHttpTransport({ ca, connections: concurrency, idleTimeoutMs: setup.idleTimeoutMs, proxy: setup.proxy });
  const dockerConfig = setup.dockerConfigDir ? new DockerConfigCredentials({ directory: setup.dockerConfigDir }) : undefined;
  return new RegistryClient({
    transport: http.transport,
    credentials: chainCredentials(setup.credentials, dockerConfig),
    cache: setup.cacheDir ? new BlobCache(setup.cacheDir) : undefined,
    plainHttp: setup.plainHttp ?? [],
    concurrency,
    retry: setup.retry,
    chunkSize: setup.chunkSize,
    userAgent: setup.userAgent,
    onClose: http.close,
  });
}

async function readCaFile(file: string): Promise<string> {
  const pem = await readFile(file, 'utf8').catch((cause: Error) => {
    throw new OciError(OciErrorCode.CaFile, `cannot read the CA file ${file}: ${cause.message}`, 'pass `caFile` with a readable PEM file', cause);
  });
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new OciError(OciErrorCode.CaFile, `${file} holds no PEM certificate`, 'pass `caFile` with the PEM CA certificate that signed the registry');
  }
  return pem;
}

/** Asks each source in turn; the first that knows the host answers. */
export function chainCredentials(...sources: (CredentialSource | undefined)[]): CredentialSource {
  const present = sources.filter((s): s is CredentialSource => s !== undefined);
  if (present.length <= 1) return present[0] ?? ANONYMOUS;
  return {
    async lookup(registry) {
      for (const source of present) {
        const found = await source.lookup(registry);
        if (found) return found;
      }
      return undefined;
    },
  };
}

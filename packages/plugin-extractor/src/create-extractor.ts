import type Dockerode from 'dockerode';
import { readFile } from 'node:fs/promises';
import { BlobCache, defaultCacheDirectory } from './blob-cache.ts';
import { DockerConfigCredentials, type CredentialSource } from './docker-config.ts';
import { ExtractError, ExtractErrorCode } from './errors.ts';
import { DirectImageSource } from './image-direct.ts';
import { DockerImageSource } from './image-docker.ts';
import { RegistryClient } from './oci-client.ts';
import type { ExtractPorts } from './extract.ts';
import type { RetryPolicy } from '@falco-airgap/core';
import type { TransferStats } from './staged.ts';
import { IMAGE_LAYER_LIMITS, type ArchiveLimits } from './tar-safety.ts';
import { createHttpTransport, type HttpTransport } from './transport.ts';

export interface ExtractorSetup {
  /** How images are read: straight from the registry (default) or through a Docker engine. */
  via?: 'direct' | 'docker';
  /** PEM file of a private CA to trust besides the public roots. */
  caFile?: string | undefined;
  /** Registries to reach over plain HTTP. */
  plainHttp?: readonly string[];
  /** Blob cache directory; $XDG_CACHE_HOME/falco-airgap/oci by default. */
  cacheDir?: string | undefined;
  /** Docker config directory for credentials; $DOCKER_CONFIG or ~/.docker by default. */
  dockerConfigDir?: string | undefined;
  credentials?: CredentialSource;
  /** DOCKER_HOST for --via docker (unix:// or tcp://); the usual default otherwise. */
  dockerHost?: string | undefined;
  imageLimits?: ArchiveLimits | undefined;
  concurrency?: number;
  retry?: RetryPolicy;
  /** Replaces the HTTP stack, e.g. with an in-memory registry in tests. */
  transport?: HttpTransport;
}

/** The ports `extract` needs, built the way the CLI wants them; `close()` releases connections. */
export async function createExtractorPorts(setup: ExtractorSetup = {}): Promise<ExtractPorts & { close(): Promise<void> }> {
  let ca: Buffer | undefined;
  if (setup.caFile) {
    ca = await readFile(setup.caFile).catch((cause: Error) => {
      throw new ExtractError(
        ExtractErrorCode.CaFile,
        `cannot read the CA file ${setup.caFile}: ${cause.message}`,
        'pass --ca-file with a readable PEM file',
        cause,
      );
    });
    if (!ca.toString('utf8').includes('-----BEGIN CERTIFICATE-----')) {
      throw new ExtractError(
        ExtractErrorCode.CaFile,
        `${setup.caFile} holds no PEM certificate`,
        'pass --ca-file with the PEM CA certificate that signed the registry',
      );
    }
  }
  const http = setup.transport
    ? { transport: setup.transport, close: async () => undefined }
    : createHttpTransport({ ca, connections: setup.concurrency ?? 8 });
  const credentials = setup.credentials ?? new DockerConfigCredentials({ directory: setup.dockerConfigDir });
  const stats: TransferStats = { blobsDownloaded: 0, blobsFromCache: 0 };
  const registry = new RegistryClient({
    transport: http.transport,
    credentials,
    cache: new BlobCache(setup.cacheDir ?? defaultCacheDirectory()),
    plainHttp: setup.plainHttp ?? [],
    concurrency: setup.concurrency ?? 8,
    retry: setup.retry,
    userAgent: 'falco-airgap-plugin-extractor',
  });
  const limits = setup.imageLimits ?? IMAGE_LAYER_LIMITS;
  let imageSource;
  if (setup.via === 'docker') {
    const { default: Dockerode } = await import('dockerode');
    imageSource = new DockerImageSource({ docker: new Dockerode(dockerOptions(setup.dockerHost)), client: registry, credentials, limits, stats });
  } else {
    imageSource = new DirectImageSource({ client: registry, limits, stats });
  }
  return { registry, imageSource, stats, close: http.close };
}

function dockerOptions(host: string | undefined): Dockerode.DockerOptions | undefined {
  const value = host ?? process.env.DOCKER_HOST;
  if (!value) return undefined;
  if (value.startsWith('unix://')) return { socketPath: value.slice('unix://'.length) };
  const url = new URL(value.replace(/^tcp:/, 'http:'));
  return { host: url.hostname, port: Number(url.port || 2375), protocol: 'http' };
}

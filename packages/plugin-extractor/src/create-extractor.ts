import { createDockerEngine, type ContainerEngine } from '@falco-airgap/container-engine';
import type { RetryPolicy } from '@falco-airgap/core';
import { createRegistryClient, type CredentialSource, type HttpTransport, type ProxySettings } from '@falco-airgap/oci';
import { toExtractError } from './errors.ts';
import { DirectImageSource } from './image-direct.ts';
import { DockerImageSource } from './image-docker.ts';
import type { ExtractPorts } from './extract.ts';
import type { TransferStats } from './staged.ts';
import { IMAGE_LAYER_LIMITS, type ArchiveLimits } from './tar-safety.ts';

export interface ExtractorSetup {
  /** How images are read: straight from the registry (default) or through a Docker engine. */
  via?: 'direct' | 'docker';
  /** PEM file of a private CA to trust besides the public roots. */
  caFile?: string | undefined;
  /** Registries to reach over plain HTTP. */
  plainHttp?: readonly string[];
  /** Forward proxies (HTTPS_PROXY, HTTP_PROXY, NO_PROXY as values) for registry requests. */
  proxy?: ProxySettings | undefined;
  /** Blob cache directory (`defaultCacheDirectory()` of @falco-airgap/oci gives the usual place). */
  cacheDir: string;
  /** Directory of the docker config.json to read credentials from (`defaultDockerConfigDirectory()`); none are read without it. */
  dockerConfigDir?: string | undefined;
  /** Credentials asked before the docker config. */
  credentials?: CredentialSource | undefined;
  /** The engine for `via: 'docker'`; built from `dockerHost` when absent. */
  engine?: ContainerEngine | undefined;
  /** Where the engine listens for `via: 'docker'` (a DOCKER_HOST-style unix:// or tcp:// value); the local socket by default. */
  dockerHost?: string | undefined;
  imageLimits?: ArchiveLimits | undefined;
  concurrency?: number | undefined;
  retry?: RetryPolicy | undefined;
  /** Replaces the HTTP stack, e.g. with an in-memory registry in tests. */
  transport?: HttpTransport | undefined;
}

/** The ports `extract` needs, built the way the CLI wants them; `close()` releases connections. */
export async function createExtractorPorts(setup: ExtractorSetup): Promise<ExtractPorts & { close(): Promise<void> }> {
  // Before any connection is opened: a host that cannot be read fails here with nothing to close.
  const engine = setup.via === 'docker' ? (setup.engine ?? createDockerEngine({ host: setup.dockerHost })) : undefined;
  const registry = await createRegistryClient({
    caFile: setup.caFile,
    plainHttp: setup.plainHttp ?? [],
    proxy: setup.proxy,
    cacheDir: setup.cacheDir,
    dockerConfigDir: setup.dockerConfigDir,
    credentials: setup.credentials,
    concurrency: setup.concurrency ?? 8,
    retry: setup.retry,
    transport: setup.transport,
    userAgent: 'falco-airgap-plugin-extractor',
  }).catch((error: unknown) => {
    throw toExtractError(error);
  });
  const credentials = registry.credentials;
  const stats: TransferStats = { blobsDownloaded: 0, blobsFromCache: 0 };
  const limits = setup.imageLimits ?? IMAGE_LAYER_LIMITS;
  let imageSource;
  if (engine) {
    imageSource = new DockerImageSource({ engine, client: registry, credentials, limits, stats });
  } else {
    imageSource = new DirectImageSource({ client: registry, limits, stats });
  }
  return { registry, imageSource, stats, close: () => registry.close() };
}

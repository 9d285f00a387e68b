export { createRegistryClient, chainCredentials, type RegistryClientSetup } from './create-registry-client.ts';
export {
  RegistryClient,
  pushArtifact,
  DEFAULT_CHUNK_SIZE,
  type RegistryClientOptions,
  type RepositoryLocation,
  type FetchedManifest,
  type FetchedBlob,
  type FetchedBlobBytes,
  type OpenedBlob,
  type BlobFetchOptions,
  type ManifestHead,
  type BlobContent,
  type BlobFile,
  type BlobReader,
  type PutBlobOptions,
  type PushBlobOptions,
  type PushedBlob,
  type PushableArtifact,
  type PushableBlob,
  type PushableManifest,
  type PushArtifactOptions,
  type PushReport,
  type Referrers,
  type ReferrersOptions,
} from './oci-client.ts';
export { OciError, OciErrorCode, isOciError, type OciErrorDetails } from './errors.ts';
export { BlobCache, defaultCacheDirectory, type BlobWriter } from './blob-cache.ts';
export { createHttpTransport, type HttpTransport, type HttpTransportOptions, type HttpRequest, type HttpResponse, type HttpMethod } from './transport.ts';
export { isRetryableNetworkError, isRetryableStatus } from './retry.ts';
export { ProxyPlan, type ProxyRoute, type ProxySettings } from './proxy.ts';
export { canonicalRegistryHost, registryApiHost, sameRegistry } from './registry-host.ts';
export {
  ANONYMOUS,
  DockerConfigCredentials,
  StaticCredentials,
  defaultDockerConfigDirectory,
  parseDockerConfig,
  dockerConfigCredentials,
  runDockerCredentialHelper,
  type CredentialSource,
  type CredentialHelperRunner,
  type DockerConfig,
  type RegistryCredentials,
} from './docker-config.ts';
export { challengeError, parseWwwAuthenticate, type Challenge } from './auth.ts';
export { DigestVerifier, digestOf, parseDigest, verifyBytes, type ParsedDigest } from './digest.ts';
export {
  digestOfLayoutPath,
  ImageLayout,
  imageLayoutIndex,
  imageLayoutMarker,
  layoutBlobPath,
  parseImageLayoutIndex,
  REF_NAME_ANNOTATION,
  refNameOf,
} from './oci-layout.ts';
export {
  findPlatform,
  parseDescriptor,
  parseManifestDocument,
  platformsOf,
  type Descriptor,
  type ImageIndex,
  type ImageManifest,
  type ManifestDocument,
} from './oci-index.ts';
export {
  Annotation,
  MediaType,
  ACCEPT_MANIFESTS,
  IMAGE_CONFIG_MEDIA_TYPES,
  IMAGE_LAYER_MEDIA_TYPES,
  INDEX_MEDIA_TYPES,
  MANIFEST_MEDIA_TYPES,
} from './media-types.ts';
export { copyArtifact, type CopiedBlobOutcome, type CopyOptions, type CopyReport } from './copy.ts';

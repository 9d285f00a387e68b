export { extract, LOCK_FILE, EXTRACTED_DIR, pluginPath, type ExtractRequest, type ExtractPorts, type ExtractResult, type ExtractedFile } from './extract.ts';
export { createExtractorPorts, type ExtractorSetup } from './create-extractor.ts';
export { ExtractError, ExtractErrorCode, isExtractError } from './errors.ts';
export type { ExtractEvent, ExtractTaskEvent, ExtractProgressEvent } from './events.ts';
export { RegistryClient, type RegistryClientOptions, type RepositoryLocation, type FetchedManifest, type FetchedBlob } from './oci-client.ts';
export { BlobCache, defaultCacheDirectory } from './blob-cache.ts';
export { createHttpTransport, type HttpTransport, type HttpRequest, type HttpResponse } from './transport.ts';
export {
  DockerConfigCredentials,
  StaticCredentials,
  parseDockerConfig,
  dockerConfigCredentials,
  type CredentialSource,
  type RegistryCredentials,
} from './docker-config.ts';
export { parseWwwAuthenticate } from './auth.ts';

export { parseManifestDocument, selectPlatform, type Descriptor, type ImageIndex, type ImageManifest } from './oci-index.ts';
export { MediaType } from './media-types.ts';
export { DirectImageSource } from './image-direct.ts';
export { DockerImageSource } from './image-docker.ts';
export type { ImageSource, ImageFileRequest, StagedImageFile } from './image-source.ts';
export { LayerTree } from './layer-apply.ts';
export { parseElf, type ElfFile } from './elf.ts';
export { checkPluginFile, REQUIRED_PLUGIN_SYMBOLS } from './plugin-check.ts';
export { ARTIFACT_LIMITS, IMAGE_LAYER_LIMITS, safeEntryPath, type ArchiveLimits } from './tar-safety.ts';
export { diffLocks, assertMatchesLock, formatLockChange, type LockChange } from './lock-writer.ts';
export type { TransferStats } from './staged.ts';

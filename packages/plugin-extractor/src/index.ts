export { extract, LOCK_FILE, EXTRACTED_DIR, pluginPath, type ExtractRequest, type ExtractPorts, type ExtractResult, type ExtractedFile } from './extract.ts';
export { createExtractorPorts, type ExtractorSetup } from './create-extractor.ts';
export { ExtractError, ExtractErrorCode, isExtractError } from './errors.ts';
export type {
  ExtractEvent,
  ExtractEventListener,
  ExtractItem,
  ExtractResolveEvent,
  ExtractBlobEvent,
  ExtractStageEvent,
  ExtractInstallEvent,
  ExtractWarningEvent,
  ExtractLockWaitEvent,
  ExtractRetryEvent,
} from './events.ts';
export { FalcoMediaType, FALCO_ARTIFACT_TYPES, type FalcoArtifactKind } from './media-types.ts';
export { DirectImageSource } from './image-direct.ts';
export { DockerImageSource } from './image-docker.ts';
export type { ImageSource, ImageFileRequest, StagedImageFile } from './image-source.ts';
export { LayerTree } from './layer-apply.ts';
export { parseElf, type ElfFile } from './elf.ts';
export { checkPluginFile, libraryApiVersion, REQUIRED_PLUGIN_SYMBOLS, type LibraryApiVersion, type PluginFileFacts } from './plugin-check.ts';
export { ApiVersionWarningCode, FALCO_PLUGIN_API_VERSIONS, establishApiVersion, falcoPluginApiVersion, type ApiVersionWarning } from './api-version.ts';
export { ARTIFACT_LIMITS, IMAGE_LAYER_LIMITS, safeEntryPath, type ArchiveLimits } from './tar-safety.ts';
export { DependencyWarningCode } from './dependencies.ts';
export { FALCO_ENGINE_VERSIONS, falcoEngineVersion } from './requirements.ts';
export { diffLocks, assertMatchesLock, formatLockChange, type LockChange } from './lock-writer.ts';
export type { TransferStats } from './staged.ts';
export {
  CosignFormat,
  checkSimpleSigning,
  parseSignatureKey,
  readSignatureKey,
  verifyArtifactSignature,
  type SignatureCheck,
  type SignatureKey,
  type VerifiedSignature,
} from './cosign-signature.ts';

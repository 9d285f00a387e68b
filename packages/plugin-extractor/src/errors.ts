import { FalcoAirgapError, type ErrorCategory } from '@falco-airgap/manifest';

/** Stable codes of everything extract can refuse or fail at; the category decides the exit code. */
export const ExtractErrorCode = {
  // input (exit 2): the manifest, the flags or the user's configuration
  BadReference: 'EXTRACT_BAD_REFERENCE',
  UnknownTag: 'EXTRACT_UNKNOWN_TAG',
  PlatformMissing: 'EXTRACT_PLATFORM_MISSING',
  ConfigMismatch: 'EXTRACT_CONFIG_MISMATCH',
  PathNotFound: 'EXTRACT_PATH_NOT_FOUND',
  Unauthorized: 'EXTRACT_UNAUTHORIZED',
  CredentialHelper: 'EXTRACT_CREDENTIAL_HELPER',
  DockerConfig: 'EXTRACT_DOCKER_CONFIG',
  CaFile: 'EXTRACT_CA_FILE',
  OutputDir: 'EXTRACT_OUTPUT_DIR',
  LockMissing: 'EXTRACT_LOCK_MISSING',
  // verification (exit 3): what came from the registry is not what it claims to be
  DigestMismatch: 'EXTRACT_DIGEST_MISMATCH',
  SizeMismatch: 'EXTRACT_SIZE_MISMATCH',
  TruncatedBlob: 'EXTRACT_TRUNCATED_BLOB',
  WrongMediaType: 'EXTRACT_WRONG_MEDIA_TYPE',
  BadManifest: 'EXTRACT_BAD_MANIFEST',
  BadArtifactConfig: 'EXTRACT_BAD_ARTIFACT_CONFIG',
  PluginApiVersion: 'EXTRACT_PLUGIN_API_VERSION',
  TarSlip: 'EXTRACT_TAR_SLIP',
  TarLink: 'EXTRACT_TAR_LINK',
  TarSpecialFile: 'EXTRACT_TAR_SPECIAL_FILE',
  TarDuplicate: 'EXTRACT_TAR_DUPLICATE',
  TarMalformed: 'EXTRACT_TAR_MALFORMED',
  TarTooLarge: 'EXTRACT_TAR_TOO_LARGE',
  TarTooManyEntries: 'EXTRACT_TAR_TOO_MANY_ENTRIES',
  UnexpectedLayerContent: 'EXTRACT_UNEXPECTED_LAYER_CONTENT',
  NotElf: 'EXTRACT_NOT_ELF',
  ElfMalformed: 'EXTRACT_ELF_MALFORMED',
  ElfWrongMachine: 'EXTRACT_ELF_WRONG_MACHINE',
  ElfMissingSymbols: 'EXTRACT_ELF_MISSING_SYMBOLS',
  LockDrift: 'EXTRACT_LOCK_DRIFT',
  // operational (exit 1): the network, the registry, the engine, the disk
  RegistryUnreachable: 'EXTRACT_REGISTRY_UNREACHABLE',
  RegistryError: 'EXTRACT_REGISTRY_ERROR',
  DockerEngine: 'EXTRACT_DOCKER_ENGINE',
  WriteFailed: 'EXTRACT_WRITE_FAILED',
  Aborted: 'EXTRACT_ABORTED',
} as const;
export type ExtractErrorCode = (typeof ExtractErrorCode)[keyof typeof ExtractErrorCode];

const CATEGORY: Record<ExtractErrorCode, ErrorCategory> = {
  EXTRACT_BAD_REFERENCE: 'input',
  EXTRACT_UNKNOWN_TAG: 'input',
  EXTRACT_PLATFORM_MISSING: 'input',
  EXTRACT_CONFIG_MISMATCH: 'input',
  EXTRACT_PATH_NOT_FOUND: 'input',
  EXTRACT_UNAUTHORIZED: 'input',
  EXTRACT_CREDENTIAL_HELPER: 'input',
  EXTRACT_DOCKER_CONFIG: 'input',
  EXTRACT_CA_FILE: 'input',
  EXTRACT_OUTPUT_DIR: 'input',
  EXTRACT_LOCK_MISSING: 'input',
  EXTRACT_DIGEST_MISMATCH: 'verification',
  EXTRACT_SIZE_MISMATCH: 'verification',
  EXTRACT_TRUNCATED_BLOB: 'verification',
  EXTRACT_WRONG_MEDIA_TYPE: 'verification',
  EXTRACT_BAD_MANIFEST: 'verification',
  EXTRACT_BAD_ARTIFACT_CONFIG: 'verification',
  EXTRACT_PLUGIN_API_VERSION: 'verification',
  EXTRACT_TAR_SLIP: 'verification',
  EXTRACT_TAR_LINK: 'verification',
  EXTRACT_TAR_SPECIAL_FILE: 'verification',
  EXTRACT_TAR_DUPLICATE: 'verification',
  EXTRACT_TAR_MALFORMED: 'verification',
  EXTRACT_TAR_TOO_LARGE: 'verification',
  EXTRACT_TAR_TOO_MANY_ENTRIES: 'verification',
  EXTRACT_UNEXPECTED_LAYER_CONTENT: 'verification',
  EXTRACT_NOT_ELF: 'verification',
  EXTRACT_ELF_MALFORMED: 'verification',
  EXTRACT_ELF_WRONG_MACHINE: 'verification',
  EXTRACT_ELF_MISSING_SYMBOLS: 'verification',
  EXTRACT_LOCK_DRIFT: 'verification',
  EXTRACT_REGISTRY_UNREACHABLE: 'operational',
  EXTRACT_REGISTRY_ERROR: 'operational',
  EXTRACT_DOCKER_ENGINE: 'operational',
  EXTRACT_WRITE_FAILED: 'operational',
  EXTRACT_ABORTED: 'operational',
};

/** The one error class of this package: a stable code, its category, and what to do next. */
export class ExtractError extends FalcoAirgapError {
  override name = 'ExtractError';
  declare readonly code: ExtractErrorCode;

  constructor(code: ExtractErrorCode, message: string, hint: string, cause?: unknown) {
    super(message, { code, category: CATEGORY[code], hint, cause });
  }
}

export function isExtractError(error: unknown, code?: ExtractErrorCode): error is ExtractError {
  return error instanceof ExtractError && (code === undefined || error.code === code);
}

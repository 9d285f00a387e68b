import { defineErrorCodes, FalcoAirgapError } from '@falco-airgap/core';
import { isOciError, OciErrorCode } from '@falco-airgap/oci';

/** Stable codes of everything extract can refuse or fail at; the category decides the exit code. */
const extractErrors = defineErrorCodes({
  input: {
    BadReference: 'EXTRACT_BAD_REFERENCE',
    UnknownTag: 'EXTRACT_UNKNOWN_TAG',
    PlatformMissing: 'EXTRACT_PLATFORM_MISSING',
    ConfigMismatch: 'EXTRACT_CONFIG_MISMATCH',
    PathNotFound: 'EXTRACT_PATH_NOT_FOUND',
    Unauthorized: 'EXTRACT_UNAUTHORIZED',
    AccessDenied: 'EXTRACT_ACCESS_DENIED',
    ProxyConfig: 'EXTRACT_PROXY_CONFIG',
    ProxyAuth: 'EXTRACT_PROXY_AUTH',
    CredentialHelper: 'EXTRACT_CREDENTIAL_HELPER',
    DockerConfig: 'EXTRACT_DOCKER_CONFIG',
    CaFile: 'EXTRACT_CA_FILE',
    OutputDir: 'EXTRACT_OUTPUT_DIR',
    LockMissing: 'EXTRACT_LOCK_MISSING',
    DependencyMissing: 'EXTRACT_DEPENDENCY_MISSING',
    DependencyIncompatible: 'EXTRACT_DEPENDENCY_INCOMPATIBLE',
    RequirementNotMet: 'EXTRACT_REQUIREMENT_NOT_MET',
    SignatureKey: 'EXTRACT_SIGNATURE_KEY',
  },
  verification: {
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
    SignatureMissing: 'EXTRACT_SIGNATURE_MISSING',
    SignatureInvalid: 'EXTRACT_SIGNATURE_INVALID',
    SignatureSubjectMismatch: 'EXTRACT_SIGNATURE_SUBJECT_MISMATCH',
  },
  operational: {
    RegistryUnreachable: 'EXTRACT_REGISTRY_UNREACHABLE',
    ProxyFailed: 'EXTRACT_PROXY_FAILED',
    RegistryError: 'EXTRACT_REGISTRY_ERROR',
    DockerEngine: 'EXTRACT_DOCKER_ENGINE',
    WriteFailed: 'EXTRACT_WRITE_FAILED',
    Aborted: 'EXTRACT_ABORTED',
  },
});
export const ExtractErrorCode = extractErrors.codes;
export type ExtractErrorCode = (typeof ExtractErrorCode)[keyof typeof ExtractErrorCode];

/** The one error class of this package: a stable code, its category, and what to do next. */
export class ExtractError extends FalcoAirgapError {
  override name = 'ExtractError';
  declare readonly code: ExtractErrorCode;

  constructor(code: ExtractErrorCode, message: string, hint: string, cause?: unknown) {
    super(message, { code, category: extractErrors.categoryOf(code), hint, cause });
  }
}

export function isExtractError(error: unknown, code?: ExtractErrorCode): error is ExtractError {
  return error instanceof ExtractError && (code === undefined || error.code === code);
}

/** What each registry failure is to extract; the table covers every OciErrorCode, so a new one cannot slip through. */
const FROM_OCI: Readonly<Record<OciErrorCode, ExtractErrorCode>> = {
  [OciErrorCode.Unauthorized]: ExtractErrorCode.Unauthorized,
  [OciErrorCode.AccessDenied]: ExtractErrorCode.AccessDenied,
  [OciErrorCode.ProxyConfig]: ExtractErrorCode.ProxyConfig,
  [OciErrorCode.ProxyAuth]: ExtractErrorCode.ProxyAuth,
  [OciErrorCode.ProxyFailed]: ExtractErrorCode.ProxyFailed,
  [OciErrorCode.CredentialHelper]: ExtractErrorCode.CredentialHelper,
  [OciErrorCode.DockerConfig]: ExtractErrorCode.DockerConfig,
  [OciErrorCode.CaFile]: ExtractErrorCode.CaFile,
  [OciErrorCode.UnknownTag]: ExtractErrorCode.UnknownTag,
  [OciErrorCode.UploadSource]: ExtractErrorCode.WriteFailed,
  [OciErrorCode.DigestMismatch]: ExtractErrorCode.DigestMismatch,
  [OciErrorCode.SizeMismatch]: ExtractErrorCode.SizeMismatch,
  [OciErrorCode.TruncatedBlob]: ExtractErrorCode.TruncatedBlob,
  [OciErrorCode.WrongMediaType]: ExtractErrorCode.WrongMediaType,
  [OciErrorCode.BadManifest]: ExtractErrorCode.BadManifest,
  [OciErrorCode.ManifestUnknown]: ExtractErrorCode.RegistryError,
  [OciErrorCode.BlobUnknown]: ExtractErrorCode.RegistryError,
  [OciErrorCode.RegistryUnreachable]: ExtractErrorCode.RegistryUnreachable,
  [OciErrorCode.RegistryError]: ExtractErrorCode.RegistryError,
  [OciErrorCode.Aborted]: ExtractErrorCode.Aborted,
  [OciErrorCode.CacheWrite]: ExtractErrorCode.WriteFailed,
};

/** A registry failure as extract reports it: same message and hint, the OciError kept as the cause. Anything else passes through. */
export function toExtractError(error: unknown): unknown {
  return isOciError(error) ? new ExtractError(FROM_OCI[error.code], error.message, error.hint, error) : error;
}

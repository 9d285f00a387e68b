import { defineErrorCodes, FalcoAirgapError } from '@falco-airgap/core';

/** Stable codes of everything talking to a registry can refuse or fail at; the category decides the exit code. */
const ociErrors = defineErrorCodes({
  input: {
    Unauthorized: 'OCI_UNAUTHORIZED',
    AccessDenied: 'OCI_ACCESS_DENIED',
    CredentialHelper: 'OCI_CREDENTIAL_HELPER',
    DockerConfig: 'OCI_DOCKER_CONFIG',
    CaFile: 'OCI_CA_FILE',
    UnknownTag: 'OCI_UNKNOWN_TAG',
    UploadSource: 'OCI_UPLOAD_SOURCE',
    ProxyConfig: 'OCI_PROXY_CONFIG',
    ProxyAuth: 'OCI_PROXY_AUTH',
  },
  verification: {
    DigestMismatch: 'OCI_DIGEST_MISMATCH',
    SizeMismatch: 'OCI_SIZE_MISMATCH',
    TruncatedBlob: 'OCI_TRUNCATED_BLOB',
    WrongMediaType: 'OCI_WRONG_MEDIA_TYPE',
    BadManifest: 'OCI_BAD_MANIFEST',
  },
  operational: {
    ManifestUnknown: 'OCI_MANIFEST_UNKNOWN',
    BlobUnknown: 'OCI_BLOB_UNKNOWN',
    RegistryUnreachable: 'OCI_REGISTRY_UNREACHABLE',
    ProxyFailed: 'OCI_PROXY_FAILED',
    RegistryError: 'OCI_REGISTRY_ERROR',
    Aborted: 'OCI_ABORTED',
    CacheWrite: 'OCI_CACHE_WRITE',
  },
});
export const OciErrorCode = ociErrors.codes;
export type OciErrorCode = (typeof OciErrorCode)[keyof typeof OciErrorCode];

export interface OciErrorDetails {
  /** The HTTP status the registry answered, when the failure is an answer. */
  status?: number | undefined;
  /** The registry's own error codes from the response body (`DIGEST_INVALID`, `MANIFEST_UNKNOWN`, ...). */
  registryCodes?: readonly string[] | undefined;
  /** The registry host (canonical) that refused the credentials, on `OCI_UNAUTHORIZED` and `OCI_ACCESS_DENIED`. */
  registry?: string | undefined;
}

/**
 * The one error class of this package: a stable code, its category, and what to do next. Hints
 * name options of this library in backticks (`caFile`, `plainHttp`, `cacheDir`, `dockerConfigDir`, `proxy`), never CLI flags.
 */
export class OciError extends FalcoAirgapError {
  override name = 'OciError';
  declare readonly code: OciErrorCode;
  declare readonly hint: string;
  readonly status: number | undefined;
  readonly registryCodes: readonly string[];
  readonly registry: string | undefined;

  constructor(code: OciErrorCode, message: string, hint: string, cause?: unknown, details: OciErrorDetails = {}) {
    super(message, { code, category: ociErrors.categoryOf(code), hint, cause });
    this.status = details.status;
    this.registryCodes = details.registryCodes ?? [];
    this.registry = details.registry;
  }
}

export function isOciError(error: unknown, code?: OciErrorCode): error is OciError {
  return error instanceof OciError && (code === undefined || error.code === code);
}

import { DeployError, DeployErrorCode } from './errors.ts';

const CREDENTIAL_ERRORS = new Set([
  'CredentialsProviderError',
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidSignatureException',
  'MissingAuthenticationToken',
]);
const ACCESS_DENIED_ERRORS = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation']);

interface SdkErrorShape {
  name?: string;
  message?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number; requestId?: string };
}

/** The name an AWS SDK error carries (`AccessDeniedException`, `CredentialsProviderError`, ...). */
export function awsErrorName(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null ? (error as SdkErrorShape).name : undefined;
}

/** An AWS SDK failure as a DeployError with a code the CLI maps to an exit code, the SDK error kept as the cause. */
export function fromAwsError(error: unknown, service: 'ECR' | 'EKS' | 'STS', action: string): DeployError {
  if (error instanceof DeployError) return error;
  const sdk = (typeof error === 'object' && error !== null ? error : {}) as SdkErrorShape;
  const name = sdk.name ?? 'Error';
  const detail = sdk.message ? `: ${sdk.message}` : '';
  const status = sdk.$metadata?.httpStatusCode;
  if (name === 'AbortError') {
    return new DeployError(DeployErrorCode.Aborted, `${service}: ${action} was interrupted`, 'run it again', error);
  }
  if (CREDENTIAL_ERRORS.has(name)) {
    return new DeployError(
      DeployErrorCode.AwsCredentials,
      `${service}: cannot ${action}: no valid AWS credentials (${name}${detail})`,
      'provide AWS credentials to the client: an IAM role (IRSA, instance profile), a profile, or access keys that have not expired',
      error,
    );
  }
  if (ACCESS_DENIED_ERRORS.has(name) || status === 403) {
    return new DeployError(
      DeployErrorCode.AwsAccessDenied,
      `${service}: access denied to ${action} (${name}${detail})`,
      `grant the caller's IAM role the ${service.toLowerCase()} permissions the deployer needs (see the README's IAM section)`,
      error,
    );
  }
  const where = status === undefined ? '' : ` (HTTP ${status})`;
  return new DeployError(
    DeployErrorCode.AwsFailed,
    `${service}: cannot ${action}: ${name}${detail}${where}`,
    sdk.$fault === 'server' ? 'AWS answered with a server error; try again later' : 'check the region, the network path to the AWS endpoint and the request',
    error,
  );
}

/** How long one AWS call may take unless the caller says otherwise; the SDK's own retries happen within it. */
export const DEFAULT_AWS_CALL_TIMEOUT_MS = 30_000;

export interface AwsCallOptions {
  signal?: AbortSignal | undefined;
  timeoutMs?: number | undefined;
}

/** Runs one SDK call bounded by a timeout and the caller's signal; failures come back as DeployErrors. */
export async function awsCall<T>(
  service: 'ECR' | 'EKS' | 'STS',
  action: string,
  options: AwsCallOptions,
  call: (abortSignal: AbortSignal) => Promise<T>,
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_AWS_CALL_TIMEOUT_MS;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  try {
    return await call(signal);
  } catch (error) {
    if (timeout.aborted && !options.signal?.aborted) {
      return Promise.reject(
        new DeployError(
          DeployErrorCode.AwsFailed,
          `${service}: cannot ${action}: no answer within ${Math.round(timeoutMs / 1000)}s`,
          'check the network path to the AWS endpoint (a VPC endpoint inside an air gap) and the region',
          error,
        ),
      );
    }
    throw fromAwsError(error, service, action);
  }
}

import { defineErrorCodes, FalcoAirgapError } from '@falco-airgap/core';
import type { Diagnosis } from './diagnose.ts';

/** Stable codes of everything deploying can refuse or fail at; the category decides the exit code. */
const deployErrors = defineErrorCodes({
  input: {
    Kubeconfig: 'DEPLOY_KUBECONFIG',
    UnknownContext: 'DEPLOY_UNKNOWN_CONTEXT',
    HelmNotFound: 'DEPLOY_HELM_NOT_FOUND',
    ChartRejected: 'DEPLOY_CHART_REJECTED',
    Timeout: 'DEPLOY_BAD_TIMEOUT',
    AwsCredentials: 'DEPLOY_AWS_CREDENTIALS',
    AwsAccessDenied: 'DEPLOY_AWS_ACCESS_DENIED',
    EksClusterNotFound: 'DEPLOY_EKS_CLUSTER_NOT_FOUND',
    EcrRepositoryName: 'DEPLOY_ECR_REPOSITORY_NAME',
  },
  operational: {
    ClusterUnreachable: 'DEPLOY_CLUSTER_UNREACHABLE',
    KubeApi: 'DEPLOY_KUBE_API',
    HelmFailed: 'DEPLOY_HELM_FAILED',
    HelmTimeout: 'DEPLOY_HELM_TIMEOUT',
    HelmLocked: 'DEPLOY_HELM_LOCKED',
    HelmTestFailed: 'DEPLOY_HELM_TEST_FAILED',
    RolloutFailed: 'DEPLOY_ROLLOUT_FAILED',
    EksClusterNotActive: 'DEPLOY_EKS_CLUSTER_NOT_ACTIVE',
    AwsFailed: 'DEPLOY_AWS_FAILED',
    DiagnosticsWrite: 'DEPLOY_DIAGNOSTICS_WRITE',
    Aborted: 'DEPLOY_ABORTED',
  },
});
export const DeployErrorCode = deployErrors.codes;
export type DeployErrorCode = (typeof DeployErrorCode)[keyof typeof DeployErrorCode];

export interface DeployErrorDetails {
  /** What the cluster showed when the deploy failed, with the likely cause; set on helm and rollout failures. */
  diagnosis?: Diagnosis | undefined;
  /** The diagnostics bundle written for this failure. */
  diagnosticsFile?: string | undefined;
}

/**
 * The one error class of this package: a stable code, its category, and what to do next. Hints
 * name options of this library in backticks (`kubeconfig`, `context`, `helmBinary`, `timeoutSeconds`), never CLI flags.
 */
export class DeployError extends FalcoAirgapError {
  override name = 'DeployError';
  declare readonly code: DeployErrorCode;
  declare readonly hint: string;
  readonly diagnosis: Diagnosis | undefined;
  readonly diagnosticsFile: string | undefined;

  constructor(code: DeployErrorCode, message: string, hint: string, cause?: unknown, details: DeployErrorDetails = {}) {
    super(message, { code, category: deployErrors.categoryOf(code), hint, cause });
    this.diagnosis = details.diagnosis;
    this.diagnosticsFile = details.diagnosticsFile;
  }

  /** The same failure with its diagnosis and bundle attached. */
  withDiagnostics(details: DeployErrorDetails): DeployError {
    return new DeployError(this.code, this.message, this.hint, this.cause, { ...details });
  }
}

export function isDeployError(error: unknown, code?: DeployErrorCode): error is DeployError {
  return error instanceof DeployError && (code === undefined || error.code === code);
}

/** The caller's signal aborted: report it as ours, keeping the reason as the cause. */
export function abortedError(signal: AbortSignal, what: string): DeployError {
  return new DeployError(
    DeployErrorCode.Aborted,
    `${what} was interrupted`,
    'run the deploy again; helm resumes from the last recorded revision',
    signal.reason,
  );
}

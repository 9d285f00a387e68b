export { DeployError, DeployErrorCode, isDeployError, type DeployErrorDetails } from './errors.ts';
export { awsErrorName, DEFAULT_AWS_CALL_TIMEOUT_MS, type AwsCallOptions } from './aws-errors.ts';
export {
  EcrCredentialSource,
  ecrRegistryHost,
  getEcrCredentials,
  parseAuthorizationData,
  type EcrCredentials,
  type EcrCredentialSourceOptions,
  type EcrCredentialsOptions,
} from './ecr-credentials.ts';
export {
  ensureRepositories,
  planRepositories,
  repositoryState,
  type EnsuredRepository,
  type EnsureRepositoriesOptions,
  type RepositoryAction,
  type RepositorySpec,
  type RepositoryState,
} from './ecr-repositories.ts';
export {
  CLUSTER_ID_HEADER,
  createEksToken,
  decodeEksToken,
  EKS_TOKEN_LIFETIME_MS,
  EKS_TOKEN_PREFIX,
  EksTokenProvider,
  type EksToken,
  type EksTokenOptions,
  type EksTokenProviderOptions,
} from './eks-token.ts';
export {
  connectEks,
  connectKubeconfig,
  describeEksCluster,
  eksKubeconfig,
  type ClusterConnection,
  type DescribeEksClusterOptions,
  type EksClusterInfo,
  type EksTarget,
  type HelmKubeconfig,
  type KubeconfigDocument,
  type KubeconfigTarget,
} from './cluster-connection.ts';
export { KubernetesCluster, NAMESPACE_LABELS, type ClusterPort, type KubernetesClusterOptions } from './cluster.ts';
export type * from './kube-objects.ts';
export { releaseSelector } from './kube-objects.ts';
export { classifyHelmFailure, type HelmPort, type HelmReleaseStatus, type HelmRevision, type HelmTestResult, type HelmUpgradeRequest } from './helm.ts';
export { HelmCli, type HelmCliOptions } from './helm-cli.ts';
export { chartReference, readChart, type ChartInfo } from './chart.ts';
export { readValuesSources } from './values-sources.ts';
export {
  computedValuesLayer,
  deployFingerprint,
  formatDeployPlan,
  planDeploy,
  valuesDigest,
  type ComputedValues,
  type DeployAction,
  type DeployPlan,
  type DeployPlanInput,
  type PinnedImage,
  type ValuesSource,
} from './deploy-plan.ts';
export {
  assessRollout,
  assessWorkload,
  isPodReady,
  waitForRollout,
  type PodReadiness,
  type RolloutState,
  type WaitForRolloutOptions,
  type WorkloadProgress,
} from './rollout.ts';
export { CAUSES, diagnose, releaseEvents, type Cause, type ContainerLog, type Diagnosis, type DiagnosticsSnapshot, type Finding } from './diagnose.ts';
export { collectDiagnostics, diagnoseFailure, writeDiagnostics, type CollectDiagnosticsOptions, type DiagnosticsBundle } from './diagnostics.ts';
export { deploy, type DeployEvent, type DeployOptions, type DeployPorts, type DeployResult } from './deploy.ts';
export { readReleaseStatus, type ReadReleaseStatusOptions, type ReleaseStatus } from './release-status.ts';

import type { Command } from 'commander';
import { resolve } from 'node:path';
import { CliError, CliErrorCode } from '../cli-error.ts';
import type { ResolvedEnvironment } from '../environment.ts';
import { parseDuration } from './duration.ts';
import { repeatable } from './repeatable.ts';

/** The cluster and release flags as commander parsed them. */
export interface ClusterFlags {
  kubeconfig?: string | undefined;
  kubeContext?: string | undefined;
  eksCluster?: string | undefined;
  region?: string | undefined;
  namespace: string;
  release: string;
}

/** Which cluster: kubeconfig files and a context, or an EKS cluster reached with an in-process token. */
export type ClusterTarget = { kind: 'kubeconfig'; files: string[]; context: string | undefined } | { kind: 'eks'; clusterName: string; region: string };

export const DEFAULT_NAMESPACE = 'falco';
export const DEFAULT_RELEASE = 'falco';

/**
 * Adds --kubeconfig, --kube-context, --eks-cluster, --region, --namespace and --release; the pipeline,
 * whose --region is the bucket's, names the cluster's region --eks-region.
 */
export function addClusterOptions(command: Command, { regionFlag = 'region' }: { regionFlag?: 'region' | 'eks-region' } = {}): Command {
  return command
    .option('--kubeconfig <file>', 'kubeconfig of the cluster (default: KUBECONFIG, then ~/.kube/config)')
    .option('--kube-context <name>', 'context of the kubeconfig to use (default: its current context)')
    .option('--eks-cluster <name>', 'an EKS cluster instead: endpoint and CA from DescribeCluster, a token signed here (no aws CLI, no kubeconfig)')
    .option(`--${regionFlag} <region>`, 'AWS region of the EKS cluster (default: AWS_REGION, then us-east-1)')
    .option('--namespace <name>', 'namespace of the release; created when missing', DEFAULT_NAMESPACE)
    .option('--release <name>', 'helm release name', DEFAULT_RELEASE);
}

/** The flags as a cluster to connect to; --eks-cluster and the kubeconfig flags exclude each other. */
export function clusterTarget(flags: ClusterFlags, environment: ResolvedEnvironment, cwd: string): ClusterTarget {
  if (flags.eksCluster !== undefined) {
    if (flags.kubeconfig !== undefined || flags.kubeContext !== undefined) {
      throw new CliError('--eks-cluster cannot be combined with --kubeconfig or --kube-context', CliErrorCode.Usage, 'input', 'name the cluster one way');
    }
    return { kind: 'eks', clusterName: flags.eksCluster, region: flags.region ?? environment.awsRegion };
  }
  return { kind: 'kubeconfig', files: flags.kubeconfig ? [resolve(cwd, flags.kubeconfig)] : environment.kubeconfig, context: flags.kubeContext };
}

/** Adds --values (repeatable), --chart and --timeout: what is installed and how long it may take. */
export function addReleaseOptions(command: Command): Command {
  return command
    .option('--values <file>', 'values file, layered in order like helm -f (repeatable)', repeatable, [] as string[])
    .option('--chart <dir|ref>', 'the falco-airgap chart: a directory or an oci:// reference', 'helm/falco-airgap')
    .option('--chart-version <version>', 'version of a chart given as a reference')
    .option('--timeout <duration>', 'how long helm waits for the pods to become ready, e.g. 300s or 10m', '5m');
}

/** --timeout in whole seconds. */
export function timeoutSeconds(text: string): number {
  const ms = parseDuration(text, '--timeout', '300s or 10m');
  if (ms < 1000) throw new CliError('--timeout must be at least 1s', CliErrorCode.Usage, 'input', 'e.g. --timeout 5m');
  return Math.ceil(ms / 1000);
}

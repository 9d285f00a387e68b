import { DescribeClusterCommand, type EKSClient } from '@aws-sdk/client-eks';
import type { STSClient } from '@aws-sdk/client-sts';
import { KubeConfig, type User } from '@kubernetes/client-node';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { awsCall, awsErrorName, type AwsCallOptions } from './aws-errors.ts';
import { EKS_TOKEN_LIFETIME_MS, EksTokenProvider } from './eks-token.ts';
import { DeployError, DeployErrorCode } from './errors.ts';

/** What helm is handed to reach the cluster: kubeconfig files (merged in order, as KUBECONFIG merges them) and a context. */
export interface HelmKubeconfig {
  files: string[];
  context: string | undefined;
}

/** An open way to one cluster: an authenticated client-node config for API calls, and a kubeconfig for helm. */
export interface ClusterConnection {
  /** One line naming the cluster, e.g. `EKS cluster prod-eu (eu-west-1)` or `kube context minikube`. */
  readonly description: string;
  /** The API server URL. */
  readonly server: string;
  /** Authenticates every request itself (an EKS token is renewed before it expires). */
  readonly kubeConfig: KubeConfig;
  /** A kubeconfig for one helm run that must stay valid for `validForMs`. */
  helmKubeconfig(validForMs: number, signal?: AbortSignal): Promise<HelmKubeconfig>;
  /** Removes the files written for helm. */
  close(): Promise<void>;
}

/** A kubeconfig as the file format has it (YAML or JSON): what helm and kubectl read. */
export interface KubeconfigDocument {
  apiVersion: 'v1';
  kind: 'Config';
  clusters: { name: string; cluster: { server: string; 'certificate-authority-data'?: string } }[];
  users: { name: string; user: { token?: string } }[];
  contexts: { name: string; context: { cluster: string; user: string; namespace?: string } }[];
  'current-context': string;
}

export interface KubeconfigTarget {
  /** Kubeconfig files, merged in order like KUBECONFIG does; the first one wins on conflicts. */
  kubeconfig: readonly string[];
  /** The context to use; the files' current-context when absent. */
  context?: string | undefined;
}

/** A connection through existing kubeconfig files (minikube, kind, any cluster): helm gets the same files and context. */
export function connectKubeconfig(target: KubeconfigTarget): ClusterConnection {
  if (target.kubeconfig.length === 0) {
    throw new DeployError(DeployErrorCode.Kubeconfig, 'no kubeconfig file given', 'set `kubeconfig` to the file of the cluster, e.g. ~/.kube/config');
  }
  const kubeConfig = new KubeConfig();
  for (const [index, file] of target.kubeconfig.entries()) {
    if (!existsSync(file)) {
      throw new DeployError(DeployErrorCode.Kubeconfig, `kubeconfig ${file} does not exist`, 'check `kubeconfig`: the path of a kubeconfig file');
    }
    const layer = new KubeConfig();
    try {
      layer.loadFromFile(file);
    } catch (cause) {
      throw new DeployError(
        DeployErrorCode.Kubeconfig,
        `kubeconfig ${file} cannot be read: ${(cause as Error).message}`,
        'check that `kubeconfig` is a kubeconfig file',
        cause,
      );
    }
    if (index === 0)
      kubeConfig.loadFromOptions({ clusters: layer.clusters, users: layer.users, contexts: layer.contexts, currentContext: layer.currentContext });
    else mergeMissing(kubeConfig, layer);
  }
  const contextName = target.context ?? kubeConfig.getCurrentContext();
  if (!contextName || !kubeConfig.getContextObject(contextName)) {
    const known = kubeConfig.getContexts().map((c) => c.name);
    throw new DeployError(
      DeployErrorCode.UnknownContext,
      contextName ? `kube context "${contextName}" is not in ${target.kubeconfig.join(', ')}` : `${target.kubeconfig.join(', ')} sets no current context`,
      known.length ? `set \`context\` to one of: ${known.join(', ')}` : 'the kubeconfig has no contexts: check `kubeconfig`',
    );
  }
  kubeConfig.setCurrentContext(contextName);
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster?.server) {
    throw new DeployError(DeployErrorCode.Kubeconfig, `kube context "${contextName}" names no cluster with a server`, 'fix the context in `kubeconfig`');
  }
  return {
    description: `kube context ${contextName}`,
    server: cluster.server,
    kubeConfig,
    helmKubeconfig: async () => ({ files: [...target.kubeconfig], context: contextName }),
    close: async () => undefined,
  };
}

// KUBECONFIG semantics: the first file that sets a name wins.
function mergeMissing(into: KubeConfig, from: KubeConfig): void {
  const names = (items: readonly { name: string }[]) => new Set(items.map((i) => i.name));
  const clusters = names(into.clusters);
  const users = names(into.users);
  const contexts = names(into.contexts);
  into.loadFromOptions({
    clusters: [...into.clusters, ...from.clusters.filter((c) => !clusters.has(c.name))],
    users: [...into.users, ...from.users.filter((u) => !users.has(u.name))],
    contexts: [...into.contexts, ...from.contexts.filter((c) => !contexts.has(c.name))],
    currentContext: into.currentContext || from.currentContext,
  });
}

/** What DescribeCluster says about an EKS cluster, as far as connecting to it goes. */
export interface EksClusterInfo {
  name: string;
  arn: string;
  endpoint: string;
  /** Base64 PEM of the cluster CA, as kubeconfig's certificate-authority-data takes it. */
  certificateAuthorityData: string;
  status: string;
  version: string | undefined;
}

export interface DescribeEksClusterOptions extends AwsCallOptions {
  eks: EKSClient;
  clusterName: string;
}

/** DescribeCluster, refusing clusters that do not exist or cannot take a deploy (creating, deleting, failed). */
export async function describeEksCluster(options: DescribeEksClusterOptions): Promise<EksClusterInfo> {
  const { clusterName } = options;
  const answer = await awsCall('EKS', `describe cluster ${clusterName}`, options, (abortSignal) =>
    options.eks.send(new DescribeClusterCommand({ name: clusterName }), { abortSignal }).catch((error: unknown) => {
      if (awsErrorName(error) === 'ResourceNotFoundException') {
        throw new DeployError(
          DeployErrorCode.EksClusterNotFound,
          `EKS cluster ${clusterName} does not exist in this account and region`,
          'check the cluster name and `region` (aws eks list-clusters shows what exists)',
          error,
        );
      }
      throw error;
    }),
  );
  const cluster = answer.cluster;
  if (!cluster?.endpoint || !cluster.certificateAuthority?.data) {
    throw new DeployError(
      DeployErrorCode.EksClusterNotActive,
      `EKS cluster ${clusterName} has no API endpoint or CA yet (status ${cluster?.status ?? 'unknown'})`,
      'wait until the cluster is ACTIVE, then deploy again',
    );
  }
  if (cluster.status === 'CREATING' || cluster.status === 'DELETING' || cluster.status === 'FAILED') {
    throw new DeployError(
      DeployErrorCode.EksClusterNotActive,
      `EKS cluster ${clusterName} is ${cluster.status}`,
      cluster.status === 'CREATING' ? 'wait until the cluster is ACTIVE, then deploy again' : 'deploy to a cluster that is ACTIVE',
    );
  }
  return {
    name: cluster.name ?? clusterName,
    arn: cluster.arn ?? clusterName,
    endpoint: cluster.endpoint,
    certificateAuthorityData: cluster.certificateAuthority.data,
    status: cluster.status ?? 'UNKNOWN',
    version: cluster.version,
  };
}

/** A kubeconfig for an EKS cluster: its endpoint and CA, and a bearer token when given (a file for helm needs one). */
export function eksKubeconfig(cluster: EksClusterInfo, token?: string): KubeconfigDocument {
  const name = cluster.arn;
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { server: cluster.endpoint, 'certificate-authority-data': cluster.certificateAuthorityData } }],
    users: [{ name, user: token === undefined ? {} : { token } }],
    contexts: [{ name, context: { cluster: name, user: name } }],
    'current-context': name,
  };
}

export interface EksTarget extends AwsCallOptions {
  eks: EKSClient;
  /** Signs the token; its credentials are the identity the cluster maps to a Kubernetes user (access entries or aws-auth). */
  sts: STSClient;
  clusterName: string;
  /** Where the kubeconfig handed to helm is written (a private directory is made inside); the system temp directory is the caller's to pass. */
  workDir: string;
  clock?: (() => Date) | undefined;
}

const TOKEN_USER = 'falco-airgap-eks-token';

/**
 * A connection to an EKS cluster with no aws CLI and no exec plugin: DescribeCluster gives the
 * endpoint and CA, every API request carries a token made in-process, and helm gets a kubeconfig
 * file with a token fresh enough for its whole run.
 */
export async function connectEks(target: EksTarget): Promise<ClusterConnection> {
  const cluster = await describeEksCluster({ eks: target.eks, clusterName: target.clusterName, signal: target.signal, timeoutMs: target.timeoutMs });
  const tokens = new EksTokenProvider({ sts: target.sts, clusterName: cluster.name, clock: target.clock });
  await tokens.token(target.signal);
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: cluster.arn, server: cluster.endpoint, caData: cluster.certificateAuthorityData, skipTLSVerify: false }],
    users: [{ name: TOKEN_USER }],
    contexts: [{ name: cluster.arn, cluster: cluster.arn, user: TOKEN_USER }],
    currentContext: cluster.arn,
  });
  const authenticator: Parameters<KubeConfig['addAuthenticator']>[0] = {
    isAuthProvider: (user: User) => user.name === TOKEN_USER,
    applyAuthentication: async (_user, opts) => {
      opts.headers = { ...opts.headers, Authorization: `Bearer ${(await tokens.token()).token}` };
    },
  };
  kubeConfig.addAuthenticator(authenticator);

  let dir: string | undefined;
  return {
    description: `EKS cluster ${cluster.name}`,
    server: cluster.endpoint,
    kubeConfig,
    async helmKubeconfig(validForMs, signal) {
      // A token lives 15 minutes from signing and cannot be renewed inside a running helm.
      const margin = 60_000;
      if (validForMs + margin > EKS_TOKEN_LIFETIME_MS) {
        throw new DeployError(
          DeployErrorCode.Timeout,
          `a helm run of ${Math.ceil(validForMs / 60_000)} minutes outlives the EKS token it is given (15 minutes)`,
          'set `timeoutSeconds` to 840 or less for EKS clusters',
        );
      }
      const fresh = await new EksTokenProvider({ sts: target.sts, clusterName: cluster.name, clock: target.clock }).token(signal);
      dir ??= await mkdtemp(join(target.workDir, 'falco-airgap-kube-'));
      const file = join(dir, 'kubeconfig.json');
      await writeFile(file, JSON.stringify(eksKubeconfig(cluster, fresh.token)), { mode: 0o600 });
      await chmod(file, 0o600);
      return { files: [file], context: cluster.arn };
    },
    async close() {
      if (dir) await rm(dir, { recursive: true, force: true });
      dir = undefined;
    },
  };
}

import { definedFields } from '@falco-airgap/core';
import type { ClusterConnection, ClusterPort, HelmPort } from '@falco-airgap/eks-deployer';
import type { ResolvedEnvironment } from '../environment.ts';
import type { ClusterTarget } from '../options/cluster.ts';

export interface OpenedCluster {
  connection: ClusterConnection;
  cluster: ClusterPort;
  helm: HelmPort;
  close(): Promise<void>;
}

/** The cluster factory: a connection, the Kubernetes adapter and helm, built from values the composition root resolved. */
export async function openCluster(target: ClusterTarget, environment: ResolvedEnvironment, signal?: AbortSignal): Promise<OpenedCluster> {
  const { connectEks, connectKubeconfig, HelmCli, KubernetesCluster } = await import('@falco-airgap/eks-deployer');
  let connection: ClusterConnection;
  let destroy = () => undefined as void;
  if (target.kind === 'eks') {
    // Loaded only for EKS: a kubeconfig context needs no AWS SDK.
    const [{ EKSClient }, { STSClient }] = await Promise.all([import('@aws-sdk/client-eks'), import('@aws-sdk/client-sts')]);
    const aws = definedFields({
      region: target.region,
      credentials: environment.awsKeys && definedFields(environment.awsKeys),
      maxAttempts: 3,
      requestHandler: { connectionTimeout: 10_000, requestTimeout: 30_000 },
    });
    const eks = new EKSClient(definedFields({ ...aws, endpoint: environment.awsEndpoints.EKS }));
    const sts = new STSClient(definedFields({ ...aws, endpoint: environment.awsEndpoints.STS }));
    destroy = () => {
      eks.destroy();
      sts.destroy();
    };
    connection = await connectEks({ eks, sts, clusterName: target.clusterName, workDir: environment.tmpDir, signal }).catch((error: unknown) => {
      destroy();
      throw error;
    });
  } else {
    connection = connectKubeconfig({ kubeconfig: target.files, context: target.context });
  }
  const helm = new HelmCli({
    helmBinary: environment.helmBinary,
    kubeconfig: (validForMs, runSignal) => connection.helmKubeconfig(validForMs, runSignal),
    env: environment.helmEnv,
    workDir: environment.tmpDir,
  });
  return {
    connection,
    cluster: new KubernetesCluster({ kubeConfig: connection.kubeConfig }),
    helm,
    close: async () => {
      await connection.close();
      destroy();
    },
  };
}

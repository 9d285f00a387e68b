import type { ClusterPort } from './cluster.ts';
import type { HelmPort } from './helm.ts';
import { releaseSelector } from './kube-objects.ts';
import { assessRollout, type RolloutState } from './rollout.ts';

/** What runs where: the release's current revision, the images its workloads run, the plugin source, the rollout. */
export interface ReleaseStatus {
  release: string;
  namespace: string;
  cluster: string;
  installed: boolean;
  revision?: number | undefined;
  /** deployed, failed, pending-upgrade, ... */
  status?: string | undefined;
  chart?: string | undefined;
  appVersion?: string | undefined;
  /** The Falco version the release runs: its falcoVersion value, else the chart's appVersion. */
  falcoVersion?: string | undefined;
  updated?: string | undefined;
  /** The fingerprint (chart and values) the revision was made from. */
  description?: string | undefined;
  /** pluginStrategy and where plugins come from, as the revision's values say. */
  plugins?:
    | {
        strategy: string;
        s3?: { bucket?: string | undefined; prefix?: string | undefined; channel?: string | undefined; release?: string | undefined } | undefined;
      }
    | undefined;
  /** Every container image the workloads' pod templates run, init containers included. */
  images: { workload: string; container: string; image: string }[];
  rollout?: RolloutState | undefined;
}

export interface ReadReleaseStatusOptions {
  cluster: ClusterPort;
  helm: HelmPort;
  release: string;
  namespace: string;
  clusterDescription: string;
  signal?: AbortSignal | undefined;
}

/** Reads the release from helm and the cluster; writes nothing. */
export async function readReleaseStatus(options: ReadReleaseStatusOptions): Promise<ReleaseStatus> {
  const { cluster, helm, release, namespace, signal } = options;
  const base = { release, namespace, cluster: options.clusterDescription };
  const current = await helm.status(release, namespace, signal);
  if (!current) return { ...base, installed: false, images: [] };
  const selector = releaseSelector(release);
  const [workloads, pods] = await Promise.all([cluster.workloads(namespace, selector, signal), cluster.pods(namespace, selector, signal)]);
  const images = workloads.flatMap((workload) => {
    const spec = workload.object.spec?.template.spec;
    const name = `${workload.kind} ${workload.object.metadata?.name ?? ''}`;
    return [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])].map((c) => ({ workload: name, container: c.name, image: c.image ?? '' }));
  });
  const values = current.values as {
    pluginStrategy?: string;
    falcoVersion?: string;
    s3?: { bucket?: string; prefix?: string; channel?: string; release?: string };
  };
  const strategy = values.pluginStrategy ?? 'sidecar';
  return {
    ...base,
    installed: true,
    revision: current.revision,
    status: current.status,
    chart: current.chart,
    appVersion: current.appVersion,
    falcoVersion: values.falcoVersion || current.appVersion,
    updated: current.updated,
    description: current.description,
    plugins: {
      strategy,
      s3:
        strategy === 's3' && values.s3
          ? { bucket: values.s3.bucket, prefix: values.s3.prefix, channel: values.s3.channel, release: values.s3.release }
          : undefined,
    },
    images,
    rollout: assessRollout(workloads, pods),
  };
}

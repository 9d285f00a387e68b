import { readReleaseStatus, type ReleaseStatus } from '@falco-airgap/eks-deployer';
import type { CommandContext, CommandOutcome } from '../context.ts';
import { clusterTarget, type ClusterFlags } from '../options/cluster.ts';
import { openCluster } from '../stages/open-cluster.ts';

/** `falco-airgap status`: what is deployed where — revision, chart, plugin source, images, rollout. Reads only. */
export async function status(ctx: CommandContext, options: ClusterFlags): Promise<CommandOutcome> {
  const opened = await openCluster(clusterTarget(options, ctx.environment, ctx.cwd), ctx.environment, ctx.signal);
  try {
    const release = await readReleaseStatus({
      cluster: opened.cluster,
      helm: opened.helm,
      release: options.release,
      namespace: options.namespace,
      clusterDescription: opened.connection.description,
      signal: ctx.signal,
    });
    return { data: release, summary: describeStatus(release) };
  } finally {
    await opened.close();
  }
}

export function describeStatus(status: ReleaseStatus): string {
  const where = `release ${status.release} in namespace ${status.namespace} on ${status.cluster}`;
  if (!status.installed) return `${where} is not installed`;
  const lines = [`${where}: revision ${status.revision} ${status.status} (${status.chart}, Falco ${status.appVersion}), updated ${status.updated}`];
  const plugins = status.plugins;
  if (plugins?.strategy === 's3' && plugins.s3) {
    const pin = plugins.s3.release ? `release ${plugins.s3.release}` : `channel ${plugins.s3.channel}`;
    lines.push(`  plugins: from s3://${plugins.s3.bucket}${plugins.s3.prefix ? `/${plugins.s3.prefix}` : ''}, ${pin}`);
  } else if (plugins) {
    lines.push(`  plugins: ${plugins.strategy === 'sidecar' ? 'from the plugin-loader init container' : 'only those in the Falco image'}`);
  }
  for (const workload of status.rollout?.workloads ?? []) {
    lines.push(
      `  ${workload.kind} ${workload.name}: ${workload.ready}/${workload.desired} ready, ${workload.updated}/${workload.desired} updated${workload.done ? '' : ` — waiting for ${workload.waitingFor}`}`,
    );
  }
  for (const image of status.images) lines.push(`  ${image.container}: ${image.image}`);
  return lines.join('\n');
}

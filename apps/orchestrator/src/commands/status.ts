import { readReleaseStatus, type ReleaseStatus } from '@falco-airgap/eks-deployer';
import { findVersion, isExpired, type FalcoVersionsCatalogue } from '@falco-airgap/manifest';
import { readCatalogue, resolveEnvironmentFalco } from '../config/falco-environment.ts';
import type { CommandContext, CommandOutcome } from '../context.ts';
import { clusterTarget, type ClusterFlags } from '../options/cluster.ts';
import type { VersionsFlags } from '../options/versions.ts';
import { openCluster } from '../stages/open-cluster.ts';

/** `falco-airgap status`: what is deployed where — revision, chart, plugin source, images, rollout. Reads only. */
export async function status(ctx: CommandContext, options: ClusterFlags & VersionsFlags & { env?: string | undefined }): Promise<CommandOutcome> {
  // Read-only: what the environment asks for is said as warnings (an expired version is refused by deploy, not here).
  const environment =
    options.env === undefined ? undefined : await resolveEnvironmentFalco(ctx, { env: options.env, versionsFile: options.versionsFile, purpose: 'inspect' });
  const catalogue = await readCatalogue(ctx, options.versionsFile);
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
    const falco = {
      deployed: release.falcoVersion,
      lifecycle: release.installed ? lifecycleOf(catalogue, release.falcoVersion) : undefined,
      environment: environment?.version,
    };
    const lines = [describeStatus(release)];
    if (falco.lifecycle) lines.push(`  Falco ${falco.deployed}: ${falco.lifecycle}`);
    if (falco.environment && falco.environment !== falco.deployed)
      lines.push(`  environment ${options.env} asks for Falco ${falco.environment}: the next deploy moves it`);
    return { data: { ...release, falco }, summary: lines.join('\n') };
  } finally {
    await opened.close();
  }
}

export function describeStatus(status: ReleaseStatus): string {
  const where = `release ${status.release} in namespace ${status.namespace} on ${status.cluster}`;
  if (!status.installed) return `${where} is not installed`;
  const lines = [
    `${where}: revision ${status.revision} ${status.status} (${status.chart}, Falco ${status.falcoVersion ?? status.appVersion}), updated ${status.updated}`,
  ];
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

/** The catalogue's word on a deployed Falco version. */
function lifecycleOf(catalogue: FalcoVersionsCatalogue, version: string | undefined): string {
  const entry = version === undefined ? undefined : findVersion(catalogue, version);
  if (!entry) return `not in the versions catalogue ${catalogue.file}`;
  if (entry.classification !== 'deprecated') return entry.classification;
  return isExpired(entry, new Date()) ? `expired on ${entry.expirationDate}` : `deprecated, expires on ${entry.expirationDate}`;
}

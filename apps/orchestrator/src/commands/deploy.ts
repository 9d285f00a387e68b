import type { CommandContext, CommandOutcome } from '../context.ts';
import { clusterTarget, timeoutSeconds, type ClusterFlags } from '../options/cluster.ts';
import { deployStage } from '../stages/deploy-stage.ts';

export interface DeployCommandOptions extends ClusterFlags {
  values: string[];
  chart: string;
  chartVersion?: string | undefined;
  timeout: string;
  diagnosticsDir: string;
  dryRun: boolean;
}

/** `falco-airgap deploy`: the flags as the deploy stage's input. */
export async function deploy(ctx: CommandContext, options: DeployCommandOptions): Promise<CommandOutcome> {
  const cluster = clusterTarget(options, ctx.environment, ctx.cwd);
  return deployStage(
    {
      release: options.release,
      namespace: options.namespace,
      chart: options.chart,
      chartVersion: options.chartVersion,
      valuesFiles: options.values,
      timeoutSeconds: timeoutSeconds(options.timeout),
      dryRun: options.dryRun,
      diagnosticsDir: options.diagnosticsDir,
      cluster,
    },
    ctx,
  );
}

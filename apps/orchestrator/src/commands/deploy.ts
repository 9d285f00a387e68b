import { DEFAULT_LOCK_PATH } from '@falco-airgap/manifest';
import { resolveEnvironmentFalco } from '../config/falco-environment.ts';
import type { CommandContext, CommandOutcome } from '../context.ts';
import { clusterTarget, timeoutSeconds, type ClusterFlags } from '../options/cluster.ts';
import type { VersionsFlags } from '../options/versions.ts';
import { deployStage } from '../stages/deploy-stage.ts';

export interface DeployCommandOptions extends ClusterFlags, VersionsFlags {
  /** The environment of the configuration file: its Falco version and rule sets become chart values. */
  env?: string | undefined;
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
  // Refused (exit 2) before the cluster is contacted: an expired Falco version, a plugin of the lock it cannot load.
  const falco =
    options.env === undefined
      ? undefined
      : await resolveEnvironmentFalco(ctx, { env: options.env, versionsFile: options.versionsFile, lockFile: DEFAULT_LOCK_PATH, purpose: 'deliver' });
  return deployStage(
    {
      release: options.release,
      namespace: options.namespace,
      chart: options.chart,
      chartVersion: options.chartVersion,
      valuesFiles: options.values,
      computed: falco?.chartValues,
      timeoutSeconds: timeoutSeconds(options.timeout),
      dryRun: options.dryRun,
      diagnosticsDir: options.diagnosticsDir,
      cluster,
    },
    ctx,
  );
}

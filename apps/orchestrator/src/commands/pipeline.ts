import { DEFAULT_MANIFEST_PATH, loadManifest } from '@falco-airgap/manifest';
import { resolve } from 'node:path';
import { CliError, CliErrorCode } from '../cli-error.ts';
import type { CommandContext, CommandOutcome } from '../context.ts';
import { formatPlan, planPipeline, PLUGIN_STRATEGIES, type PluginStrategy } from '../pipeline-plan.ts';

export interface PipelineCommandOptions {
  env: string;
  strategy: string;
  build: boolean;
  deploy: boolean;
  dryRun: boolean;
  manifest?: string | undefined;
  registry: string;
}

export async function pipeline(ctx: CommandContext, options: PipelineCommandOptions): Promise<CommandOutcome> {
  if (!PLUGIN_STRATEGIES.includes(options.strategy as PluginStrategy)) {
    throw new CliError(`unknown strategy "${options.strategy}"`, CliErrorCode.Usage, 'input', `use --strategy ${PLUGIN_STRATEGIES.join(' or ')}`);
  }
  const file = options.manifest ?? DEFAULT_MANIFEST_PATH;
  const manifest = await loadManifest(resolve(ctx.cwd, file), file);
  const stages = planPipeline(manifest, {
    env: options.env,
    strategy: options.strategy as PluginStrategy,
    build: options.build,
    deploy: options.deploy,
    registry: options.registry,
  });
  if (!options.dryRun) {
    const first = stages.find((s) => s.run);
    throw new CliError(
      `this version of falco-airgap can plan the pipeline but not run its ${first?.stage ?? 'extract'} stage yet`,
      CliErrorCode.StageUnavailable,
      'input',
      'add --dry-run to see what the pipeline would do',
    );
  }
  return {
    data: { env: options.env, strategy: options.strategy, manifest: file, stages },
    summary: `pipeline plan for env ${options.env} (strategy ${options.strategy}, dry run):\n${formatPlan(stages)}`,
  };
}

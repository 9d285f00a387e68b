import { DEFAULT_MANIFEST_PATH, loadManifest } from '@falco-airgap/manifest';
import { join, resolve } from 'node:path';
import { CliError, CliErrorCode } from '../cli-error.ts';
import type { CommandContext, CommandOutcome } from '../context.ts';
import { formatPlan, planPipeline, PLUGIN_STRATEGIES, type PlannedStage, type PluginStrategy } from '../pipeline-plan.ts';
import { extract } from './extract.ts';
import { publish } from './publish.ts';

export interface PipelineCommandOptions {
  env: string;
  strategy: string;
  build: boolean;
  deploy: boolean;
  dryRun: boolean;
  manifest?: string | undefined;
  registry: string;
  out?: string | undefined;
  caFile?: string | undefined;
  plainHttp?: string[] | undefined;
  cacheDir?: string | undefined;
  bucket?: string | undefined;
  prefix?: string | undefined;
  endpoint?: string | undefined;
  region?: string | undefined;
  channel?: string | undefined;
}

// Stages this release can run; the others are planned but refused before anything is touched.
const RUNNABLE: ReadonlySet<PlannedStage['stage']> = new Set(['extract', 'publish']);

/** `falco-airgap pipeline`: plan the stages for an environment, then run them in order (or print them with --dry-run). */
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
  if (options.dryRun) {
    return {
      data: { env: options.env, strategy: options.strategy, manifest: file, dryRun: true, stages },
      summary: `pipeline plan for env ${options.env} (strategy ${options.strategy}, dry run):\n${formatPlan(stages)}`,
    };
  }

  const unavailable = stages.filter((s) => s.run && !RUNNABLE.has(s.stage)).map((s) => s.stage);
  if (unavailable.length) {
    throw new CliError(
      `this version of falco-airgap cannot run the ${unavailable.join(', ')} stage${unavailable.length > 1 ? 's' : ''} yet`,
      CliErrorCode.StageUnavailable,
      'input',
      'run the stages it has with --no-build --no-deploy, or see the plan with --dry-run',
    );
  }
  const publishing = stages.some((s) => s.stage === 'publish' && s.run);
  if (publishing && !options.bucket) {
    throw new CliError('strategy s3 publishes to S3, but no bucket is set', CliErrorCode.Usage, 'input', 'pass --bucket or set FALCO_AIRGAP_S3_BUCKET');
  }

  const out = options.out ?? 'plugins';
  const results: { stage: string; data: unknown }[] = [];
  const summaries: string[] = [];
  const extracted = await extract(ctx, { manifest: file, out, caFile: options.caFile, plainHttp: options.plainHttp, cacheDir: options.cacheDir });
  results.push({ stage: 'extract', data: extracted.data });
  if (extracted.summary) summaries.push(`extract: ${extracted.summary}`);
  if (publishing) {
    const published = await publish(ctx, {
      bucket: options.bucket!,
      prefix: options.prefix,
      endpoint: options.endpoint,
      region: options.region,
      channel: options.channel ?? options.env,
      lock: join(out, 'plugins-lock.yaml'),
    });
    results.push({ stage: 'publish', data: published.data });
    if (published.summary) summaries.push(`publish: ${published.summary}`);
  }
  return { data: { env: options.env, strategy: options.strategy, manifest: file, dryRun: false, stages: results }, summary: summaries.join('\n') };
}

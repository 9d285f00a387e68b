import type { ImageName } from '@falco-airgap/image-builder';
import { loadManifest } from '@falco-airgap/manifest';
import { resolve } from 'node:path';
import { CliError, CliErrorCode } from '../cli-error.ts';
import type { CommandContext, CommandOutcome } from '../context.ts';
import { imageSources, type ImageFlags } from '../options/images.ts';
import { lockWaitMs } from '../options/lock.ts';
import { registryAccess, type RegistryFlags } from '../options/registry.ts';
import { storeConnection, type StoreFlags } from '../options/store.ts';
import { formatPlan, planPipeline, PLUGIN_STRATEGIES, type PlannedStage, type PluginStrategy } from '../pipeline-plan.ts';
import { buildStage } from '../stages/build-stage.ts';
import { extractStage } from '../stages/extract-stage.ts';
import { publishStage } from '../stages/publish-stage.ts';

export interface PipelineCommandOptions extends RegistryFlags, StoreFlags, ImageFlags {
  env: string;
  strategy: string;
  build: boolean;
  deploy: boolean;
  dryRun: boolean;
  manifest: string;
  registry: string;
  out: string;
  channel?: string | undefined;
  lockTimeout?: string | undefined;
}

// Stages this release can run; the others are planned but refused before anything is touched.
const RUNNABLE: ReadonlySet<PlannedStage['stage']> = new Set(['extract', 'publish', 'build', 'push']);

/** `falco-airgap pipeline`: plan the stages for an environment, then run them in order (or print them with --dry-run). */
export async function pipeline(ctx: CommandContext, options: PipelineCommandOptions): Promise<CommandOutcome> {
  if (!PLUGIN_STRATEGIES.includes(options.strategy as PluginStrategy)) {
    throw new CliError(`unknown strategy "${options.strategy}"`, CliErrorCode.Usage, 'input', `use --strategy ${PLUGIN_STRATEGIES.join(', ')}`);
  }
  const file = options.manifest;
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
      'run the stages it has with --no-deploy, or see the plan with --dry-run',
    );
  }
  const runs = (stage: PlannedStage['stage']) => stages.some((s) => s.stage === stage && s.run);
  const bucket = options.bucket;
  if (runs('publish') && !bucket) {
    throw new CliError('strategy s3 publishes to S3, but no bucket is set', CliErrorCode.Usage, 'input', 'pass --bucket or set FALCO_AIRGAP_S3_BUCKET');
  }
  // Every flag is checked before the first stage changes anything.
  const store = bucket && runs('publish') ? storeConnection({ ...options, bucket }, ctx.environment) : undefined;
  const waitMs = lockWaitMs(options.lockTimeout);

  const results: { stage: string; data: unknown }[] = [];
  const summaries: string[] = [];
  const access = registryAccess(options, ctx.environment, ctx.cwd);
  let lockFile: string | undefined;
  if (runs('extract')) {
    const extracted = await extractStage(
      {
        manifestFile: file,
        outDir: options.out,
        platforms: [],
        locked: false,
        keepSource: false,
        via: 'direct',
        lockWaitMs: waitMs,
        registry: access,
      },
      ctx,
    );
    lockFile = extracted.data.lockFile;
    results.push({ stage: 'extract', data: extracted.data });
    summaries.push(`extract: ${extracted.summary}`);
  }
  if (store && lockFile) {
    const published = await publishStage(
      {
        lockFile,
        platforms: [],
        channel: options.channel ?? options.env,
        dryRun: false,
        concurrency: 4,
        store,
        storeLock: { dir: ctx.environment.lockDir, waitMs },
      },
      ctx,
    );
    results.push({ stage: 'publish', data: published.data });
    summaries.push(`publish: ${published.summary}`);
  }
  if (runs('build')) {
    // One call builds and pushes: the registry decides what is unchanged, so build and push are one step.
    const built = await buildStage(
      {
        images: imagesFor(stages),
        registry: options.registry,
        push: runs('push'),
        dryRun: false,
        tags: [],
        platform: 'linux/amd64',
        falcoVersion: manifest.falco.version,
        lockFile,
        sources: imageSources(options, ctx.cwd),
        access,
      },
      ctx,
    );
    results.push({ stage: 'build', data: built.data });
    summaries.push(`build and push: ${built.summary}`);
  }
  return { data: { env: options.env, strategy: options.strategy, manifest: file, dryRun: false, stages: results }, summary: summaries.join('\n') };
}

/** The images of the build stage's plan, as the image builder names them. */
function imagesFor(stages: PlannedStage[]): ImageName[] {
  const planned = stages.find((s) => s.stage === 'build')?.items ?? [];
  return planned.map((repository) => IMAGE_BY_REPOSITORY[repository]!).filter(Boolean);
}

const IMAGE_BY_REPOSITORY: Record<string, ImageName> = { falco: 'falco', 'falco-s3-loader': 's3-loader', 'falco-plugin-loader': 'plugin-loader' };

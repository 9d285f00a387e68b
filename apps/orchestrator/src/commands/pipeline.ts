import { parseReference } from '@falco-airgap/core';
import type { ComputedValues, PinnedImage } from '@falco-airgap/eks-deployer';
import type { ImageBuildResult, ImageName } from '@falco-airgap/image-builder';
import { loadManifest } from '@falco-airgap/manifest';
import { chainCredentials } from '@falco-airgap/oci';
import { join, resolve } from 'node:path';
import { CliError, CliErrorCode } from '../cli-error.ts';
import { resolveEnvironmentFalco } from '../config/falco-environment.ts';
import type { CommandContext, CommandOutcome } from '../context.ts';
import { clusterTarget, timeoutSeconds, type ClusterFlags } from '../options/cluster.ts';
import { imageSources, type ImageFlags } from '../options/images.ts';
import { lockWaitMs } from '../options/lock.ts';
import { registryAccess, type RegistryAccess, type RegistryFlags } from '../options/registry.ts';
import { storeConnection, type StoreConnection, type StoreFlags } from '../options/store.ts';
import type { VersionsFlags } from '../options/versions.ts';
import { formatPlan, planPipeline, PLUGIN_STRATEGIES, type PlannedStage, type PluginStrategy } from '../pipeline-plan.ts';
import { buildStage, type BuildStageData } from '../stages/build-stage.ts';
import { deployStage, type DeployStageData } from '../stages/deploy-stage.ts';
import { ecrRegistryOf, openEcr, type OpenedEcr } from '../stages/ecr-access.ts';
import { extractStage, type ExtractStageData } from '../stages/extract-stage.ts';
import { publishStage, type PublishStageData } from '../stages/publish-stage.ts';
import { StageRunner, type StageReport } from '../stages/stage-runner.ts';

export interface PipelineCommandOptions extends RegistryFlags, StoreFlags, ImageFlags, VersionsFlags, Omit<ClusterFlags, 'region'> {
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
  /** The EKS cluster's region (--region is the bucket's). */
  eksRegion?: string | undefined;
  ecrKmsKey?: string | undefined;
  values: string[];
  chart: string;
  chartVersion?: string | undefined;
  timeout: string;
  diagnosticsDir: string;
}

export interface PipelineData {
  env: string;
  strategy: string;
  manifest: string;
  dryRun: boolean;
  stages: StageReport[];
}

/**
 * `falco-airgap pipeline`: extract, then publish (s3) and build+push side by side, then deploy with
 * what they produced (image digests, the store's channel). Each stage reports done, unchanged or failed
 * with its time; a re-run after a failure redoes nothing that finished.
 */
export async function pipeline(ctx: CommandContext, options: PipelineCommandOptions): Promise<CommandOutcome> {
  if (!PLUGIN_STRATEGIES.includes(options.strategy as PluginStrategy)) {
    throw new CliError(`unknown strategy "${options.strategy}"`, CliErrorCode.Usage, 'input', `use --strategy ${PLUGIN_STRATEGIES.join(', ')}`);
  }
  const strategy = options.strategy as PluginStrategy;
  const file = options.manifest;
  const manifest = await loadManifest(resolve(ctx.cwd, file), file);
  // The environment's Falco version and rule sets against the versions catalogue, before anything is pulled (exit 2).
  const falco = await resolveEnvironmentFalco(ctx, {
    env: options.env,
    versionsFile: options.versionsFile,
    manifest: { manifest, file },
    lockFile: join(options.out, 'plugins-lock.yaml'),
    purpose: 'deliver',
  });
  const falcoVersion = falco?.version ?? manifest.falco.version;
  const stages = planPipeline(manifest, { env: options.env, strategy, build: options.build, deploy: options.deploy, registry: options.registry });
  if (options.dryRun) {
    return {
      data: { env: options.env, strategy, manifest: file, dryRun: true, stages },
      summary: `pipeline plan for env ${options.env} (strategy ${strategy}, dry run):\n${formatPlan(stages)}`,
    };
  }
  const runs = (stage: PlannedStage['stage']) => stages.some((s) => s.stage === stage && s.run);
  const bucket = options.bucket;
  if (runs('publish') && !bucket) {
    throw new CliError('strategy s3 publishes to S3, but no bucket is set', CliErrorCode.Usage, 'input', 'pass --bucket or set FALCO_AIRGAP_S3_BUCKET');
  }
  // Every flag is checked before the first stage changes anything.
  // Keys are read only when publish talks to the bucket: deploy passes the chart the bucket's name, not keys.
  const keys = bucket && runs('publish') ? await ctx.credentials.storeKeys({ bucket, endpoint: options.endpoint }, options.env) : undefined;
  const store =
    bucket && (runs('publish') || (runs('deploy') && strategy === 's3')) ? storeConnection({ ...options, bucket }, ctx.environment, keys) : undefined;
  const waitMs = lockWaitMs(options.lockTimeout);
  const cluster = runs('deploy') ? clusterTarget({ ...options, region: options.eksRegion }, ctx.environment, ctx.cwd) : undefined;
  const deployTimeout = timeoutSeconds(options.timeout);
  const ecrRegistry = runs('push') ? ecrRegistryOf(options.registry) : undefined;
  const channel = options.channel ?? options.env;

  const runner = new StageRunner(ctx.reporter, { explain: (error) => ctx.credentials.explain(error) });
  const access = registryAccess(options, ctx.environment, ctx.cwd, ctx.credentials.registry(options.env));
  let ecr: OpenedEcr | undefined;
  try {
    let lockFile: string | undefined;
    if (runs('extract')) {
      const extracted = await runner.run(
        'extract',
        () =>
          extractStage(
            { manifestFile: file, outDir: options.out, platforms: [], locked: false, keepSource: false, via: 'direct', lockWaitMs: waitMs, registry: access },
            ctx,
          ),
        extractUnchanged,
      );
      lockFile = extracted.data.lockFile;
    }

    const publishing =
      store && lockFile && runs('publish')
        ? runner.run(
            'publish',
            () =>
              publishStage(
                {
                  lockFile: lockFile!,
                  platforms: [],
                  channel,
                  dryRun: false,
                  concurrency: 4,
                  store,
                  storeLock: { dir: ctx.environment.lockDir, waitMs },
                },
                ctx,
              ),
            publishUnchanged,
          )
        : undefined;
    const building = runs('build')
      ? runner.run(
          'build',
          async () => {
            let pushAccess: RegistryAccess = access;
            if (ecrRegistry) {
              ecr = await openEcr(ecrRegistry, ctx.environment);
              const names = imagesFor(stages).map((image) => [ecrRegistry.path, REPOSITORY_BY_IMAGE[image]].filter(Boolean).join('/'));
              const ensured = await ecr.ensureRepositories(names, options.ecrKmsKey, ctx.signal);
              for (const repository of ensured.filter((r) => r.status !== 'unchanged'))
                ctx.reporter.info(`ECR repository ${repository.name} ${repository.status}`);
              pushAccess = { ...access, credentials: chainCredentials(ecr.credentials, access.credentials) };
            }
            return buildStage(
              {
                images: imagesFor(stages),
                registry: options.registry,
                push: runs('push'),
                dryRun: false,
                tags: [],
                platform: 'linux/amd64',
                falcoVersion,
                lockFile,
                sources: imageSources(options, ctx.cwd),
                access: pushAccess,
              },
              ctx,
            );
          },
          (data) => data.images.every((image) => image.status === 'unchanged'),
        )
      : undefined;
    // Publish and build share nothing but the lock: they run side by side, and both settle before a failure is reported.
    const [published, built] = await runner.settle([publishing, building] as const);

    if (runs('deploy')) {
      const computed = {
        ...computedValues(strategy, falcoVersion, built?.data, store && { ...store, channel }, published?.data),
        rules: falco?.chartValues.rules,
      };
      await runner.run(
        'deploy',
        () =>
          deployStage(
            {
              release: options.release,
              namespace: options.namespace,
              chart: options.chart,
              chartVersion: options.chartVersion,
              valuesFiles: options.values,
              computed,
              timeoutSeconds: deployTimeout,
              dryRun: false,
              diagnosticsDir: options.diagnosticsDir,
              cluster: cluster!,
            },
            ctx,
          ),
        deployUnchanged,
      );
    }
  } finally {
    (ecr as OpenedEcr | undefined)?.close();
  }
  const data: PipelineData = { env: options.env, strategy, manifest: file, dryRun: false, stages: runner.reports };
  return { data, summary: runner.summary(`pipeline for env ${options.env} (strategy ${strategy})`) };
}

const extractUnchanged = (data: ExtractStageData) => data.lockStatus === 'unchanged' && data.files.every((f) => f.status !== 'written');
const publishUnchanged = (data: PublishStageData) => data.releaseStatus === 'present' && !data.channel?.changed && data.uploadedBytes === 0;
const deployUnchanged = (data: DeployStageData) => data.result?.outcome === 'unchanged';

/** What the chart gets from this run: the images just pushed, by digest, and the channel the cluster follows. */
export function computedValues(
  strategy: PluginStrategy,
  falcoVersion: string,
  built: BuildStageData | undefined,
  store: (Pick<StoreConnection, 'bucket' | 'prefix' | 'region' | 'endpoint' | 'forcePathStyle'> & { channel: string }) | undefined,
  published: PublishStageData | undefined,
): ComputedValues {
  const pinned = (name: ImageName) => pinnedImage(built?.images.find((image) => image.image === name));
  const computed: ComputedValues = {
    pluginStrategy: strategy,
    falcoVersion,
    images: { falco: pinned('falco'), pluginLoader: pinned('plugin-loader'), s3Loader: pinned('s3-loader') },
  };
  if (strategy === 's3' && store) {
    computed.s3 = {
      bucket: store.bucket,
      prefix: published?.prefix ?? store.prefix,
      channel: store.channel,
      region: store.region,
      endpoint: store.endpoint,
      forcePathStyle: store.forcePathStyle,
    };
  }
  return computed;
}

function pinnedImage(result: ImageBuildResult | undefined): PinnedImage | undefined {
  const reference = result?.references[0];
  if (!result?.digest || !reference) return undefined;
  const parsed = parseReference(reference);
  if (!parsed.ok) return undefined;
  return { registry: parsed.reference.registry, repository: parsed.reference.repository, digest: result.digest };
}

/** The images of the build stage's plan, as the image builder names them. */
function imagesFor(stages: PlannedStage[]): ImageName[] {
  const planned = stages.find((s) => s.stage === 'build')?.items ?? [];
  return planned.map((repository) => IMAGE_BY_REPOSITORY[repository]!).filter(Boolean);
}

const IMAGE_BY_REPOSITORY: Record<string, ImageName> = { falco: 'falco', 'falco-s3-loader': 's3-loader', 'falco-plugin-loader': 'plugin-loader' };
const REPOSITORY_BY_IMAGE: Record<ImageName, string> = { falco: 'falco', 's3-loader': 'falco-s3-loader', 'plugin-loader': 'falco-plugin-loader' };

import type { PluginStrategyName } from '@falco-airgap/helm-values-schema';
import { isArtifactSource, type PluginsManifest } from '@falco-airgap/manifest';

// The chart defines how plugins reach Falco; the pipeline follows its list.
export { PLUGIN_STRATEGIES } from '@falco-airgap/helm-values-schema';
export type PluginStrategy = PluginStrategyName;

export interface PipelineOptions {
  env: string;
  strategy: PluginStrategy;
  build: boolean;
  deploy: boolean;
  registry: string;
}

export interface PlannedStage {
  stage: 'extract' | 'publish' | 'build' | 'push' | 'deploy';
  /** Why the stage runs or is skipped. */
  reason: string;
  run: boolean;
  items: string[];
}

const IMAGES_BY_STRATEGY: Record<PluginStrategy, string[]> = {
  sidecar: ['falco', 'falco-plugin-loader'],
  s3: ['falco', 'falco-s3-loader'],
  none: ['falco'],
};

const PUBLISH_REASON: Record<PluginStrategy, string> = {
  sidecar: 'strategy sidecar: plugins ship inside the plugin-loader image',
  s3: 'strategy s3: publish plugins as an immutable release and move the channel',
  none: 'strategy none: no plugins are delivered',
};

/** The stages a pipeline run would take, as data: printed by --dry-run, executed otherwise. */
export function planPipeline(manifest: PluginsManifest, options: PipelineOptions): PlannedStage[] {
  const extractItems = [
    ...manifest.plugins.flatMap((plugin) =>
      manifest.platforms.map(
        (platform) =>
          `plugin ${plugin.name}@${plugin.version} ${platform} from ${isArtifactSource(plugin.from) ? plugin.from.artifact : `${plugin.from.image} (file ${plugin.from.path})`}`,
      ),
    ),
    ...manifest.rulesfiles.map(
      (rules) =>
        `rulesfile ${rules.name}@${rules.version} from ${isArtifactSource(rules.from) ? rules.from.artifact : `${rules.from.image} (file ${rules.from.path})`}`,
    ),
  ];
  const images = IMAGES_BY_STRATEGY[options.strategy];
  const imageRefs = images.map((image) => `${options.registry}/${image}:${manifest.falco.version}`);
  return [
    options.strategy === 'none'
      ? { stage: 'extract', run: false, reason: 'strategy none: Falco runs only the plugins its image holds', items: [] }
      : { stage: 'extract', run: true, reason: 'mirror and verify what the manifest names, write plugins-lock.yaml', items: extractItems },
    {
      stage: 'publish',
      run: options.strategy === 's3',
      reason: PUBLISH_REASON[options.strategy],
      items: options.strategy === 's3' ? [`release for env ${options.env}`] : [],
    },
    {
      stage: 'build',
      run: options.build,
      reason: options.build ? `Falco ${manifest.falco.version} on AlmaLinux 9` : '--no-build',
      items: options.build ? images : [],
    },
    { stage: 'push', run: options.build, reason: options.build ? `to ${options.registry}` : '--no-build', items: options.build ? imageRefs : [] },
    {
      stage: 'deploy',
      run: options.deploy,
      reason: options.deploy ? `helm upgrade --install for env ${options.env}, then verify the rollout` : '--no-deploy',
      items: options.deploy ? [`env ${options.env} strategy ${options.strategy}`] : [],
    },
  ];
}

export function formatPlan(stages: PlannedStage[]): string {
  const lines: string[] = [];
  stages.forEach((stage, index) => {
    lines.push(`${index + 1}. ${stage.stage}${stage.run ? '' : ' (skipped)'} — ${stage.reason}`);
    for (const item of stage.items) lines.push(`     ${item}`);
  });
  return lines.join('\n');
}

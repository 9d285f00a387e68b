import type { Command } from 'commander';
import { access } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import type { CommandContext } from '../context.ts';
import { ConfigError, ConfigErrorCode } from './config-error.ts';
import { loadConfigFile, selectEnvironment, type LoadedConfig } from './config-file.ts';
import { DEFAULT_CONFIG_FILE, type EnvironmentConfig } from './config-schema.ts';

// One read per run: --config is checked before the command, and the command reads the same file again.
const loaded = new Map<string, Promise<LoadedConfig>>();

/** The configuration file of this run: --config, else falco-airgap.config.yaml in the working directory when present. */
export async function readConfig(explicit: string | undefined, cwd: string): Promise<LoadedConfig | undefined> {
  const file = resolve(cwd, explicit ?? DEFAULT_CONFIG_FILE);
  if (explicit === undefined && !(await exists(file))) return undefined;
  const shown = relative(cwd, file).startsWith('..') ? file : relative(cwd, file);
  let config = loaded.get(file);
  if (!config) {
    config = loadConfigFile(file, shown);
    loaded.set(file, config);
  }
  return config;
}

/** The named environment of the configuration file; refused (exit 2) when there is no file or no such environment. */
export async function readEnvironment(
  ctx: Pick<CommandContext, 'globals' | 'cwd'>,
  name: string,
): Promise<{ config: LoadedConfig; environment: EnvironmentConfig }> {
  const config = await readConfig(ctx.globals.config, ctx.cwd);
  if (!config) {
    throw new ConfigError([
      {
        code: ConfigErrorCode.EnvRequired,
        message: `environment "${name}" needs a configuration file, and ${DEFAULT_CONFIG_FILE} is not in ${ctx.cwd}`,
        hint: `pass --config <file>, or create ${DEFAULT_CONFIG_FILE} (see the one at the root of the repository)`,
        position: { file: DEFAULT_CONFIG_FILE, line: 1, column: 1 },
      },
    ]);
  }
  return { config, environment: selectEnvironment(config, name) };
}

/** The options an environment sets for the cluster commands (deploy, status), paths relative to the file. */
export function clusterSettings(environment: EnvironmentConfig, config: LoadedConfig, cwd: string): Record<string, unknown> {
  const base = dirname(resolve(cwd, config.file));
  const path = (file: string) => (isAbsolute(file) ? file : resolve(base, file));
  const cluster = environment.cluster;
  const settings: Record<string, unknown> = {
    kubeconfig: cluster.kubeconfig === undefined ? undefined : path(cluster.kubeconfig),
    kubeContext: cluster.kubeContext,
    eksCluster: cluster.eks?.name,
    region: cluster.eks?.region,
    namespace: environment.namespace,
    release: environment.release,
    values: environment.values?.map(path),
    timeout: environment.timeout,
  };
  return settings;
}

const CLUSTER_OPTIONS = ['kubeconfig', 'kubeContext', 'eksCluster', 'region'];

/**
 * Sets every option the user did not give (flag or FALCO_AIRGAP_* variable) from the environment;
 * a cluster named on the command line replaces the file's cluster as a whole.
 */
export function overlaySettings(command: Command, settings: Record<string, unknown>): void {
  const given = (key: string) => ['cli', 'env'].includes(command.getOptionValueSource(key) ?? '');
  const clusterGiven = CLUSTER_OPTIONS.some(given);
  for (const [key, value] of Object.entries(settings)) {
    if (value === undefined || given(key) || (clusterGiven && CLUSTER_OPTIONS.includes(key))) continue;
    if (!command.options.some((option) => option.attributeName() === key)) continue;
    command.setOptionValueWithSource(key, value, 'config');
  }
}

/** For deploy and status: --env applies the environment's cluster, namespace, release, values and timeout. */
export async function applyClusterEnvironment(ctx: CommandContext, command: Command): Promise<void> {
  const name = command.opts<{ env?: string }>().env;
  if (name === undefined) return;
  const { config, environment } = await readEnvironment(ctx, name);
  overlaySettings(command, clusterSettings(environment, config, ctx.cwd));
  // A bundle loaded for this environment brings the chart and the values overlay deploy installs.
  await (await import('./loaded-bundle.ts')).applyLoadedBundle(command, name, config, ctx.cwd);
}

/** The options an environment sets for the pipeline: registry, strategy, plugin store, and the cluster's as for deploy. */
export function pipelineSettings(environment: EnvironmentConfig, config: LoadedConfig, cwd: string): Record<string, unknown> {
  const base = dirname(resolve(cwd, config.file));
  const { registry, store } = environment;
  const host = registry.ecr ? `${registry.ecr.account}.dkr.ecr.${registry.ecr.region}.amazonaws.com` : registry.host;
  // The pipeline's --region is the bucket's; the cluster's is --eks-region.
  const { region: eksRegion, ...cluster } = clusterSettings(environment, config, cwd);
  return {
    ...cluster,
    eksRegion,
    registry: host,
    plainHttp: registry.plainHttp && host ? [host] : undefined,
    caFile: registry.caFile === undefined ? undefined : resolve(base, registry.caFile),
    ecrKmsKey: registry.ecr?.kmsKey,
    strategy: environment.strategy,
    bucket: store?.bucket,
    prefix: store?.prefix,
    channel: store?.channel,
    region: store?.region,
    endpoint: store?.endpoint,
  };
}

/**
 * For pipeline: with a configuration file, --env names one of its environments and fills the registry,
 * strategy and store; without one, --env only names the channel, as before files existed.
 */
export async function applyPipelineEnvironment(ctx: CommandContext, command: Command): Promise<void> {
  const name = command.opts<{ env: string }>().env;
  if (!(await readConfig(ctx.globals.config, ctx.cwd))) return;
  const { config, environment } = await readEnvironment(ctx, name);
  overlaySettings(command, pipelineSettings(environment, config, ctx.cwd));
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

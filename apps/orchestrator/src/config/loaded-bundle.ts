import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { CliError, CliErrorCode } from '../cli-error.ts';
import type { CommandContext } from '../context.ts';
import type { LoadedConfig } from './config-file.ts';
import { overlaySettings, pipelineSettings, readConfig, readEnvironment } from './environment-config.ts';

// What `bundle load --env E` leaves for `deploy --env E` on the isolated side, in the state directory
// (.falco-airgap/<env> next to the configuration file):
//   loaded.json   this record
//   chart/        the bundle's chart, unpacked
//   values/       the bundle's values files, in helm order
//   values.yaml   the overlay: images by digest in the private registry, strategy, Falco version, S3 release
//   plugins/      the lock and extracted files (what a publish uploaded)

export const LOADED_BUNDLE_KIND = 'LoadedBundle';
export const LOADED_BUNDLE_FILE = 'loaded.json';

export interface LoadedBundleRecord {
  apiVersion: 'falco-airgap/v1alpha1';
  kind: typeof LOADED_BUNDLE_KIND;
  /** sha256 of the bundle's bundle.json. */
  bundle: string;
  environment: string;
  loadedAt: string;
  /** Paths relative to the state directory. */
  chart: string;
  values: string[];
  overlay: string;
}

/** Where `bundle load` keeps what it loaded for an environment: .falco-airgap/<env> next to the configuration file. */
export function defaultStateDirectory(config: LoadedConfig | undefined, cwd: string, environment: string): string {
  return join(config ? dirname(resolve(cwd, config.file)) : cwd, '.falco-airgap', environment);
}

export async function readLoadedBundle(stateDir: string): Promise<LoadedBundleRecord | undefined> {
  const file = join(stateDir, LOADED_BUNDLE_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let record: Partial<LoadedBundleRecord> | undefined;
  try {
    record = JSON.parse(text) as Partial<LoadedBundleRecord>;
  } catch {
    record = undefined;
  }
  if (record?.kind !== LOADED_BUNDLE_KIND || typeof record.chart !== 'string' || typeof record.overlay !== 'string' || !Array.isArray(record.values)) {
    throw new CliError(`${file} is not a record falco-airgap bundle load wrote`, CliErrorCode.Usage, 'input', 'load the bundle again, or remove the directory');
  }
  return record as LoadedBundleRecord;
}

/**
 * For deploy --env: when a bundle was loaded for the environment, its chart is the default chart and
 * the values are the bundle's files, then the environment's (or --values), then the overlay last.
 */
export async function applyLoadedBundle(command: Command, environment: string, config: LoadedConfig, cwd: string): Promise<void> {
  if (!command.options.some((option) => option.attributeName() === 'chart')) return;
  const stateDir = defaultStateDirectory(config, cwd, environment);
  const record = await readLoadedBundle(stateDir);
  if (!record) return;
  const given = (key: string) => ['cli', 'env'].includes(command.getOptionValueSource(key) ?? '');
  if (!given('chart')) command.setOptionValueWithSource('chart', join(stateDir, record.chart), 'config');
  const values = (command.opts<{ values?: string[] }>().values ?? []).map((file) => resolve(cwd, file));
  command.setOptionValueWithSource('values', [...record.values.map((file) => join(stateDir, file)), ...values, join(stateDir, record.overlay)], 'config');
}

/**
 * For bundle create and load: --env names an environment of the configuration file, which fills the registry,
 * its TLS settings, the strategy, the store and the values; returns where load keeps its state by default.
 */
export async function applyBundleEnvironment(ctx: Pick<CommandContext, 'globals' | 'cwd'>, command: Command): Promise<string> {
  const name = command.opts<{ env: string }>().env;
  const loaded = await readConfig(ctx.globals.config, ctx.cwd);
  if (!loaded) return defaultStateDirectory(undefined, ctx.cwd, name);
  const { config, environment } = await readEnvironment(ctx, name);
  overlaySettings(command, pipelineSettings(environment, config, ctx.cwd));
  return defaultStateDirectory(config, ctx.cwd, name);
}

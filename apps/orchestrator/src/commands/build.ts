import { isSupportedPlatform, SUPPORTED_PLATFORMS } from '@falco-airgap/core';
import { IMAGE_NAMES, type ImageName } from '@falco-airgap/image-builder';
import { loadLock, loadManifest } from '@falco-airgap/manifest';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { CliError, CliErrorCode } from '../cli-error.ts';
import type { CommandContext, CommandOutcome } from '../context.ts';
import { imageSources, type ImageFlags } from '../options/images.ts';
import { registryAccess, type RegistryFlags } from '../options/registry.ts';
import { buildStage } from '../stages/build-stage.ts';

export interface BuildCommandOptions extends RegistryFlags, ImageFlags {
  images: string;
  registry: string;
  push: boolean;
  tag: string[];
  platform: string;
  lock: string;
  extracted?: string | undefined;
  manifest: string;
  dryRun: boolean;
}

/** `falco-airgap build`: the flags as the build stage's input. */
export async function build(ctx: CommandContext, options: BuildCommandOptions): Promise<CommandOutcome> {
  const images = parseImages(options.images);
  if (!isSupportedPlatform(options.platform)) {
    throw new CliError(`unsupported --platform "${options.platform}"`, CliErrorCode.Usage, 'input', `use one of ${SUPPORTED_PLATFORMS.join(', ')}`);
  }
  const lockPath = resolve(ctx.cwd, options.lock);
  const hasLock = existsSync(lockPath);
  if (!hasLock && images.includes('plugin-loader')) {
    throw new CliError(
      `the plugin-loader image needs ${options.lock}, which does not exist`,
      CliErrorCode.Usage,
      'input',
      'run falco-airgap extract first, or pass --lock',
    );
  }
  // The lock says which Falco the plugins were resolved for; without one, the manifest does.
  const falcoVersion = hasLock
    ? (await loadLock(lockPath, options.lock)).falco.version
    : (await loadManifest(resolve(ctx.cwd, options.manifest), options.manifest)).falco.version;
  return buildStage(
    {
      images,
      registry: options.registry,
      push: options.push,
      dryRun: options.dryRun,
      tags: options.tag,
      platform: options.platform,
      falcoVersion,
      lockFile: hasLock ? options.lock : undefined,
      extractedDir: options.extracted,
      sources: imageSources(options, ctx.cwd),
      access: registryAccess(options, ctx.environment, ctx.cwd, ctx.credentials.registry()),
    },
    ctx,
  );
}

/** `--images falco,s3-loader` as image names. */
export function parseImages(value: string): ImageName[] {
  const names = value
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  const unknown = names.filter((name) => !(IMAGE_NAMES as readonly string[]).includes(name));
  if (unknown.length || names.length === 0) {
    throw new CliError(
      `unknown image "${unknown[0] ?? value}" in --images`,
      CliErrorCode.Usage,
      'input',
      `use a comma-separated list of ${IMAGE_NAMES.join(', ')}`,
    );
  }
  return [...new Set(names)] as ImageName[];
}

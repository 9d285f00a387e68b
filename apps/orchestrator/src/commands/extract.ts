import { isSupportedPlatform, SUPPORTED_PLATFORMS, type Platform } from '@falco-airgap/core';
import { DEFAULT_MANIFEST_PATH, loadManifest } from '@falco-airgap/manifest';
import { ARTIFACT_LIMITS, createExtractorPorts, extract as runExtract, type ExtractResult } from '@falco-airgap/plugin-extractor';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import { CliError, CliErrorCode } from '../cli-error.ts';
import type { CommandContext, CommandOutcome } from '../context.ts';

export interface ExtractCommandOptions {
  manifest?: string | undefined;
  out?: string | undefined;
  platform?: string[] | undefined;
  locked?: boolean | undefined;
  via?: string | undefined;
  keepSource?: boolean | undefined;
  caFile?: string | undefined;
  plainHttp?: string[] | undefined;
  cacheDir?: string | undefined;
  maxUncompressedBytes?: string | undefined;
  maxEntries?: string | undefined;
}

/** `falco-airgap extract`: mirror and verify what the manifest names, write plugins/extracted and the lock. */
export async function extract(ctx: CommandContext, options: ExtractCommandOptions): Promise<CommandOutcome> {
  const via = options.via ?? 'direct';
  if (via !== 'direct' && via !== 'docker') throw new CliError(`unknown --via "${via}"`, CliErrorCode.Usage, 'input', 'use --via direct or --via docker');
  if (via === 'docker' && options.keepSource)
    throw new CliError(
      '--keep-source needs --via direct',
      CliErrorCode.Usage,
      'input',
      'the engine hands out single files; drop --keep-source or use --via direct',
    );
  const platforms = (options.platform ?? []).map((p): Platform => {
    if (!isSupportedPlatform(p))
      throw new CliError(`unsupported --platform "${p}"`, CliErrorCode.Usage, 'input', `use one of ${SUPPORTED_PLATFORMS.join(', ')}`);
    return p;
  });
  const manifestFile = options.manifest ?? DEFAULT_MANIFEST_PATH;
  const manifestPath = resolve(ctx.cwd, manifestFile);
  const manifest = await loadManifest(manifestPath, manifestFile);
  const manifestSha256 = createHash('sha256')
    .update(await readFile(manifestPath))
    .digest('hex');
  const outDir = resolve(ctx.cwd, options.out ?? 'plugins');
  const ports = await createExtractorPorts({
    via,
    caFile: options.caFile ? resolve(ctx.cwd, options.caFile) : undefined,
    plainHttp: options.plainHttp ?? [],
    cacheDir: options.cacheDir ? resolve(ctx.cwd, options.cacheDir) : undefined,
  });
  let result: ExtractResult;
  try {
    result = await runExtract(
      {
        manifest,
        manifestSha256,
        outDir,
        platforms,
        locked: options.locked === true,
        keepSource: options.keepSource === true,
        artifactLimits: {
          maxBytes: positive(options.maxUncompressedBytes, '--max-uncompressed-bytes') ?? ARTIFACT_LIMITS.maxBytes,
          maxEntries: positive(options.maxEntries, '--max-entries') ?? ARTIFACT_LIMITS.maxEntries,
        },
        signal: ctx.signal,
        onEvent: (event) => ctx.reporter.event(event),
      },
      ports,
    );
  } finally {
    await ports.close();
  }
  const shown = (path: string) => {
    const rel = relative(ctx.cwd, path);
    return rel === '' ? '.' : rel.startsWith('..') ? path : rel;
  };
  const written = result.files.filter((f) => f.status === 'written').length;
  const plugins = result.lock.plugins.reduce((n, p) => n + p.platforms.length, 0);
  const rules = result.lock.rulesfiles.reduce((n, r) => n + r.files.length, 0);
  const { blobsDownloaded, blobsFromCache } = result.stats;
  return {
    summary:
      `extracted ${plugins} plugin file${plugins === 1 ? '' : 's'} and ${rules} rules file${rules === 1 ? '' : 's'} into ${shown(outDir)}/extracted ` +
      `(${written} changed, ${result.files.length - written} unchanged; ${blobsDownloaded} blob${blobsDownloaded === 1 ? '' : 's'} downloaded, ${blobsFromCache} from cache); ` +
      `lock ${shown(result.lockFile)} ${result.lockStatus}`,
    data: {
      outDir: shown(outDir),
      lockFile: shown(result.lockFile),
      lockStatus: result.lockStatus,
      via,
      files: result.files,
      stats: result.stats,
      lock: result.lock,
    },
  };
}

function positive(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0)
    throw new CliError(`${flag} must be a positive integer, got "${value}"`, CliErrorCode.Usage, 'input', `e.g. ${flag} 1073741824`);
  return n;
}

import { ARTIFACT_LIMITS } from '@falco-airgap/plugin-extractor';
import { resolve } from 'node:path';
import { CliError, CliErrorCode } from '../cli-error.ts';
import type { CommandContext, CommandOutcome } from '../context.ts';
import { lockWaitMs } from '../options/lock.ts';
import { parsePlatforms } from '../options/platform.ts';
import { registryAccess, type RegistryFlags } from '../options/registry.ts';
import { extractStage } from '../stages/extract-stage.ts';

export interface ExtractCommandOptions extends RegistryFlags {
  manifest: string;
  out: string;
  platform?: string[] | undefined;
  locked?: boolean | undefined;
  via?: string | undefined;
  keepSource?: boolean | undefined;
  verifySignatures?: boolean | undefined;
  signatureKey?: string | undefined;
  maxUncompressedBytes?: string | undefined;
  maxEntries?: string | undefined;
  lockTimeout?: string | undefined;
}

/** `falco-airgap extract`: the flags as the extract stage's input. */
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
  if (options.verifySignatures && !options.signatureKey)
    throw new CliError(
      '--verify-signatures needs --signature-key',
      CliErrorCode.Usage,
      'input',
      'pass the public key of the signer, e.g. --signature-key cosign.pub',
    );
  if (options.signatureKey && !options.verifySignatures)
    throw new CliError(
      '--signature-key is only read with --verify-signatures',
      CliErrorCode.Usage,
      'input',
      'add --verify-signatures, or drop --signature-key',
    );
  const platforms = parsePlatforms(options.platform);
  return extractStage(
    {
      manifestFile: options.manifest,
      outDir: options.out,
      platforms,
      locked: options.locked === true,
      keepSource: options.keepSource === true,
      signatureKeyFile: options.verifySignatures ? resolve(ctx.cwd, options.signatureKey!) : undefined,
      via,
      artifactLimits: {
        maxBytes: positive(options.maxUncompressedBytes, '--max-uncompressed-bytes') ?? ARTIFACT_LIMITS.maxBytes,
        maxEntries: positive(options.maxEntries, '--max-entries') ?? ARTIFACT_LIMITS.maxEntries,
      },
      lockWaitMs: lockWaitMs(options.lockTimeout),
      registry: registryAccess(options, ctx.environment, ctx.cwd, ctx.credentials.registry()),
    },
    ctx,
  );
}

function positive(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0)
    throw new CliError(`${flag} must be a positive integer, got "${value}"`, CliErrorCode.Usage, 'input', `e.g. ${flag} 1073741824`);
  return n;
}

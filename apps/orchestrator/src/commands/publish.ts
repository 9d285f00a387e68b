import { CliError, CliErrorCode } from '../cli-error.ts';
import type { CommandContext, CommandOutcome } from '../context.ts';
import { lockWaitMs } from '../options/lock.ts';
import { parsePlatforms } from '../options/platform.ts';
import { storeConnection, type StoreFlags } from '../options/store.ts';
import { publishStage } from '../stages/publish-stage.ts';

export interface PublishCommandOptions extends StoreFlags {
  bucket: string;
  channel?: string | undefined;
  lock: string;
  extracted?: string | undefined;
  platform?: string[] | undefined;
  concurrency?: string | undefined;
  dryRun?: boolean | undefined;
  lockTimeout?: string | undefined;
}

/** `falco-airgap publish`: the flags as the publish stage's input. */
export async function publish(ctx: CommandContext, options: PublishCommandOptions): Promise<CommandOutcome> {
  const platforms = parsePlatforms(options.platform);
  const concurrency = Number(options.concurrency ?? '4');
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
    throw new CliError(`--concurrency must be a whole number from 1 to 64, got "${options.concurrency}"`, CliErrorCode.Usage, 'input', 'e.g. --concurrency 8');
  }
  return publishStage(
    {
      lockFile: options.lock,
      extractedDir: options.extracted,
      platforms,
      channel: options.channel,
      dryRun: options.dryRun === true,
      concurrency,
      store: storeConnection(options, ctx.environment, await ctx.credentials.storeKeys(options)),
      storeLock: { dir: ctx.environment.lockDir, waitMs: lockWaitMs(options.lockTimeout) },
    },
    ctx,
  );
}

import { isSupportedPlatform, SUPPORTED_PLATFORMS, type Platform } from '@falco-airgap/core';
import { DEFAULT_LOCK_PATH, loadLock } from '@falco-airgap/manifest';
import type { PublishResult } from '@falco-airgap/s3-plugin-store';
import type { Command } from 'commander';
import { dirname, join, resolve } from 'node:path';
import { CliError, CliErrorCode } from '../cli-error.ts';
import type { CommandContext, CommandOutcome } from '../context.ts';
import { formatBytes } from '../output/human-reporter.ts';
import { describeChannelChange, openStore, withStoreConnection, type Execute, type StoreConnectionOptions } from './releases.ts';

export interface PublishCommandOptions extends StoreConnectionOptions {
  channel?: string | undefined;
  lock?: string | undefined;
  extracted?: string | undefined;
  platform?: string[] | undefined;
  concurrency?: string | undefined;
  dryRun?: boolean | undefined;
}

/** Registers `publish`. */
export function addPublishCommand(program: Command, execute: Execute): void {
  withStoreConnection(
    program
      .command('publish')
      .description('upload the locked plugins and rules to the S3 plugin store as an immutable release (strategy s3)')
      .option('--channel <name>', 'then point this channel at the release, e.g. staging')
      .option('--lock <file>', 'lock written by extract', DEFAULT_LOCK_PATH)
      .option('--extracted <dir>', 'directory of the extracted files (default: extracted/ next to the lock)')
      .option(
        '--platform <os/arch>',
        'only this platform (repeatable; default: every platform of the lock)',
        (v: string, all: string[]) => [...all, v],
        [] as string[],
      )
      .option('--concurrency <n>', 'files uploaded at once', '4')
      .option('--dry-run', 'hash and compare, print what would be uploaded, write nothing', false),
  ).action(execute('publish', (ctx, command) => publish(ctx, command.opts())));
}

/** `falco-airgap publish`: the lock's files into content-addressed blobs, one release document, optionally a channel move. */
export async function publish(ctx: CommandContext, options: PublishCommandOptions): Promise<CommandOutcome> {
  const platforms = (options.platform ?? []).map((p): Platform => {
    if (!isSupportedPlatform(p))
      throw new CliError(`unsupported --platform "${p}"`, CliErrorCode.Usage, 'input', `use one of ${SUPPORTED_PLATFORMS.join(', ')}`);
    return p;
  });
  const concurrency = Number(options.concurrency ?? '4');
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
    throw new CliError(`--concurrency must be a whole number from 1 to 64, got "${options.concurrency}"`, CliErrorCode.Usage, 'input', 'e.g. --concurrency 8');
  }
  const lockFile = options.lock ?? DEFAULT_LOCK_PATH;
  const lock = await loadLock(resolve(ctx.cwd, lockFile), lockFile);
  const extractedDir = resolve(ctx.cwd, options.extracted ?? join(dirname(lockFile), 'extracted'));

  const { store, close } = await openStore(ctx, options, { concurrency });
  let result: PublishResult;
  try {
    result = await store.publish(lock, extractedDir, { channel: options.channel, platforms, dryRun: options.dryRun === true, signal: ctx.signal });
  } finally {
    close();
  }
  const where = `s3://${options.bucket}${store.layout.prefix ? `/${store.layout.prefix}` : ''}`;
  return {
    summary: summarize(result, where),
    data: { bucket: options.bucket, prefix: store.layout.prefix, ...result, release: result.release.id, document: result.release },
  };
}

function summarize(result: PublishResult, where: string): string {
  const count = (n: number) => `${n} file${n === 1 ? '' : 's'}`;
  const sent = result.blobs.filter((b) => b.action !== 'present');
  const present = result.blobs.length - sent.length;
  const bytes = formatBytes(sent.reduce((sum, b) => sum + b.size, 0));
  const channel = result.channel ? `; ${describeChannelChange(result.channel)}` : '';
  if (result.dryRun) {
    const release = result.releaseStatus === 'would-create' ? `would write release ${result.release.id}` : `release ${result.release.id} is already published`;
    const move = result.channel?.changed ? `; would move channel ${result.channel.channel} to it` : '';
    return `dry run against ${where}: would upload ${count(sent.length)} (${bytes}), ${present} already there; ${release}${move}`;
  }
  if (sent.length === 0 && result.releaseStatus === 'present')
    return `release ${result.release.id} is already published in ${where}: nothing uploaded${channel}`;
  return `published release ${result.release.id} to ${where}: uploaded ${count(sent.length)} (${bytes}), ${present} already there${channel}`;
}

import { acquireLock, describeLockHolder, type HeldLock, type Platform } from '@falco-airgap/core';
import { loadLock } from '@falco-airgap/manifest';
import type { PublishResult, ReleaseDocument } from '@falco-airgap/s3-plugin-store';
import { createHash } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import type { StoreConnection } from '../options/store.ts';
import { formatBytes } from '../output/human-reporter.ts';
import { describeChannelChange, reportStoreEvents } from '../output/store-events.ts';
import { openStore } from './open-store.ts';
import type { StageDeps, StageOutcome } from './stage.ts';

export interface PublishStageInput {
  /** The lock as the user named it; resolved against the working directory. */
  lockFile: string;
  /** Directory of the extracted files; extracted/ next to the lock by default. */
  extractedDir?: string | undefined;
  /** Empty: every platform of the lock. */
  platforms: Platform[];
  /** Point this channel at the release afterwards. */
  channel?: string | undefined;
  dryRun: boolean;
  /** Files uploaded at once. */
  concurrency: number;
  store: StoreConnection;
  /** The advisory lock that keeps two publishes from this machine off one store prefix: where lock files live, how long to wait. */
  storeLock: { dir: string; waitMs: number };
}

export type PublishStageData = Omit<PublishResult, 'release'> & { bucket: string; prefix: string; release: string; document: ReleaseDocument };

export interface PublishStageDeps extends StageDeps {
  /** The store factory; a plugin store over S3 by default. */
  openStore?: typeof openStore | undefined;
}

/** The publish stage: the lock's files into content-addressed blobs, one release document, optionally a channel move. */
export async function publishStage(input: PublishStageInput, deps: PublishStageDeps): Promise<StageOutcome<PublishStageData>> {
  const lock = await loadLock(resolve(deps.cwd, input.lockFile), input.lockFile);
  const extractedDir = resolve(deps.cwd, input.extractedDir ?? join(dirname(input.lockFile), 'extracted'));
  const { store, signal, close } = (deps.openStore ?? openStore)(input.store, {
    concurrency: input.concurrency,
    onEvent: reportStoreEvents(deps.reporter),
    signal: deps.signal,
  });
  const where = `s3://${input.store.bucket}${store.layout.prefix ? `/${store.layout.prefix}` : ''}`;
  let result: PublishResult;
  let held: HeldLock | undefined;
  try {
    // A dry run writes nothing, so it needs no lock.
    if (!input.dryRun) held = await lockStorePrefix(input, where, deps);
    result = await store.publish(lock, extractedDir, { channel: input.channel, platforms: input.platforms, dryRun: input.dryRun, signal });
  } finally {
    await held?.release();
    close();
  }
  return {
    summary: summarize(result, where),
    data: { bucket: input.store.bucket, prefix: store.layout.prefix, ...result, release: result.release.id, document: result.release },
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

/**
 * One publish at a time per store prefix from this machine: two would upload the same blobs and race to write
 * the same release. Across machines, the store's own conditional writes protect releases and channels.
 */
function lockStorePrefix(input: PublishStageInput, where: string, deps: StageDeps): Promise<HeldLock> {
  return acquireLock(storeLockFile(input.storeLock.dir, input.store), {
    purpose: 'publish',
    resource: where,
    waitMs: input.storeLock.waitMs,
    signal: deps.signal,
    onWait: (holder) =>
      deps.reporter.event({
        type: 'diagnostic',
        severity: 'info',
        code: 'LOCK_HELD',
        message: `${describeLockHolder(holder, where)}: waiting for it to finish`,
      }),
  });
}

/** The lock file of one store prefix: the same endpoint, bucket and prefix give the same file. */
export function storeLockFile(dir: string, store: Pick<StoreConnection, 'endpoint' | 'bucket' | 'prefix'>): string {
  const prefix = (store.prefix ?? '').replace(/^\/+|\/+$/g, '');
  const key = createHash('sha256')
    .update(`${store.endpoint ?? 'aws'}\n${store.bucket}\n${prefix}`)
    .digest('hex')
    .slice(0, 16);
  return join(dir, `publish-${key}.lock`);
}

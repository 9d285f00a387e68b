import type { Platform } from '@falco-airgap/core';
import { loadLock } from '@falco-airgap/manifest';
import type { PublishResult, ReleaseDocument } from '@falco-airgap/s3-plugin-store';
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
  let result: PublishResult;
  try {
    result = await store.publish(lock, extractedDir, { channel: input.channel, platforms: input.platforms, dryRun: input.dryRun, signal });
  } finally {
    close();
  }
  const where = `s3://${input.store.bucket}${store.layout.prefix ? `/${store.layout.prefix}` : ''}`;
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

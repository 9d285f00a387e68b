import { DEFAULT_GC_MIN_AGE_MS, storePolicies } from '@falco-airgap/s3-plugin-store';
import { CliError, CliErrorCode } from '../cli-error.ts';
import type { CommandContext, CommandOutcome } from '../context.ts';
import { parseDuration } from '../options/duration.ts';
import { storeConnection, type StoreFlags } from '../options/store.ts';
import { formatBytes } from '../output/human-reporter.ts';
import { describeChannelChange, reportStoreEvents } from '../output/store-events.ts';
import { openStore, type OpenedStore } from '../stages/open-store.ts';

type StoreCommandOptions = StoreFlags & { bucket: string };

/** The store the flags name, drawing its events as task rows. */
function openStoreFor(ctx: CommandContext, options: StoreCommandOptions): OpenedStore {
  return openStore(storeConnection(options, ctx.environment), { onEvent: reportStoreEvents(ctx.reporter) });
}

export async function releasesList(ctx: CommandContext, options: StoreCommandOptions): Promise<CommandOutcome> {
  const { store, close } = openStoreFor(ctx, options);
  try {
    const [releases, channels] = await Promise.all([store.listReleases(ctx.signal), store.listChannels(ctx.signal)]);
    const rows = releases.map((r) =>
      r.problem
        ? `${r.id}  ${r.problem.code}: ${r.problem.message}`
        : `${r.id}  ${r.createdAt}  falco ${r.falcoVersion}  ${r.plugins.map((p) => `${p.name}@${p.version}`).join(', ')}  [${r.platforms.join(', ')}]${r.channels.length ? `  ← ${r.channels.join(', ')}` : ''}`,
    );
    const summary =
      releases.length === 0
        ? `no releases in s3://${options.bucket}/${store.layout.prefix}`
        : `${releases.length} release${releases.length === 1 ? '' : 's'}, ${channels.length} channel${channels.length === 1 ? '' : 's'}:\n${rows.join('\n')}`;
    return {
      summary,
      data: { bucket: options.bucket, prefix: store.layout.prefix, releases, channels: channels.map((c) => ({ channel: c.channel, ...c.pointer })) },
    };
  } finally {
    close();
  }
}

export async function releasesShow(ctx: CommandContext, id: string, options: StoreCommandOptions): Promise<CommandOutcome> {
  const { store, close } = openStoreFor(ctx, options);
  try {
    const [release, channels] = await Promise.all([store.getRelease(id, ctx.signal), store.listChannels(ctx.signal)]);
    const following = channels.filter((c) => c.pointer.release === id).map((c) => c.channel);
    const lines = [
      `release ${release.id} (falco ${release.falco.version}, created ${release.createdAt})`,
      `channels: ${following.length ? following.join(', ') : 'none'}`,
      ...release.plugins.map((p) => `  plugin ${p.name}@${p.version} ${p.platform} ${p.file} ${formatBytes(p.size)} sha256:${p.sha256}`),
      ...release.rulesfiles.map((r) => `  rules  ${r.name}@${r.version} ${r.file} ${formatBytes(r.size)} sha256:${r.sha256}`),
    ];
    return { summary: lines.join('\n'), data: { release, channels: following } };
  } finally {
    close();
  }
}

export async function releasesPromote(
  ctx: CommandContext,
  id: string,
  options: StoreCommandOptions & { channel: string; conflictRetries?: string },
): Promise<CommandOutcome> {
  const conflictRetries = wholeNumber(options.conflictRetries ?? '0', '--conflict-retries');
  const { store, close } = openStoreFor(ctx, options);
  try {
    const change = await store.promote(id, options.channel, { conflictRetries, signal: ctx.signal });
    return { summary: describeChannelChange(change), data: change };
  } finally {
    close();
  }
}

export async function releasesRollback(ctx: CommandContext, options: StoreCommandOptions & { channel: string }): Promise<CommandOutcome> {
  const { store, close } = openStoreFor(ctx, options);
  try {
    const change = await store.rollback(options.channel, { signal: ctx.signal });
    return { summary: `rolled back: ${describeChannelChange(change)}`, data: change };
  } finally {
    close();
  }
}

export async function releasesGc(ctx: CommandContext, options: StoreCommandOptions & { apply?: boolean; minAge?: string }): Promise<CommandOutcome> {
  const minAgeMs = options.minAge === undefined ? DEFAULT_GC_MIN_AGE_MS : parseDuration(options.minAge, '--min-age');
  const { store, close } = openStoreFor(ctx, options);
  try {
    const result = await store.gc({ apply: options.apply === true, minAgeMs, signal: ctx.signal });
    for (const { release, sha256 } of result.missing) {
      ctx.reporter.event({
        type: 'diagnostic',
        severity: 'warning',
        code: 'S3STORE_BLOB_MISSING',
        message: `release ${release} refers to blob ${sha256}, which the bucket does not hold`,
        hint: 'publish the lock of that release again',
      });
    }
    const freed = `${result.delete.length} unreferenced blob${result.delete.length === 1 ? '' : 's'} (${formatBytes(result.reclaimableBytes)})`;
    const young = result.tooYoung.length ? `; ${result.tooYoung.length} younger than --min-age kept` : '';
    const summary = result.applied ? `deleted ${freed}${young}` : `${freed} would be deleted${young}; run again with --apply to delete them`;
    return {
      summary,
      data: {
        applied: result.applied,
        deleted: result.deleted,
        delete: result.delete.map((b) => ({ key: b.key, size: b.size, lastModified: b.lastModified.toISOString() })),
        tooYoung: result.tooYoung.map((b) => b.key),
        referenced: result.referenced,
        missing: result.missing,
        reclaimableBytes: result.reclaimableBytes,
      },
    };
  } finally {
    close();
  }
}

export async function releasesPolicy(options: {
  bucket: string;
  prefix?: string;
  channel?: string;
  partition?: string;
  kmsKeyArn?: string;
}): Promise<CommandOutcome> {
  const policies = storePolicies({
    bucket: options.bucket,
    prefix: options.prefix,
    channel: options.channel,
    partition: options.partition,
    kmsKeyArn: options.kmsKeyArn,
  });
  const summary = [
    '# publisher: attach to the role that runs publish, promote, rollback and gc (e.g. Jenkins)',
    JSON.stringify(policies.publisher, null, 2),
    `# reader: attach to the role of the Falco pods' falco-s3-loader (e.g. the IRSA role)${options.channel ? `, channel ${options.channel} only` : ''}`,
    JSON.stringify(policies.reader, null, 2),
  ].join('\n');
  return { summary, data: policies };
}

function wholeNumber(text: string, flag: string): number {
  if (!/^\d+$/.test(text)) throw new CliError(`${flag} must be a whole number, got "${text}"`, CliErrorCode.Usage, 'input', `e.g. ${flag} 3`);
  return Number(text);
}

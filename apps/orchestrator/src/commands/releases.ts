import { DEFAULT_GC_MIN_AGE_MS, storeLifecycleConfiguration, storePolicies } from '@falco-airgap/s3-plugin-store';
import { CliError, CliErrorCode } from '../cli-error.ts';
import type { CommandContext, CommandOutcome } from '../context.ts';
import { parseDuration } from '../options/duration.ts';
import { storeConnection, type StoreFlags } from '../options/store.ts';
import { formatBytes } from '../output/human-reporter.ts';
import { describeChannelChange, reportStoreEvents } from '../output/store-events.ts';
import { openStore, type OpenedStore } from '../stages/open-store.ts';

type StoreCommandOptions = StoreFlags & { bucket: string };

/** The store the flags name, drawing its events as task rows; its signal carries the interrupt and the --timeout deadline. */
async function openStoreFor(ctx: CommandContext, options: StoreCommandOptions): Promise<OpenedStore> {
  const keys = await ctx.credentials.storeKeys(options);
  return openStore(storeConnection(options, ctx.environment, keys), { onEvent: reportStoreEvents(ctx.reporter), signal: ctx.signal });
}

export async function releasesList(ctx: CommandContext, options: StoreCommandOptions): Promise<CommandOutcome> {
  const { store, signal, close } = await openStoreFor(ctx, options);
  try {
    const [releases, channels] = await Promise.all([store.listReleases(signal), store.listChannels(signal)]);
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
  const { store, signal, close } = await openStoreFor(ctx, options);
  try {
    const [release, channels] = await Promise.all([store.getRelease(id, signal), store.listChannels(signal)]);
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
  const { store, signal, close } = await openStoreFor(ctx, options);
  try {
    const change = await store.promote(id, options.channel, { conflictRetries, signal });
    return { summary: describeChannelChange(change), data: change };
  } finally {
    close();
  }
}

export async function releasesRollback(ctx: CommandContext, options: StoreCommandOptions & { channel: string }): Promise<CommandOutcome> {
  const { store, signal, close } = await openStoreFor(ctx, options);
  try {
    const change = await store.rollback(options.channel, { signal });
    return { summary: `rolled back: ${describeChannelChange(change)}`, data: change };
  } finally {
    close();
  }
}

export async function releasesGc(
  ctx: CommandContext,
  options: StoreCommandOptions & { apply?: boolean; minAge?: string; keepReleases?: string },
): Promise<CommandOutcome> {
  const minAgeMs = options.minAge === undefined ? DEFAULT_GC_MIN_AGE_MS : parseDuration(options.minAge, '--min-age');
  const keepReleases = options.keepReleases === undefined ? undefined : wholeNumber(options.keepReleases, '--keep-releases');
  const { store, signal, close } = await openStoreFor(ctx, options);
  try {
    const result = await store.gc({ apply: options.apply === true, minAgeMs, keepReleases, signal });
    for (const { release, sha256 } of result.missing) {
      ctx.reporter.event({
        type: 'diagnostic',
        severity: 'warning',
        code: 'S3STORE_BLOB_MISSING',
        message: `release ${release} refers to blob ${sha256}, which the bucket does not hold`,
        hint: 'publish the lock of that release again',
      });
    }
    if (!result.complete) {
      ctx.reporter.event({
        type: 'diagnostic',
        severity: 'warning',
        code: 'S3STORE_TIMEOUT',
        message: 'gc stopped at the end of its deletion window before it was done',
        hint: 'run releases gc --apply again to delete the rest',
      });
    }
    const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
    const parts = [`${count(result.delete.length, 'unreferenced blob')} (${formatBytes(result.reclaimableBytes)})`];
    if (keepReleases !== undefined) parts.push(count(result.retire.length, 'old release'));
    if (result.abortUploads.length) parts.push(count(result.abortUploads.length, 'unfinished upload'));
    if (result.staleMarkers.length) parts.push(count(result.staleMarkers.length, 'stale lease'));
    const kept = [
      ...(result.tooYoung.length ? [`${result.tooYoung.length} younger than --min-age`] : []),
      ...(result.leased ? [`${result.leased} held by ${count(result.liveLeases, 'running publish')}`] : []),
    ];
    const keptText = kept.length ? `; kept ${kept.join(', ')}` : '';
    const summary = result.applied
      ? `deleted ${parts.join(', ')}${keptText}`
      : `would delete ${parts.join(', ')}${keptText}; run again with --apply to delete them`;
    return {
      summary,
      data: {
        applied: result.applied,
        complete: result.complete,
        deleted: result.deleted,
        retired: result.retired,
        abortedUploads: result.abortedUploads,
        delete: result.delete.map((b) => ({ key: b.key, size: b.size, lastModified: b.lastModified.toISOString() })),
        retire: result.retire,
        abortUploads: result.abortUploads.map((u) => ({ key: u.key, uploadId: u.uploadId, initiated: u.initiated.toISOString() })),
        staleMarkers: result.staleMarkers,
        tooYoung: result.tooYoung.map((b) => b.key),
        leased: result.leased,
        liveLeases: result.liveLeases,
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
  conditionKeys?: boolean;
  retireReleases?: boolean;
}): Promise<CommandOutcome> {
  const policies = storePolicies({
    bucket: options.bucket,
    prefix: options.prefix,
    channel: options.channel,
    partition: options.partition,
    kmsKeyArn: options.kmsKeyArn,
    conditionKeys: options.conditionKeys !== false,
    retireReleases: options.retireReleases === true,
  });
  const lifecycle = storeLifecycleConfiguration({ prefix: options.prefix });
  const json = (value: unknown) => JSON.stringify(value, null, 2);
  const summary = [
    `# publisher: attach to the role that runs publish, promote and rollback (e.g. Jenkins): creates blobs and releases, moves channels, deletes nothing${
      options.conditionKeys === false
        ? ''
        : ' (its Deny statements use the s3:if-none-match and s3:if-match condition keys; for a server without them, e.g. MinIO, print with --no-condition-keys)'
    }`,
    json(policies.publisher),
    `# gc: attach to the role that runs releases gc: deletes unreferenced blobs, unfinished uploads and stale leases${options.retireReleases ? ', and retires releases' : '; cannot touch releases or channels'}`,
    json(policies.gc),
    `# reader: attach to the role of the Falco pods' falco-s3-loader (e.g. the IRSA role)${options.channel ? `, channel ${options.channel} only` : ''}: reads, never lists`,
    json(policies.reader),
    `# bucket lifecycle rule: S3 aborts uploads a killed publish left, even if gc never runs (aws s3api put-bucket-lifecycle-configuration --bucket ${options.bucket} --lifecycle-configuration file://rule.json)`,
    json(lifecycle),
  ].join('\n');
  return { summary, data: { ...policies, lifecycle } };
}

function wholeNumber(text: string, flag: string): number {
  if (!/^\d+$/.test(text)) throw new CliError(`${flag} must be a whole number, got "${text}"`, CliErrorCode.Usage, 'input', `e.g. ${flag} 3`);
  return Number(text);
}

import type { ChannelChange, PluginStore, StoreEvent } from '@falco-airgap/s3-plugin-store';
import { Option, type Command } from 'commander';
import { CliError, CliErrorCode } from '../cli-error.ts';
import type { CommandContext, CommandOutcome } from '../context.ts';
import { formatBytes } from '../output/human-reporter.ts';
import type { Reporter } from '../output/reporter.ts';

type Action = (ctx: CommandContext, command: Command) => Promise<CommandOutcome>;
export type Execute = (name: string, action: Action) => (...args: unknown[]) => Promise<void>;

export interface StoreConnectionOptions {
  bucket: string;
  prefix?: string | undefined;
  endpoint?: string | undefined;
  region?: string | undefined;
  pathStyle?: boolean | undefined;
}

/** The flags that say where the store is; the environment variables suit Jenkins credentials bindings. */
export function withStoreConnection(command: Command): Command {
  return command
    .addOption(new Option('--bucket <name>', 'S3 bucket of the plugin store').env('FALCO_AIRGAP_S3_BUCKET').makeOptionMandatory())
    .addOption(new Option('--prefix <prefix>', 'key prefix of the store inside the bucket').env('FALCO_AIRGAP_S3_PREFIX'))
    .addOption(new Option('--endpoint <url>', 'S3-compatible server (MinIO, Ceph, ...); implies path-style addressing').env('FALCO_AIRGAP_S3_ENDPOINT'))
    .addOption(new Option('--region <region>', 'AWS region (default: AWS_REGION, then us-east-1)'))
    .option('--no-path-style', 'virtual-hosted addressing even with --endpoint');
}

// Loaded when a store command runs: the AWS SDK would otherwise slow down every other command's start.
const loadStoreLibrary = () => import('@falco-airgap/s3-plugin-store');

/** A store over the default S3 client: credentials from the AWS default chain (env, profiles/SSO, IRSA). */
export async function openStore(
  ctx: CommandContext,
  options: StoreConnectionOptions,
  tuning: { concurrency?: number | undefined } = {},
): Promise<{ store: PluginStore; close(): void }> {
  if (options.endpoint !== undefined && !/^https?:\/\/[^/]+/.test(options.endpoint)) {
    throw new CliError(`--endpoint "${options.endpoint}" is not an http(s) URL`, CliErrorCode.Usage, 'input', 'e.g. --endpoint http://minio.storage:9000');
  }
  const { createS3Client, PluginStore, S3ObjectStore } = await loadStoreLibrary();
  const client = createS3Client({
    region: options.region,
    endpoint: options.endpoint,
    forcePathStyle: options.endpoint ? options.pathStyle !== false : undefined,
    maxSockets: Math.max(16, (tuning.concurrency ?? 4) * 4),
  });
  const store = new PluginStore({
    objects: new S3ObjectStore({ client, bucket: options.bucket }),
    prefix: options.prefix,
    onEvent: (event) => reportStoreEvent(ctx.reporter, event),
    concurrency: tuning.concurrency,
  });
  return { store, close: () => client.destroy() };
}

/** Draws the store's events as the CLI's task list and progress. */
export function reportStoreEvent(reporter: Reporter, event: StoreEvent): void {
  switch (event.type) {
    case 'blob': {
      const id = `blob ${event.sha256}`;
      const title = `${event.path} (${formatBytes(event.size)})`;
      if (event.status === 'checking') reporter.event({ type: 'task', id, title, status: 'running', detail: 'checking' });
      else if (event.status === 'uploading') reporter.event({ type: 'task', id, title, status: 'running', detail: 'uploading' });
      else if (event.status === 'uploaded') reporter.event({ type: 'task', id, title, status: 'done', detail: 'uploaded' });
      else reporter.event({ type: 'task', id, title, status: 'skipped', detail: 'already in the bucket' });
      return;
    }
    case 'blob-progress':
      reporter.event({ type: 'progress', id: `blob ${event.sha256}`, loaded: event.loaded, total: event.total });
      return;
    case 'release':
      reporter.event({
        type: 'task',
        id: 'release',
        title: `release ${event.id}`,
        status: event.status === 'created' ? 'done' : 'skipped',
        detail: event.status === 'created' ? 'written' : 'already published',
      });
      return;
    case 'channel':
      if (event.status === 'retrying') {
        reporter.event({
          type: 'diagnostic',
          severity: 'warning',
          code: 'S3STORE_CHANNEL_CONFLICT',
          message: `channel ${event.channel} changed meanwhile; trying again`,
          hint: 'another pipeline moved it at the same time',
        });
        return;
      }
      reporter.event({
        type: 'task',
        id: `channel ${event.channel}`,
        title: `channel ${event.channel} → ${event.to}`,
        status: event.status === 'moved' ? 'done' : 'skipped',
        detail: event.status === 'moved' ? (event.from ? `was ${event.from}` : 'new channel') : 'already there',
      });
      return;
    case 'gc':
      reporter.event({ type: 'task', id: `gc ${event.key}`, title: `delete ${event.key}`, status: 'done', detail: formatBytes(event.size) });
      return;
  }
}

export function describeChannelChange(change: ChannelChange): string {
  if (!change.changed) return `channel ${change.channel} already follows ${change.to}: nothing to do`;
  return `channel ${change.channel} now follows ${change.to}${change.from ? ` (was ${change.from})` : ''}`;
}

/** Registers `releases list|show|promote|rollback|gc|policy`. */
export function addReleasesCommands(program: Command, execute: Execute): void {
  const releases = program.command('releases').description('the releases and channels of the S3 plugin store: list, show, promote, rollback, gc, IAM policies');
  withStoreConnection(releases.command('list').description('every release, newest first, with the channels that follow it')).action(
    execute('releases list', (ctx, command) => releasesList(ctx, command.opts<StoreConnectionOptions>())),
  );
  withStoreConnection(releases.command('show').description('the plugins and files of one release').argument('<id>', 'release id')).action(
    execute('releases show', (ctx, command) => releasesShow(ctx, command.args[0]!, command.opts<StoreConnectionOptions>())),
  );
  withStoreConnection(
    releases
      .command('promote')
      .description('point a channel at a release (a conditional write: a concurrent change is reported, never lost)')
      .argument('<id>', 'release id')
      .requiredOption('--channel <name>', 'channel the clusters follow, e.g. prod')
      .option('--conflict-retries <n>', 'when another promotion wins the race, re-apply on top of it this many times', '0'),
  ).action(execute('releases promote', (ctx, command) => releasesPromote(ctx, command.args[0]!, command.opts())));
  withStoreConnection(
    releases
      .command('rollback')
      .description('move a channel back to the release it followed before')
      .requiredOption('--channel <name>', 'channel to roll back'),
  ).action(execute('releases rollback', (ctx, command) => releasesRollback(ctx, command.opts())));
  withStoreConnection(
    releases
      .command('gc')
      .description('find blobs no release refers to; delete them with --apply')
      .option('--apply', 'delete (default: only report)', false)
      .option('--min-age <duration>', 'keep unreferenced blobs younger than this, e.g. 30m, 1h, 2d (a publish may still be running)', '1h'),
  ).action(execute('releases gc', (ctx, command) => releasesGc(ctx, command.opts())));
  releases
    .command('policy')
    .description('print the least-privilege IAM policies: publisher (Jenkins role) and cluster reader (IRSA role)')
    .addOption(new Option('--bucket <name>', 'S3 bucket of the plugin store').env('FALCO_AIRGAP_S3_BUCKET').makeOptionMandatory())
    .addOption(new Option('--prefix <prefix>', 'key prefix of the store inside the bucket').env('FALCO_AIRGAP_S3_PREFIX'))
    .option('--channel <name>', 'limit the reader to this channel')
    .option('--partition <name>', 'AWS partition: aws, aws-us-gov, aws-cn', 'aws')
    .option('--kms-key-arn <arn>', 'KMS key of an SSE-KMS encrypted bucket')
    .action(execute('releases policy', async (_ctx, command) => releasesPolicy(command.opts())));
}

export async function releasesList(ctx: CommandContext, options: StoreConnectionOptions): Promise<CommandOutcome> {
  const { store, close } = await openStore(ctx, options);
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

export async function releasesShow(ctx: CommandContext, id: string, options: StoreConnectionOptions): Promise<CommandOutcome> {
  const { store, close } = await openStore(ctx, options);
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
  options: StoreConnectionOptions & { channel: string; conflictRetries?: string },
): Promise<CommandOutcome> {
  const conflictRetries = wholeNumber(options.conflictRetries ?? '0', '--conflict-retries');
  const { store, close } = await openStore(ctx, options);
  try {
    const change = await store.promote(id, options.channel, { conflictRetries, signal: ctx.signal });
    return { summary: describeChannelChange(change), data: change };
  } finally {
    close();
  }
}

export async function releasesRollback(ctx: CommandContext, options: StoreConnectionOptions & { channel: string }): Promise<CommandOutcome> {
  const { store, close } = await openStore(ctx, options);
  try {
    const change = await store.rollback(options.channel, { signal: ctx.signal });
    return { summary: `rolled back: ${describeChannelChange(change)}`, data: change };
  } finally {
    close();
  }
}

export async function releasesGc(ctx: CommandContext, options: StoreConnectionOptions & { apply?: boolean; minAge?: string }): Promise<CommandOutcome> {
  const { DEFAULT_GC_MIN_AGE_MS } = await loadStoreLibrary();
  const minAgeMs = options.minAge === undefined ? DEFAULT_GC_MIN_AGE_MS : parseDuration(options.minAge, '--min-age');
  const { store, close } = await openStore(ctx, options);
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
  const { storePolicies } = await loadStoreLibrary();
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

const DURATION_UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

function parseDuration(text: string, flag: string): number {
  const m = /^(\d+)(s|m|h|d)$/.exec(text);
  if (!m) throw new CliError(`${flag} "${text}" is not a duration`, CliErrorCode.Usage, 'input', `e.g. ${flag} 30m, 1h or 2d (0s for none)`);
  return Number(m[1]) * DURATION_UNITS[m[2]!]!;
}

function wholeNumber(text: string, flag: string): number {
  if (!/^\d+$/.test(text)) throw new CliError(`${flag} must be a whole number, got "${text}"`, CliErrorCode.Usage, 'input', `e.g. ${flag} 3`);
  return Number(text);
}

import { isS3StoreError, ReleaseReader, S3StoreErrorCode, type ObjectReader, type ReleaseDocument } from '@falco-airgap/s3-plugin-store';
import { PluginCache } from './cache.ts';
import type { LoaderConfig } from './config.ts';
import { downloadVerified, withRetries } from './download.ts';
import { LoaderError, LoaderErrorCode } from './errors.ts';
import {
  installStaged,
  isInstalled,
  itemsFor,
  prepareStaging,
  readState,
  recoverInterruptedInstall,
  removeStaging,
  stagedPathOf,
  STATE_KIND,
  pathOf,
  type InstallItem,
  type InstallState,
} from './install.ts';
import type { Log } from './log.ts';

export interface LoaderDependencies {
  /** The bucket, through the store's read port: S3 in the binary, in memory in unit tests. */
  objects: ObjectReader;
  log: Log;
  now?: () => Date;
  signal?: AbortSignal;
}

export interface LoaderOutcome {
  release: string;
  source: 's3' | 'cache';
  status: 'installed' | 'up-to-date';
  files: InstallItem[];
  downloadedBytes: number;
}

/** One run: resolve the release, fetch and verify its files, install them all or none, record the state. */
export async function runLoader(config: LoaderConfig, deps: LoaderDependencies): Promise<LoaderOutcome> {
  const now = deps.now ?? (() => new Date());
  const { log, signal } = deps;
  const started = now().getTime();
  const dirs = config.rulesDestination ? [config.destination, config.rulesDestination] : [config.destination];
  const cache = config.cacheDir ? new PluginCache(config.cacheDir) : undefined;
  const selector = { channel: config.channel, release: config.release };

  const recovered = await recoverInterruptedInstall(config.stateFile, dirs);
  if (recovered !== 'nothing')
    log({ level: 'warn', event: 'recovered', msg: `an earlier run was interrupted during install; its install was ${recovered}`, outcome: recovered });
  const previous = await readState(config.stateFile);

  let release: ReleaseDocument;
  let source: 's3' | 'cache' = 's3';
  let items: InstallItem[];
  let downloadedBytes = 0;
  try {
    release = await resolveRelease(config, deps);
    items = itemsOf(release, config);
    log({
      level: 'info',
      event: 'release',
      msg: `${config.channel ? `channel ${config.channel} follows` : 'pinned'} release ${release.id}`,
      release: release.id,
      channel: config.channel,
      files: items.length,
    });
    if (previous?.release === release.id && (await isInstalled(items, signal))) {
      if (cache) await rememberInCache(cache, release, items, selector, now());
      log({ level: 'info', event: 'up-to-date', msg: `release ${release.id} is already installed`, release: release.id, ms: now().getTime() - started });
      return { release: release.id, source, status: 'up-to-date', files: items, downloadedBytes };
    }
    await prepareStaging(dirs);
    downloadedBytes = await stageFromS3(items, cache, config, deps);
  } catch (error) {
    await removeStaging(dirs);
    if (!isS3StoreError(error, S3StoreErrorCode.Unavailable)) throw error;
    if (config.onUnavailable !== 'use-cached' || !cache) throw error;
    log({ level: 'warn', event: 's3-unavailable', msg: `${(error as Error).message}; using the cached release`, code: error.code });
    ({ release, items } = await stageFromCache(cache, selector, config, dirs, error, signal));
    source = 'cache';
  }

  const state: InstallState = {
    kind: STATE_KIND,
    release: release.id,
    channel: config.channel,
    source,
    platform: config.platform,
    installedAt: now().toISOString(),
    files: items,
  };
  try {
    await installStaged(items, previous, state, config.stateFile);
  } finally {
    await removeStaging(dirs);
  }
  if (cache && source === 's3') await rememberInCache(cache, release, items, selector, now());
  log({
    level: 'info',
    event: 'installed',
    msg: `installed ${items.length} file(s) of release ${release.id} from ${source}`,
    release: release.id,
    source,
    files: items.map((i) => ({ name: i.name, version: i.version, path: pathOf(i), sha256: i.sha256 })),
    bytes: downloadedBytes,
    ms: now().getTime() - started,
  });
  return { release: release.id, source, status: 'installed', files: items, downloadedBytes };
}

async function resolveRelease(config: LoaderConfig, deps: LoaderDependencies): Promise<ReleaseDocument> {
  const store = new ReleaseReader({ objects: deps.objects, prefix: config.prefix });
  const retrying = (attempt: number, error: unknown) => deps.log({ level: 'warn', event: 'retry', msg: (error as Error).message, attempt });
  if (config.release) return withRetries(config.retries, deps.signal, () => store.getRelease(config.release!, deps.signal), retrying);
  return withRetries(config.retries, deps.signal, async () => (await store.resolveChannel(config.channel!, deps.signal)).release, retrying);
}

function itemsOf(release: ReleaseDocument, config: LoaderConfig): InstallItem[] {
  const items = itemsFor(release, config);
  if (!items.some((i) => i.kind === 'plugin')) {
    throw new LoaderError(LoaderErrorCode.NoPluginsForPlatform, `release ${release.id} has no plugin for ${config.platform}`, {
      hint: `publish a lock extracted for ${config.platform}, or set --platform`,
    });
  }
  return items;
}

/** Downloads (or takes from the cache) every file into the staging directories, verified; returns bytes downloaded. */
async function stageFromS3(items: readonly InstallItem[], cache: PluginCache | undefined, config: LoaderConfig, deps: LoaderDependencies): Promise<number> {
  const { log, signal } = deps;
  const prefix = config.prefix ? `${config.prefix}/` : '';
  let downloaded = 0;
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const item = items[next++]!;
      const staged = stagedPathOf(item);
      if (cache && (await cache.copyVerified(item, staged, signal))) {
        log({ level: 'info', event: 'cached', msg: `${item.file} taken from the cache`, file: item.file, sha256: item.sha256 });
        continue;
      }
      const began = Date.now();
      await withRetries(
        config.retries,
        signal,
        () => downloadVerified(deps.objects, { key: `${prefix}${item.blob}`, sha256: item.sha256, size: item.size, path: staged }, { signal }),
        (attempt, error) => log({ level: 'warn', event: 'retry', msg: (error as Error).message, file: item.file, attempt }),
      );
      downloaded += item.size;
      log({
        level: 'info',
        event: 'downloaded',
        msg: `${item.file} downloaded and verified`,
        file: item.file,
        bytes: item.size,
        sha256: item.sha256,
        ms: Date.now() - began,
      });
    }
  };
  // Workers stop taking files after a failure; the first error wins and the others are awaited.
  const guarded = () =>
    worker().catch((error: unknown) => {
      failed = true;
      throw error;
    });
  const results = await Promise.allSettled(Array.from({ length: Math.min(config.concurrency, items.length) }, guarded));
  const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (rejected) throw rejected.reason;
  return downloaded;
}

async function stageFromCache(
  cache: PluginCache,
  selector: { channel: string | undefined; release: string | undefined },
  config: LoaderConfig,
  dirs: readonly string[],
  unavailable: unknown,
  signal: AbortSignal | undefined,
): Promise<{ release: ReleaseDocument; items: InstallItem[] }> {
  const noCache = (why: string) =>
    new LoaderError(LoaderErrorCode.NoUsableCache, `S3 is unavailable and ${why}`, {
      hint: 'restore access to S3; the cache only helps after one successful run with the same --cache-dir and channel',
      cause: unavailable,
    });
  const cached = await cache.loadRelease(selector);
  if (!cached) throw noCache(`the cache ${cache.dir} holds no release for ${selector.channel ? `channel ${selector.channel}` : `release ${selector.release}`}`);
  const items = itemsOf(cached.release, config);
  await prepareStaging(dirs);
  for (const item of items) {
    if (!(await cache.copyVerified(item, stagedPathOf(item), signal))) {
      await removeStaging(dirs);
      throw noCache(`the cache lacks a verified copy of ${item.file}`);
    }
  }
  return { release: cached.release, items };
}

async function rememberInCache(
  cache: PluginCache,
  release: ReleaseDocument,
  items: readonly InstallItem[],
  selector: { channel: string | undefined; release: string | undefined },
  now: Date,
): Promise<void> {
  for (const item of items) await cache.put(item.sha256, item.size, pathOf(item));
  await cache.saveRelease(release, selector, now);
  await cache.prune(new Set(items.map((i) => i.sha256)));
}

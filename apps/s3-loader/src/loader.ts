import { describeLockHolder, lockDirectory } from '@falco-airgap/core';
import { isS3StoreError, ReleaseReader, S3StoreErrorCode, type ObjectReader, type ReleaseDocument } from '@falco-airgap/s3-plugin-store';
import { cacheSelectorOf, PluginCache, type CacheSelector } from './cache.ts';
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
  /** How long to wait while another loader installs into the same directory; INSTALL_LOCK_WAIT_MS by default. */
  lockWaitMs?: number;
}

/** Long enough for another loader to finish a large first install into the same directory. */
export const INSTALL_LOCK_WAIT_MS = 5 * 60_000;

export interface LoaderOutcome {
  release: string;
  source: 's3' | 'cache';
  status: 'installed' | 'up-to-date';
  files: InstallItem[];
  downloadedBytes: number;
}

/** One run: resolve the release, fetch and verify its files, install them all or none, record the state. */
export async function runLoader(config: LoaderConfig, deps: LoaderDependencies): Promise<LoaderOutcome> {
  // Two loaders staging and renaming into one directory would mix their files: the second waits, then finds it up to date.
  const lock = await lockDirectory(config.destination, {
    purpose: 'install',
    waitMs: deps.lockWaitMs ?? INSTALL_LOCK_WAIT_MS,
    signal: deps.signal,
    onWait: (holder) =>
      deps.log({ level: 'info', event: 'waiting', msg: `${describeLockHolder(holder, config.destination)}: waiting for it to finish`, pid: holder.pid }),
  });
  try {
    return await installRelease(config, deps);
  } finally {
    await lock.release();
  }
}

async function installRelease(config: LoaderConfig, deps: LoaderDependencies): Promise<LoaderOutcome> {
  const now = deps.now ?? (() => new Date());
  const { log, signal } = deps;
  const started = now().getTime();
  const dirs = config.rulesDestination ? [config.destination, config.rulesDestination] : [config.destination];
  const cache = config.cacheDir ? new PluginCache(config.cacheDir) : undefined;
  const selector = cacheSelectorOf(config);

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
  if (config.release) return withRetries(config, deps.signal, () => store.getRelease(config.release!, deps.signal), retrying);
  return withRetries(config, deps.signal, async () => (await store.resolveChannel(config.channel!, deps.signal)).release, retrying);
}

function itemsOf(release: ReleaseDocument, config: LoaderConfig): InstallItem[] {
  const items = itemsFor(release, config);
  if (!items.some((i) => i.kind === 'plugin')) {
    throw new LoaderError(LoaderErrorCode.NoPluginsForPlatform, `release ${release.id} has no plugin for ${config.platform}`, {
      hint: `publish a lock extracted for ${config.platform}, or set --platform`,
    });
  }
  // With the rules directory the plugins' one, a rules file named like a plugin would replace it.
  const byPath = new Map<string, InstallItem>();
  for (const item of items) {
    const other = byPath.get(pathOf(item));
    if (other) {
      throw new LoaderError(
        LoaderErrorCode.Config,
        `${other.kind} ${other.name} and ${item.kind} ${item.name} of release ${release.id} would both be installed as ${pathOf(item)}`,
        {
          hint: 'set --rules-dest to a directory other than --dest',
        },
      );
    }
    byPath.set(pathOf(item), item);
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
        config,
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
  selector: CacheSelector,
  config: LoaderConfig,
  dirs: readonly string[],
  unavailable: unknown,
  signal: AbortSignal | undefined,
): Promise<{ release: ReleaseDocument; items: InstallItem[] }> {
  const noCache = (why: string) =>
    new LoaderError(LoaderErrorCode.NoUsableCache, `S3 is unavailable and ${why}`, {
      hint: 'restore access to S3; the cache only helps after one successful run with the same --cache-dir, store (endpoint, bucket, prefix) and channel',
      cause: unavailable,
    });
  const cached = await cache.loadRelease(selector);
  if (!cached) {
    const what = selector.channel ? `channel ${selector.channel}` : `release ${selector.release}`;
    throw noCache(`the cache ${cache.dir} holds no release for ${what} of s3://${selector.bucket}/${selector.prefix} at ${selector.endpoint}`);
  }
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

async function rememberInCache(cache: PluginCache, release: ReleaseDocument, items: readonly InstallItem[], selector: CacheSelector, now: Date): Promise<void> {
  for (const item of items) await cache.put(item.sha256, item.size, pathOf(item));
  await cache.saveRelease(release, selector, now);
  await cache.prune();
}

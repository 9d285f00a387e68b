import { mapConcurrently, type Platform } from '@falco-airgap/core';
import type { PluginsLock } from '@falco-airgap/manifest';
import { stat } from 'node:fs/promises';
import { relative, resolve, sep } from 'node:path';
import { advancePointer, CHANNEL_HISTORY_LIMIT, rewindPointer, serializeChannelPointer, type ChannelPointer } from './channel-pointer.ts';
import { checksumMatches, digestFile, type FileDigest } from './checksum.ts';
import { isS3StoreError, S3StoreError, S3StoreErrorCode } from './errors.ts';
import type { StoreEvent, StoreEventListener } from './events.ts';
import { planGc, type GcCandidate, type GcPlan } from './gc-plan.ts';
import { assertChannelName } from './layout.ts';
import { ReleaseReader, type ChannelState } from './release-reader.ts';
import { BLOB_METADATA, DEFAULT_MULTIPART_THRESHOLD, DEFAULT_PART_SIZE, type ObjectStore } from './object-store.ts';
import { blobsOf, planRelease, serializeRelease, type ReleaseDocument, type ReleaseFile } from './release.ts';

export interface PluginStoreOptions {
  objects: ObjectStore;
  /** Key prefix of the store inside the bucket, e.g. falco/plugins. */
  prefix?: string | undefined;
  now?: () => Date;
  onEvent?: StoreEventListener | undefined;
  /** Files hashed and uploaded at once (default 4). */
  concurrency?: number | undefined;
  multipartThreshold?: number | undefined;
  partSize?: number | undefined;
  /** Parts of one file in flight at once (default 4). */
  partConcurrency?: number | undefined;
  historyLimit?: number | undefined;
}

export interface PublishOptions {
  /** Promote the release to this channel once it is complete. */
  channel?: string | undefined;
  /** Publish only these platforms of the lock (default: all it holds). */
  platforms?: readonly Platform[] | undefined;
  /** Hash and compare, report what would be uploaded, write nothing. */
  dryRun?: boolean | undefined;
  signal?: AbortSignal | undefined;
}

export interface PublishedBlob {
  sha256: string;
  path: string;
  size: number;
  action: 'uploaded' | 'present' | 'would-upload';
}

export interface PublishResult {
  release: ReleaseDocument;
  releaseStatus: 'created' | 'present' | 'would-create';
  blobs: PublishedBlob[];
  uploadedBytes: number;
  channel: ChannelChange | undefined;
  dryRun: boolean;
}

export interface ChannelChange {
  channel: string;
  from: string | undefined;
  to: string;
  /** False when the channel already followed the release: nothing was written. */
  changed: boolean;
}

export interface PromoteOptions {
  /** On a lost race, read the channel again and re-apply this many times before reporting the conflict (default 0). */
  conflictRetries?: number | undefined;
  signal?: AbortSignal | undefined;
}

export interface ReleaseSummary {
  id: string;
  createdAt: string | undefined;
  falcoVersion: string | undefined;
  plugins: { name: string; version: string }[];
  platforms: Platform[];
  /** Channels that follow this release now. */
  channels: string[];
  /** Set when the document could not be read or failed its checks. */
  problem?: { code: string; message: string } | undefined;
}

export interface GcOptions {
  /** Delete; without it gc only reports (default false). */
  apply?: boolean | undefined;
  /** Keep unreferenced blobs younger than this, so a running publish does not lose its uploads (default 1 h). */
  minAgeMs?: number | undefined;
  signal?: AbortSignal | undefined;
}

export interface GcResult extends GcPlan {
  applied: boolean;
  deleted: number;
}

const JSON_TYPE = 'application/json';
export const DEFAULT_GC_MIN_AGE_MS = 60 * 60 * 1000;

/**
 * A versioned plugin store in one bucket prefix: content-addressed blobs, immutable releases,
 * and channel pointers moved with conditional writes.
 */
export class PluginStore extends ReleaseReader {
  private readonly objects: ObjectStore;
  private readonly now: () => Date;
  private readonly onEvent: StoreEventListener;
  private readonly concurrency: number;
  private readonly multipartThreshold: number;
  private readonly partSize: number;
  private readonly partConcurrency: number;
  private readonly historyLimit: number;

  constructor(options: PluginStoreOptions) {
    super(options);
    this.objects = options.objects;
    this.now = options.now ?? (() => new Date());
    this.onEvent = options.onEvent ?? (() => {});
    this.concurrency = options.concurrency ?? 4;
    this.partSize = options.partSize ?? DEFAULT_PART_SIZE;
    this.multipartThreshold = Math.max(options.multipartThreshold ?? DEFAULT_MULTIPART_THRESHOLD, this.partSize);
    this.partConcurrency = options.partConcurrency ?? 4;
    this.historyLimit = options.historyLimit ?? CHANNEL_HISTORY_LIMIT;
  }

  /**
   * Uploads the lock's files that the bucket does not already hold intact, then writes the
   * release document (once: its id is its content). Optionally promotes it to a channel.
   */
  async publish(lock: PluginsLock, extractedDir: string, options: PublishOptions = {}): Promise<PublishResult> {
    const dryRun = options.dryRun ?? false;
    if (options.channel !== undefined) assertChannelName(options.channel);
    const planned = planRelease(lock, { createdAt: this.now().toISOString(), platforms: options.platforms });
    const root = resolve(extractedDir);
    const blobs = await mapConcurrently(planned.files, this.concurrency, (file) => this.syncBlob(file, root, dryRun, options.signal));
    const uploadedBytes = blobs.filter((b) => b.action === 'uploaded').reduce((sum, b) => sum + b.size, 0);

    let release = planned.document;
    let releaseStatus: PublishResult['releaseStatus'];
    const existing = await this.readRelease(release.id, options.signal);
    if (existing) {
      release = existing;
      releaseStatus = 'present';
    } else if (dryRun) {
      releaseStatus = 'would-create';
    } else {
      const written = await this.writeRelease(release, options.signal);
      release = written.release;
      releaseStatus = written.created ? 'created' : 'present';
    }
    if (releaseStatus !== 'would-create') this.emit({ type: 'release', id: release.id, status: releaseStatus });

    let channel: ChannelChange | undefined;
    if (options.channel !== undefined) {
      channel = dryRun
        ? await this.planPromotion(release.id, options.channel, options.signal)
        : await this.movePointer(release.id, options.channel, { signal: options.signal });
    }
    return { release, releaseStatus, blobs, uploadedBytes, channel, dryRun };
  }

  /** Points a channel at a release, after checking the release and all its blobs are in the bucket. */
  async promote(releaseId: string, channel: string, options: PromoteOptions = {}): Promise<ChannelChange> {
    assertChannelName(channel);
    const release = await this.getRelease(releaseId, options.signal);
    await this.assertBlobsPresent(release, options.signal);
    return this.movePointer(release.id, channel, options);
  }

  /** Moves a channel back to the release it followed before; never retried, so a race cannot roll back twice. */
  async rollback(channel: string, options: { signal?: AbortSignal | undefined } = {}): Promise<ChannelChange> {
    const state = await this.getChannel(channel, options.signal);
    const next = rewindPointer(state.pointer, channel, this.now().toISOString());
    const release = await this.getRelease(next.release, options.signal);
    await this.assertBlobsPresent(release, options.signal);
    await this.writePointer(channel, next, state, next.release, options.signal);
    return { channel, from: state.pointer.release, to: next.release, changed: true };
  }

  async listChannels(signal?: AbortSignal): Promise<ChannelState[]> {
    const names: string[] = [];
    for await (const object of this.objects.list(this.layout.channelsPrefix, { signal })) {
      const name = this.layout.channelOfKey(object.key);
      if (name) names.push(name);
    }
    const states = await mapConcurrently(names.sort(), 8, (name) => this.readChannel(name, signal));
    return states.filter((s): s is ChannelState => s !== undefined);
  }

  /** Every release, newest first, with the channels that follow it; unreadable ones are listed with their problem. */
  async listReleases(signal?: AbortSignal): Promise<ReleaseSummary[]> {
    const ids: string[] = [];
    for await (const object of this.objects.list(this.layout.releasesPrefix, { signal })) {
      const id = this.layout.releaseIdOfKey(object.key);
      if (id) ids.push(id);
    }
    const [channels, summaries] = await Promise.all([
      this.listChannels(signal),
      mapConcurrently(ids, 8, async (id): Promise<ReleaseSummary | undefined> => {
        try {
          const release = await this.readRelease(id, signal);
          return release && summarize(release);
        } catch (error) {
          if (!isS3StoreError(error) || error.category !== 'verification') throw error;
          return {
            id,
            createdAt: undefined,
            falcoVersion: undefined,
            plugins: [],
            platforms: [],
            channels: [],
            problem: { code: error.code, message: error.message },
          };
        }
      }),
    ]);
    const found = summaries.filter((s): s is ReleaseSummary => s !== undefined);
    for (const summary of found) summary.channels = channels.filter((c) => c.pointer.release === summary.id).map((c) => c.channel);
    return found.sort((a, b) => (b.createdAt ?? '').localeCompare(a.createdAt ?? '') || a.id.localeCompare(b.id));
  }

  /** Finds blobs no release refers to; deletes them only with `apply`. */
  async gc(options: GcOptions = {}): Promise<GcResult> {
    const { signal } = options;
    const blobs: GcCandidate[] = [];
    for await (const object of this.objects.list(this.layout.blobsPrefix, { signal })) {
      const sha256 = this.layout.sha256OfBlobKey(object.key);
      if (sha256) blobs.push({ ...object, sha256 });
    }
    const ids: string[] = [];
    for await (const object of this.objects.list(this.layout.releasesPrefix, { signal })) {
      const id = this.layout.releaseIdOfKey(object.key);
      if (id) ids.push(id);
    }
    // An unreadable release fails gc as a whole: its blobs must not be taken for garbage.
    const releases = await mapConcurrently(ids, 8, async (id) => (await this.readRelease(id, signal))!);
    const plan = planGc({ blobs, releases, now: this.now(), minAgeMs: options.minAgeMs ?? DEFAULT_GC_MIN_AGE_MS });
    if (!options.apply || plan.delete.length === 0) return { ...plan, applied: Boolean(options.apply), deleted: 0 };
    await this.objects.delete(
      plan.delete.map((b) => b.key),
      { signal },
    );
    for (const blob of plan.delete) this.emit({ type: 'gc', key: blob.key, size: blob.size, status: 'deleted' });
    return { ...plan, applied: true, deleted: plan.delete.length };
  }

  private async syncBlob(file: ReleaseFile, root: string, dryRun: boolean, signal: AbortSignal | undefined): Promise<PublishedBlob> {
    const path = insideRoot(root, file.path);
    const key = this.layout.blobKey(file.sha256);
    const event = (status: 'checking' | 'uploading' | 'uploaded' | 'present') =>
      this.emit({ type: 'blob', sha256: file.sha256, path: file.path, size: file.size, status });
    const done = (action: PublishedBlob['action']): PublishedBlob => ({ sha256: file.sha256, path: file.path, size: file.size, action });
    event('checking');
    // A file that goes up in one piece is checked by S3 against the lock's sha256 on arrival, so it
    // is only hashed here when it goes up in parts (the composite checksum needs the part digests).
    const multipart = file.size > this.multipartThreshold;
    const [local, remote] = await Promise.all([
      multipart ? this.digestLocal(path, file, signal) : this.checkLocalSize(path, file),
      this.objects.head(key, { signal }),
    ]);
    const lockDigest = { sha256: file.sha256, size: file.size };
    if (remote && remote.size === file.size) {
      const digest = local ?? (isComposite(remote.checksumSha256) ? await this.digestLocal(path, file, signal) : lockDigest);
      if (checksumMatches(remote.checksumSha256, digest)) {
        event('present');
        return done('present');
      }
    }
    if (dryRun) return done('would-upload');
    event('uploading');
    let result;
    try {
      result = await this.objects.upload(key, path, {
        sha256: file.sha256,
        size: file.size,
        multipartThreshold: this.multipartThreshold,
        partSize: this.partSize,
        partConcurrency: this.partConcurrency,
        metadata: { [BLOB_METADATA.sha256]: file.sha256, [BLOB_METADATA.partSize]: String(this.partSize) },
        onProgress: (loaded, total) => this.emit({ type: 'blob-progress', sha256: file.sha256, loaded, total }),
        signal,
      });
    } catch (error) {
      // S3 refused the bytes: say which local file differs from the lock, when that is the reason.
      if (isS3StoreError(error, S3StoreErrorCode.Sha256Mismatch) && !multipart) await this.digestLocal(path, file, signal);
      throw error;
    }
    // What the server computed over the bytes it received must be what the lock (or the local hash) says.
    if (result.checksumSha256 !== undefined && !checksumMatches(result.checksumSha256, local ?? lockDigest)) {
      throw new S3StoreError(
        S3StoreErrorCode.Sha256Mismatch,
        `the uploaded ${file.path} does not have the checksum computed before upload (${result.checksumSha256})`,
        {
          key,
          hint: 'the file changed during the upload; re-run extract, then publish',
        },
      );
    }
    event('uploaded');
    return done('uploaded');
  }

  private async checkLocalSize(path: string, file: ReleaseFile): Promise<undefined> {
    let size: number;
    try {
      size = (await stat(path)).size;
    } catch (error) {
      throw this.localFailure(error, file);
    }
    if (size !== file.size) {
      throw new S3StoreError(S3StoreErrorCode.SizeMismatch, `${file.path} has ${size} bytes, the lock says ${file.size}`, {
        hint: 're-run falco-airgap extract',
      });
    }
    return undefined;
  }

  private localFailure(error: unknown, file: ReleaseFile): unknown {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return error;
    return new S3StoreError(S3StoreErrorCode.LocalFileMissing, `${file.path} is in the lock but not in the extracted directory`, {
      hint: 'run falco-airgap extract to populate plugins/extracted, or point `extractedDir` at the right directory',
      cause: error,
    });
  }

  private async digestLocal(path: string, file: ReleaseFile, signal: AbortSignal | undefined): Promise<FileDigest> {
    let digest: FileDigest;
    try {
      digest = await digestFile(path, { partSize: this.partSize, signal });
    } catch (error) {
      throw this.localFailure(error, file);
    }
    if (digest.size !== file.size) {
      throw new S3StoreError(S3StoreErrorCode.SizeMismatch, `${file.path} has ${digest.size} bytes, the lock says ${file.size}`, {
        hint: 're-run falco-airgap extract',
      });
    }
    if (digest.sha256 !== file.sha256) {
      throw new S3StoreError(S3StoreErrorCode.Sha256Mismatch, `${file.path} has sha256 ${digest.sha256}, the lock says ${file.sha256}`, {
        hint: 're-run falco-airgap extract',
      });
    }
    return digest;
  }

  private async writeRelease(release: ReleaseDocument, signal: AbortSignal | undefined): Promise<{ release: ReleaseDocument; created: boolean }> {
    const key = this.layout.releaseKey(release.id);
    try {
      await this.objects.put(key, Buffer.from(serializeRelease(release)), { contentType: JSON_TYPE, ifNoneMatch: '*', signal });
      return { release, created: true };
    } catch (error) {
      // Another publish of the same content won the race; its document is as good as ours.
      if (!isS3StoreError(error, S3StoreErrorCode.PreconditionFailed)) throw error;
      return { release: (await this.readRelease(release.id, signal)) ?? release, created: false };
    }
  }

  private async planPromotion(releaseId: string, channel: string, signal?: AbortSignal): Promise<ChannelChange> {
    const current = await this.readChannel(channel, signal);
    return { channel, from: current?.pointer.release, to: releaseId, changed: current?.pointer.release !== releaseId };
  }

  private async movePointer(releaseId: string, channel: string, options: PromoteOptions): Promise<ChannelChange> {
    const retries = options.conflictRetries ?? 0;
    for (let attempt = 0; ; attempt++) {
      const current = await this.readChannel(channel, options.signal);
      const next = advancePointer(current?.pointer, releaseId, this.now().toISOString(), this.historyLimit);
      const from = current?.pointer.release;
      if (!next) {
        this.emit({ type: 'channel', channel, from, to: releaseId, status: 'unchanged' });
        return { channel, from, to: releaseId, changed: false };
      }
      try {
        await this.writePointer(channel, next, current, releaseId, options.signal);
        return { channel, from, to: releaseId, changed: true };
      } catch (error) {
        if (!isS3StoreError(error, S3StoreErrorCode.ChannelConflict) || attempt >= retries) throw error;
        this.emit({ type: 'channel', channel, from, to: releaseId, status: 'retrying' });
      }
    }
  }

  /** The one write of a pointer: create-only when new, compare-and-swap on the ETag read otherwise. */
  private async writePointer(
    channel: string,
    next: ChannelPointer,
    current: ChannelState | undefined,
    target: string,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const key = this.layout.channelKey(channel);
    const condition = current ? { ifMatch: current.etag } : { ifNoneMatch: '*' as const };
    try {
      await this.objects.put(key, Buffer.from(serializeChannelPointer(next)), { contentType: JSON_TYPE, ...condition, signal });
    } catch (error) {
      if (!isS3StoreError(error, S3StoreErrorCode.PreconditionFailed)) throw error;
      const now = await this.readChannel(channel, signal).catch(() => undefined);
      throw new S3StoreError(
        S3StoreErrorCode.ChannelConflict,
        `channel ${channel} changed while moving it to ${target}${now ? `: it now follows ${now.pointer.release}` : ''}`,
        {
          key,
          hint: 'another promotion or rollback won the race; check falco-airgap releases list, then run the command again',
          cause: error,
        },
      );
    }
    this.emit({ type: 'channel', channel, from: current?.pointer.release, to: target, status: 'moved' });
  }

  private async assertBlobsPresent(release: ReleaseDocument, signal?: AbortSignal): Promise<void> {
    const entries = [...release.plugins, ...release.rulesfiles];
    const sizes = new Map(entries.map((e) => [e.sha256, e.size]));
    await mapConcurrently([...blobsOf(release)], 8, async (sha256) => {
      const key = this.layout.blobKey(sha256);
      const info = await this.objects.head(key, { signal });
      if (!info || info.size !== sizes.get(sha256)) {
        throw new S3StoreError(
          S3StoreErrorCode.BlobMissing,
          `release ${release.id} refers to ${key}, which the bucket ${info ? `holds with ${info.size} bytes instead of ${sizes.get(sha256)}` : 'does not hold'}`,
          {
            key,
            hint: 'publish the lock of that release again to restore its files',
          },
        );
      }
    });
  }

  private emit(event: StoreEvent): void {
    this.onEvent(event);
  }
}

const isComposite = (checksum: string | undefined) => checksum !== undefined && /-\d+$/.test(checksum);

function summarize(release: ReleaseDocument): ReleaseSummary {
  const plugins = new Map(release.plugins.map((p) => [p.name, p.version]));
  return {
    id: release.id,
    createdAt: release.createdAt,
    falcoVersion: release.falco.version,
    plugins: [...plugins].map(([name, version]) => ({ name, version })).sort((a, b) => a.name.localeCompare(b.name)),
    platforms: [...new Set(release.plugins.map((p) => p.platform))].sort(),
    channels: [],
  };
}

// The lock parser already refuses escaping paths; a lock built in code gets the same guarantee here.
function insideRoot(root: string, path: string): string {
  const full = resolve(root, path);
  const rel = relative(root, full);
  if (rel === '' || rel.startsWith('..') || rel.startsWith(sep) || resolve(root, rel) !== full) {
    throw new S3StoreError(S3StoreErrorCode.BadName, `lock path ${path} points outside the extracted directory`, { hint: 're-run falco-airgap extract' });
  }
  return full;
}

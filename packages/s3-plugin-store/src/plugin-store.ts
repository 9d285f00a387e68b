import { mapConcurrently, type Platform } from '@falco-airgap/core';
import type { PluginsLock } from '@falco-airgap/manifest';
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { relative, resolve, sep } from 'node:path';
import { advancePointer, CHANNEL_HISTORY_LIMIT, parseChannelPointer, rewindPointer, serializeChannelPointer, type ChannelPointer } from './channel-pointer.ts';
import { base64ToHex, checksumMatches, digestFile, type FileDigest } from './checksum.ts';
import { interruptionOf, isS3StoreError, S3StoreError, S3StoreErrorCode } from './errors.ts';
import type { StoreEvent, StoreEventListener } from './events.ts';
import { planGc, type GcCandidate, type GcPlan, type LeaseHold } from './gc-plan.ts';
import { assertChannelName } from './layout.ts';
import {
  DEFAULT_GC_WINDOW_MS,
  DEFAULT_LEASE_TTL_MS,
  GC_RUN_KIND,
  gcRunExpiry,
  leaseExpiry,
  modifiedAt,
  newMarkerId,
  parseGcRun,
  parseLease,
  serializeGcRun,
  serverClockFrom,
  UNREADABLE_MARKER_LIFETIME_MS,
} from './leases.ts';
import { BLOB_METADATA, DEFAULT_MULTIPART_THRESHOLD, DEFAULT_PART_SIZE, type ObjectInfo, type ObjectStore, type PendingUpload } from './object-store.ts';
import { ReleaseReader, type ChannelState } from './release-reader.ts';
import { blobsOf, planRelease, serializeRelease, type ReleaseDocument, type ReleaseFile } from './release.ts';
import { HeldLease } from './store-lease.ts';

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
  /**
   * How long the lease of a publish or promotion holds without renewal (default 10 min); renewed
   * while it runs, so this is how long a killed publish keeps its files from gc.
   */
  leaseTtlMs?: number | undefined;
  /** How often a publish waiting for a running gc checks whether it ended (default 500 ms). */
  pollIntervalMs?: number | undefined;
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
  /** Set when the channel document was damaged and replaced (its history is lost). */
  repaired?: boolean | undefined;
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
  /** Keep unreferenced blobs and unfinished uploads younger than this (default 1 h). */
  minAgeMs?: number | undefined;
  /** Retire releases beyond the newest N that no channel, channel history or running publish points at. */
  keepReleases?: number | undefined;
  /** How long gc may go on deleting after it starts (default 60 s); it stops there, reports `complete: false`. */
  windowMs?: number | undefined;
  signal?: AbortSignal | undefined;
}

export interface GcResult extends GcPlan {
  applied: boolean;
  /** Blobs deleted. */
  deleted: number;
  /** Releases retired. */
  retired: number;
  abortedUploads: number;
  /** False when the deletion window ran out first: run gc again. */
  complete: boolean;
  /** Leases and gc runs left by processes that ended without removing them; removed when applied. */
  staleMarkers: string[];
  /** Publishes and promotions running while gc planned; what they hold is kept. */
  liveLeases: number;
}

const JSON_TYPE = 'application/json';
export const DEFAULT_GC_MIN_AGE_MS = 60 * 60 * 1000;

/**
 * A versioned plugin store in one bucket prefix: content-addressed blobs, immutable releases,
 * and channel pointers moved with conditional writes. Publish and promote hold a lease gc honours,
 * and gc announces itself before it decides, so a channel never ends up on a release whose files
 * gc deleted.
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
  private readonly leaseTtlMs: number;
  private readonly pollIntervalMs: number;

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
    this.leaseTtlMs = options.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS;
    this.pollIntervalMs = options.pollIntervalMs ?? 500;
  }

  /**
   * Uploads the lock's files that the bucket does not already hold intact, then writes the
   * release document (once: its id is its content). Optionally promotes it to a channel, after
   * checking again that every file is still there.
   */
  async publish(lock: PluginsLock, extractedDir: string, options: PublishOptions = {}): Promise<PublishResult> {
    if (options.channel !== undefined) assertChannelName(options.channel);
    const planned = planRelease(lock, { createdAt: this.now().toISOString(), platforms: options.platforms });
    const root = resolve(extractedDir);
    const { signal } = options;
    // A read-only pass first: an unchanged lock writes nothing at all, not even a lease.
    const checked = await mapConcurrently(planned.files, this.concurrency, (file) => this.syncBlob(file, root, true, signal));
    const existing = await this.readRelease(planned.document.id, signal);
    const release = existing ?? planned.document;
    const promotion = options.channel === undefined ? undefined : await this.planPromotion(release.id, options.channel, signal);
    const missing = new Set(checked.filter((b) => b.action === 'would-upload').map((b) => b.sha256));
    if (options.dryRun)
      return { release, releaseStatus: existing ? 'present' : 'would-create', blobs: checked, uploadedBytes: 0, channel: promotion, dryRun: true };
    if (existing && missing.size === 0 && !promotion?.changed) {
      this.emit({ type: 'release', id: release.id, status: 'present' });
      if (promotion) this.emit({ type: 'channel', channel: promotion.channel, from: promotion.from, to: promotion.to, status: 'unchanged' });
      return { release, releaseStatus: 'present', blobs: checked, uploadedBytes: 0, channel: promotion, dryRun: false };
    }
    const hold = { operation: 'publish' as const, release: planned.document.id, blobs: planned.files.map((f) => f.sha256) };
    // The lease is taken while the files go up: only the checks after the release is written rely on it.
    return this.withLease(hold, signal, async (leased) => {
      const blobs = await mapConcurrently(planned.files, this.concurrency, (file) =>
        missing.has(file.sha256) ? this.uploadBlob(file, root, signal) : Promise.resolve(checked.find((b) => b.sha256 === file.sha256)!),
      );
      const written = await this.ensureRelease(planned.document, signal);
      this.emit({ type: 'release', id: written.release.id, status: written.created ? 'created' : 'present' });
      const lease = await leased;
      // A gc that started before the lease was visible may have deleted files found present above.
      await lease.settle(signal);
      const restored = await this.restoreMissing(planned.files, root, written.release, signal);
      for (const blob of blobs) if (restored.has(blob.sha256)) blob.action = 'uploaded';
      let channel: ChannelChange | undefined;
      if (options.channel !== undefined) {
        await lease.assertTimeLeft();
        channel = await this.movePointer(written.release.id, options.channel, { signal });
      }
      const uploadedBytes = blobs.filter((b) => b.action === 'uploaded').reduce((sum, b) => sum + b.size, 0);
      return { release: written.release, releaseStatus: written.created ? 'created' : 'present', blobs, uploadedBytes, channel, dryRun: false };
    });
  }

  /** Points a channel at a release, after checking the release and all its blobs are in the bucket. */
  async promote(releaseId: string, channel: string, options: PromoteOptions = {}): Promise<ChannelChange> {
    assertChannelName(channel);
    const { signal } = options;
    await this.getRelease(releaseId, signal);
    // A channel already on the release protects it from gc by itself: nothing to hold, nothing to write.
    const current = await this.readChannel(channel, signal).catch((error: unknown) => {
      if (isS3StoreError(error, S3StoreErrorCode.BadDocument)) return undefined;
      throw error;
    });
    if (current?.pointer.release === releaseId) {
      this.emit({ type: 'channel', channel, from: releaseId, to: releaseId, status: 'unchanged' });
      return { channel, from: releaseId, to: releaseId, changed: false };
    }
    return this.withLease({ operation: 'promote', release: releaseId, blobs: [] }, signal, async (leased) => {
      const lease = await leased;
      await lease.settle(signal);
      const release = await this.getRelease(releaseId, signal);
      await this.assertBlobsPresent(release, signal);
      await lease.assertTimeLeft();
      return this.movePointer(release.id, channel, options);
    });
  }

  /** Moves a channel back to the release it followed before; never retried, so a race cannot roll back twice. */
  async rollback(channel: string, options: { signal?: AbortSignal | undefined } = {}): Promise<ChannelChange> {
    const { signal } = options;
    const state = await this.getChannel(channel, signal);
    const next = rewindPointer(state.pointer, channel, this.now().toISOString());
    return this.withLease({ operation: 'rollback', release: next.release, blobs: [] }, signal, async (leased) => {
      const lease = await leased;
      await lease.settle(signal);
      const release = await this.getRelease(next.release, signal);
      await this.assertBlobsPresent(release, signal);
      await lease.assertTimeLeft();
      await this.writePointer(channel, next, state, next.release, signal);
      return { channel, from: state.pointer.release, to: next.release, changed: true };
    });
  }

  async listChannels(signal?: AbortSignal): Promise<ChannelState[]> {
    const names = await this.channelNames(signal);
    const states = await mapConcurrently(names, 8, (name) => this.readChannel(name, signal));
    return states.filter((s): s is ChannelState => s !== undefined);
  }

  /** Every release, newest first, with the channels that follow it; unreadable ones are listed with their problem. */
  async listReleases(signal?: AbortSignal): Promise<ReleaseSummary[]> {
    const ids = await this.releaseIds(signal);
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

  /**
   * Finds blobs no release (and no running publish) refers to, releases beyond `keepReleases`,
   * unfinished uploads and stale leases; deletes them only with `apply`, within its window.
   */
  async gc(options: GcOptions = {}): Promise<GcResult> {
    const { signal } = options;
    const apply = Boolean(options.apply);
    const run = apply ? await this.startGcRun(options.windowMs ?? DEFAULT_GC_WINDOW_MS, signal) : undefined;
    let safeToEnd = true;
    try {
      // Everything gc decides on is read after its run is announced: a publish that starts later waits, one that started earlier is seen.
      const asOf = run ? run.serverNow() : this.now();
      const leases = await this.readLeases(asOf, signal);
      const channels = options.keepReleases === undefined ? { pointers: [], damaged: false } : await this.readChannelsForGc(signal);
      const ids = await this.releaseIds(signal);
      // An unreadable release fails gc as a whole: its blobs must not be taken for garbage.
      const releases = await mapConcurrently(ids, 8, async (id) => (await this.readRelease(id, signal))!);
      const blobs: GcCandidate[] = [];
      for await (const object of this.objects.list(this.layout.blobsPrefix, { signal })) {
        const sha256 = this.layout.sha256OfBlobKey(object.key);
        if (sha256) blobs.push({ ...object, sha256 });
      }
      const present = new Set(blobs.map((b) => b.sha256));
      const lacking = releases.flatMap((r) => [...blobsOf(r)]).filter((sha256) => !present.has(sha256));
      const uploads = await this.unfinishedUploads([...leases.blobs, ...lacking], signal);
      const staleRuns = await this.staleGcRuns(asOf, run?.key, signal);
      const plan = planGc({
        blobs,
        releases,
        now: asOf,
        minAgeMs: options.minAgeMs ?? DEFAULT_GC_MIN_AGE_MS,
        channels: channels.pointers,
        leases: leases.live,
        keepReleases: options.keepReleases,
        retireNothing: channels.damaged,
        holdEverything: leases.unreadable,
        uploads,
      });
      const result: GcResult = {
        ...plan,
        applied: apply,
        deleted: 0,
        retired: 0,
        abortedUploads: 0,
        complete: true,
        staleMarkers: [...leases.stale, ...staleRuns],
        liveLeases: leases.live.length,
      };
      if (!run) return result;
      safeToEnd = false;
      const window = signal ? AbortSignal.any([signal, run.windowSignal()]) : run.windowSignal();
      try {
        await this.applyGc(plan, result, window);
        safeToEnd = true;
      } catch (error) {
        if (signal?.aborted || !window.aborted) throw error;
        result.complete = false;
      }
      return result;
    } finally {
      // A run that may have a delete in flight stays announced until it lapses, and so does one that cannot be removed.
      if (run && safeToEnd) await this.objects.delete([run.key], { signal: AbortSignal.timeout(10_000) }).catch(() => undefined);
    }
  }

  private async applyGc(plan: GcPlan, result: GcResult, signal: AbortSignal): Promise<void> {
    // Releases first: a gc stopped half-way leaves orphan blobs, never a release without its files.
    if (plan.retire.length > 0) {
      const keys = plan.retire.map((r) => this.layout.releaseKey(r.id));
      await this.objects.delete(keys, { signal });
      for (const key of keys) this.emit({ type: 'gc', kind: 'release', key, size: 0, status: 'deleted' });
      result.retired = keys.length;
    }
    if (plan.delete.length > 0) {
      await this.objects.delete(
        plan.delete.map((b) => b.key),
        { signal },
      );
      for (const blob of plan.delete) this.emit({ type: 'gc', kind: 'blob', key: blob.key, size: blob.size, status: 'deleted' });
      result.deleted = plan.delete.length;
    }
    for (const upload of plan.abortUploads) {
      await this.objects.abortUpload(upload.key, upload.uploadId, { signal });
      this.emit({ type: 'gc', kind: 'upload', key: upload.key, size: 0, status: 'aborted' });
      result.abortedUploads++;
    }
    if (result.staleMarkers.length > 0) {
      await this.objects.delete(result.staleMarkers, { signal });
      for (const key of result.staleMarkers) {
        this.emit({ type: 'gc', kind: key.startsWith(this.layout.leasesPrefix) ? 'lease' : 'gc-run', key, size: 0, status: 'deleted' });
      }
    }
  }

  private async startGcRun(windowMs: number, signal: AbortSignal | undefined) {
    const key = this.layout.gcRunKey(newMarkerId(this.now()));
    const startedAt = performance.now();
    const document = { kind: GC_RUN_KIND, windowSeconds: windowMs / 1000, startedAt: this.now().toISOString() } as const;
    await this.objects.put(key, Buffer.from(serializeGcRun(document)), { contentType: JSON_TYPE, ifNoneMatch: '*', signal });
    const writtenAt = performance.now();
    const lastModified = await modifiedAt(this.objects, key, signal);
    if (!lastModified)
      throw new S3StoreError(S3StoreErrorCode.RequestFailed, `the gc run ${key} vanished right after it was written`, { key, hint: 're-run gc' });
    const serverNow = serverClockFrom(lastModified, writtenAt, () => performance.now());
    // The window counts from before the announcement was sent, so it ends no later than publishes expect.
    const windowSignal = () => AbortSignal.timeout(Math.max(0, Math.floor(startedAt + windowMs - performance.now())));
    return { key, serverNow, windowSignal };
  }

  /** Live leases (what they hold is kept), stale ones (to remove), and whether any could not be read. */
  private async readLeases(asOf: Date, signal: AbortSignal | undefined): Promise<{ live: LeaseHold[]; stale: string[]; unreadable: boolean; blobs: string[] }> {
    const found = { live: [] as LeaseHold[], stale: [] as string[], unreadable: false, blobs: [] as string[] };
    for await (const object of this.objects.list(this.layout.leasesPrefix, { signal })) {
      if (!this.layout.leaseIdOfKey(object.key)) continue;
      const stored = await this.objects.get(object.key, { signal });
      if (!stored) continue;
      try {
        const lease = parseLease(Buffer.from(stored.body).toString('utf8'), object.key);
        found.blobs.push(...lease.blobs);
        // Its holder gives up after one ttl without renewal; gc waits a second one, for writes still in flight.
        if (leaseExpiry(object.lastModified, 2 * lease.ttlSeconds) > asOf) found.live.push({ release: lease.release, blobs: lease.blobs });
        else found.stale.push(object.key);
      } catch (error) {
        if (!isS3StoreError(error, S3StoreErrorCode.BadDocument)) throw error;
        if (asOf.getTime() - object.lastModified.getTime() > UNREADABLE_MARKER_LIFETIME_MS) found.stale.push(object.key);
        else found.unreadable = true;
      }
    }
    return found;
  }

  /**
   * Unfinished uploads under the blobs, and of each blob a lease names or a release lacks (where a
   * killed publish leaves them), asked key by key for servers that list no prefix (MinIO).
   */
  private async unfinishedUploads(expected: readonly string[], signal: AbortSignal | undefined): Promise<PendingUpload[]> {
    const found = new Map<string, PendingUpload>();
    for await (const upload of this.objects.listUploads(this.layout.blobsPrefix, { signal })) found.set(upload.uploadId, upload);
    await mapConcurrently([...new Set(expected)], 8, async (sha256) => {
      const key = this.layout.blobKey(sha256);
      for await (const upload of this.objects.listUploads(key, { signal })) if (upload.key === key) found.set(upload.uploadId, upload);
    });
    return [...found.values()];
  }

  private async staleGcRuns(asOf: Date, own: string | undefined, signal: AbortSignal | undefined): Promise<string[]> {
    const stale: string[] = [];
    for await (const object of this.objects.list(this.layout.gcRunsPrefix, { signal })) {
      if (object.key === own || !this.layout.gcRunIdOfKey(object.key)) continue;
      const stored = await this.objects.get(object.key, { signal });
      if (!stored) continue;
      let expiry: Date;
      try {
        expiry = gcRunExpiry(object.lastModified, parseGcRun(Buffer.from(stored.body).toString('utf8'), object.key).windowSeconds);
      } catch (error) {
        if (!isS3StoreError(error, S3StoreErrorCode.BadDocument)) throw error;
        expiry = new Date(object.lastModified.getTime() + UNREADABLE_MARKER_LIFETIME_MS);
      }
      if (expiry <= asOf) stale.push(object.key);
    }
    return stale;
  }

  /** Every channel's pointer; a damaged one means what it protects is unknown, so nothing is retired. */
  private async readChannelsForGc(signal: AbortSignal | undefined): Promise<{ pointers: ChannelPointer[]; damaged: boolean }> {
    const pointers: ChannelPointer[] = [];
    let damaged = false;
    for (const name of await this.channelNames(signal)) {
      try {
        const state = await this.readChannel(name, signal);
        if (state) pointers.push(state.pointer);
      } catch (error) {
        if (!isS3StoreError(error, S3StoreErrorCode.BadDocument)) throw error;
        damaged = true;
      }
    }
    return { pointers, damaged };
  }

  private async channelNames(signal: AbortSignal | undefined): Promise<string[]> {
    const names: string[] = [];
    for await (const object of this.objects.list(this.layout.channelsPrefix, { signal })) {
      const name = this.layout.channelOfKey(object.key);
      if (name) names.push(name);
    }
    return names.sort();
  }

  private async releaseIds(signal: AbortSignal | undefined): Promise<string[]> {
    const ids: string[] = [];
    for await (const object of this.objects.list(this.layout.releasesPrefix, { signal })) {
      const id = this.layout.releaseIdOfKey(object.key);
      if (id) ids.push(id);
    }
    return ids;
  }

  /** Runs `work` under a lease taken at the same time; the work awaits it where it starts relying on it. */
  private async withLease<T>(
    hold: { operation: 'publish' | 'promote' | 'rollback'; release: string; blobs: string[] },
    signal: AbortSignal | undefined,
    work: (lease: Promise<HeldLease>) => Promise<T>,
  ): Promise<T> {
    const context = {
      objects: this.objects,
      layout: this.layout,
      now: this.now,
      monotonic: () => performance.now(),
      ttlMs: this.leaseTtlMs,
      pollIntervalMs: this.pollIntervalMs,
      emit: (event: StoreEvent) => this.emit(event),
    };
    const taking = HeldLease.take(context, hold, signal);
    // Its failure reaches the work where it awaits the lease; until then it must not count as unhandled.
    const taken = taking.then(
      (lease) => lease,
      () => undefined,
    );
    try {
      return await work(taking);
    } finally {
      // What the work did or failed at is what matters; a lease that cannot be removed lapses and gc clears it.
      await (await taken)?.release().catch(() => undefined);
    }
  }

  private async ensureRelease(document: ReleaseDocument, signal: AbortSignal | undefined): Promise<{ release: ReleaseDocument; created: boolean }> {
    const existing = await this.readRelease(document.id, signal);
    if (existing) return { release: existing, created: false };
    return this.writeRelease(document, signal);
  }

  /** Puts back whatever of the release went missing since it was checked; returns the blobs uploaded anew. */
  private async restoreMissing(files: readonly ReleaseFile[], root: string, release: ReleaseDocument, signal: AbortSignal | undefined): Promise<Set<string>> {
    const gone = await mapConcurrently(files, 8, async (file) => {
      const info = await this.objects.head(this.layout.blobKey(file.sha256), { signal });
      return info ? undefined : file;
    });
    const restored = new Set<string>();
    for (const file of gone) {
      if (!file) continue;
      this.emit({ type: 'blob', sha256: file.sha256, path: file.path, size: file.size, status: 'restoring' });
      await this.syncBlob(file, root, false, signal);
      restored.add(file.sha256);
    }
    if (!(await this.readRelease(release.id, signal))) {
      await this.writeRelease(release, signal);
      this.emit({ type: 'release', id: release.id, status: 'restored' });
    }
    return restored;
  }

  private async syncBlob(file: ReleaseFile, root: string, dryRun: boolean, signal: AbortSignal | undefined): Promise<PublishedBlob> {
    const path = insideRoot(root, file.path);
    const key = this.layout.blobKey(file.sha256);
    const event = (status: 'checking' | 'uploading' | 'uploaded' | 'present') =>
      this.emit({ type: 'blob', sha256: file.sha256, path: file.path, size: file.size, status });
    const done = (action: PublishedBlob['action']): PublishedBlob => ({ sha256: file.sha256, path: file.path, size: file.size, action });
    event('checking');
    const [, remote] = await Promise.all([this.checkLocalSize(path, file), this.objects.head(key, { signal })]);
    if (remote) {
      await this.assertRemoteHolds(remote, path, file, signal);
      event('present');
      return done('present');
    }
    if (dryRun) return done('would-upload');
    return this.uploadBlob(file, root, signal);
  }

  /** Uploads a blob found missing, create-only: one that appeared meanwhile is checked instead. */
  private async uploadBlob(file: ReleaseFile, root: string, signal: AbortSignal | undefined): Promise<PublishedBlob> {
    const path = insideRoot(root, file.path);
    const key = this.layout.blobKey(file.sha256);
    const event = (status: 'uploading' | 'uploaded' | 'present') => this.emit({ type: 'blob', sha256: file.sha256, path: file.path, size: file.size, status });
    const done = (action: PublishedBlob['action']): PublishedBlob => ({ sha256: file.sha256, path: file.path, size: file.size, action });
    event('uploading');
    let result;
    try {
      // The store refuses bytes that do not hash to the lock's sha256: S3 checks a single request on
      // arrival, a multipart upload is hashed while it is read and only completed when it matches.
      result = await this.objects.upload(key, path, {
        sha256: file.sha256,
        size: file.size,
        multipartThreshold: this.multipartThreshold,
        partSize: this.partSize,
        partConcurrency: this.partConcurrency,
        metadata: { [BLOB_METADATA.sha256]: file.sha256, [BLOB_METADATA.partSize]: String(this.partSize) },
        ifNoneMatch: '*',
        onProgress: (loaded, total) => this.emit({ type: 'blob-progress', sha256: file.sha256, loaded, total }),
        signal,
      });
    } catch (error) {
      if (isS3StoreError(error, S3StoreErrorCode.PreconditionFailed)) {
        const appeared = await this.objects.head(key, { signal });
        if (appeared) {
          await this.assertRemoteHolds(appeared, path, file, signal);
          event('present');
          return done('present');
        }
      }
      // S3 refused the bytes: say which local file differs from the lock, when that is the reason.
      if (isS3StoreError(error, S3StoreErrorCode.Sha256Mismatch)) await this.digestLocal(path, file, this.partSize, signal);
      throw error;
    }
    // What the server computed over the bytes it received must be what the lock says.
    if (!result.multipart && result.checksumSha256 !== undefined && !checksumMatches(result.checksumSha256, { sha256: file.sha256, size: file.size })) {
      throw new S3StoreError(S3StoreErrorCode.Sha256Mismatch, `the uploaded ${file.path} does not have the lock's checksum (${result.checksumSha256})`, {
        key,
        hint: 'the file changed during the upload; re-run extract, then publish',
      });
    }
    event('uploaded');
    return done('uploaded');
  }

  /**
   * Checks that a blob already in the bucket holds the lock's bytes, from the checksum S3 keeps (a
   * composite one is recomputed with the part size the blob was uploaded with) or, when there is
   * none, by reading it. Blobs are never overwritten, so one with other bytes is reported.
   */
  private async assertRemoteHolds(remote: ObjectInfo, path: string, file: ReleaseFile, signal: AbortSignal | undefined): Promise<void> {
    const key = remote.key;
    let holds = remote.size === file.size;
    if (holds && remote.checksumSha256 === undefined) {
      holds = (await this.hashRemote(key, signal)) === file.sha256;
    } else if (holds && isComposite(remote.checksumSha256)) {
      const partSize = Number(remote.metadata[BLOB_METADATA.partSize]);
      const usable = Number.isSafeInteger(partSize) && partSize > 0 ? partSize : this.partSize;
      holds = checksumMatches(remote.checksumSha256, await this.digestLocal(path, file, usable, signal));
    } else if (holds) {
      holds = base64ToHex(remote.checksumSha256!) === file.sha256;
    }
    if (!holds) {
      throw new S3StoreError(
        S3StoreErrorCode.BlobConflict,
        `${key} already exists with other bytes than ${file.path} (${remote.size} bytes, checksum ${remote.checksumSha256 ?? 'none'}); blobs are never overwritten`,
        {
          key,
          hint: 'the object was altered outside falco-airgap: delete it with an administrative role, then publish again',
        },
      );
    }
  }

  private async hashRemote(key: string, signal: AbortSignal | undefined): Promise<string | undefined> {
    const stream = await this.objects.getStream(key, { signal });
    if (!stream) return undefined;
    const hash = createHash('sha256');
    for await (const chunk of stream.body) hash.update(chunk);
    return hash.digest('hex');
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

  private async digestLocal(path: string, file: ReleaseFile, partSize: number, signal: AbortSignal | undefined): Promise<FileDigest> {
    let digest: FileDigest;
    try {
      digest = await digestFile(path, { partSize, signal });
    } catch (error) {
      if (signal?.aborted) throw interruptionOf(signal, `hashing ${file.path}`, undefined, error);
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

  /**
   * Writes a release document create-only. Reading it back catches a server that ignores
   * If-None-Match and let two writers race: the document kept must still be this release.
   */
  private async writeRelease(release: ReleaseDocument, signal: AbortSignal | undefined): Promise<{ release: ReleaseDocument; created: boolean }> {
    const key = this.layout.releaseKey(release.id);
    const bytes = Buffer.from(serializeRelease(release));
    let created = true;
    try {
      await this.objects.put(key, bytes, { contentType: JSON_TYPE, ifNoneMatch: '*', signal });
    } catch (error) {
      // Another publish of the same content won the race; its document is as good as ours.
      if (!isS3StoreError(error, S3StoreErrorCode.PreconditionFailed)) throw error;
      created = false;
    }
    const stored = await this.readRelease(release.id, signal);
    if (!stored) {
      throw new S3StoreError(S3StoreErrorCode.RequestFailed, `${key} is missing right after it was written`, { key, hint: 'publish again' });
    }
    return { release: stored, created: created && stored.createdAt === release.createdAt };
  }

  private async planPromotion(releaseId: string, channel: string, signal?: AbortSignal): Promise<ChannelChange> {
    const current = await this.readChannel(channel, signal);
    return { channel, from: current?.pointer.release, to: releaseId, changed: current?.pointer.release !== releaseId };
  }

  private async movePointer(releaseId: string, channel: string, options: PromoteOptions): Promise<ChannelChange> {
    const retries = options.conflictRetries ?? 0;
    for (let attempt = 0; ; attempt++) {
      const { state: current, damaged } = await this.readChannelForUpdate(channel, options.signal);
      const next = damaged
        ? { release: releaseId, previous: [], updatedAt: this.now().toISOString() }
        : advancePointer(current?.pointer, releaseId, this.now().toISOString(), this.historyLimit);
      const from = current?.pointer.release;
      if (!next) {
        this.emit({ type: 'channel', channel, from, to: releaseId, status: 'unchanged' });
        return { channel, from, to: releaseId, changed: false };
      }
      try {
        await this.writePointer(channel, next, damaged ?? current, releaseId, options.signal, damaged !== undefined);
        return { channel, from, to: releaseId, changed: true, ...(damaged ? { repaired: true } : {}) };
      } catch (error) {
        if (!isS3StoreError(error, S3StoreErrorCode.ChannelConflict) || attempt >= retries) throw error;
        this.emit({ type: 'channel', channel, from, to: releaseId, status: 'retrying' });
      }
    }
  }

  /** The channel as a promotion sees it: its state, or the ETag of a damaged document to replace. */
  private async readChannelForUpdate(
    channel: string,
    signal: AbortSignal | undefined,
  ): Promise<{ state: ChannelState | undefined; damaged: { etag: string; pointer: undefined } | undefined }> {
    const object = await this.readChannelObject(channel, signal);
    if (!object) return { state: undefined, damaged: undefined };
    try {
      return { state: { channel, pointer: parseChannelPointer(object.text, object.key), etag: object.etag }, damaged: undefined };
    } catch (error) {
      if (!isS3StoreError(error, S3StoreErrorCode.BadDocument)) throw error;
      return { state: undefined, damaged: { etag: object.etag, pointer: undefined } };
    }
  }

  /** The one write of a pointer: create-only when new, compare-and-swap on the ETag read otherwise. */
  private async writePointer(
    channel: string,
    next: ChannelPointer,
    current: { etag: string; pointer: ChannelPointer | undefined } | undefined,
    target: string,
    signal: AbortSignal | undefined,
    repairing = false,
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
    this.emit({ type: 'channel', channel, from: current?.pointer?.release, to: target, status: repairing ? 'repaired' : 'moved' });
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

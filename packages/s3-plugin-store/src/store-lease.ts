import { sleep } from '@falco-airgap/core';
import { isS3StoreError, S3StoreError, S3StoreErrorCode } from './errors.ts';
import type { StoreEvent } from './events.ts';
import type { StoreLayout } from './layout.ts';
import {
  DEFAULT_GC_WINDOW_MS,
  gcRunExpiry,
  LEASE_KIND,
  leaseTimeLeftMs,
  modifiedAt,
  newMarkerId,
  parseGcRun,
  serializeLease,
  serverClockFrom,
  UNREADABLE_MARKER_LIFETIME_MS,
  type LeaseDocument,
} from './leases.ts';
import type { ObjectStore } from './object-store.ts';

export interface LeaseContext {
  objects: ObjectStore;
  layout: StoreLayout;
  now: () => Date;
  /** A clock that never jumps, in ms: what every duration here is measured with. */
  monotonic: () => number;
  ttlMs: number;
  pollIntervalMs: number;
  emit: (event: StoreEvent) => void;
}

const JSON_TYPE = 'application/json';
/** Time left a holder needs before it moves a channel: that write and its retries fit well within it. */
const MOVE_MARGIN_MS = 60_000;

/**
 * A lease held by a publish, promote or rollback: written before the work relies on a release,
 * renewed while it runs, and given up at the end. A lease that lapsed once is lost for good, so
 * its holder never moves a channel on the strength of a gc that may already have stopped honouring it.
 */
export class HeldLease {
  readonly key: string;
  private readonly context: LeaseContext;
  private readonly document: Omit<LeaseDocument, 'renewedAt'>;
  private etag: string;
  private lastWriteStartedAt: number;
  private readonly serverNow: () => Date;
  private lost: S3StoreError | undefined;
  private renewing: Promise<void> | undefined;
  private readonly timer: NodeJS.Timeout;

  private constructor(
    context: LeaseContext,
    key: string,
    document: Omit<LeaseDocument, 'renewedAt'>,
    written: { etag: string; startedAt: number; serverNow: () => Date },
  ) {
    this.context = context;
    this.key = key;
    this.document = document;
    this.etag = written.etag;
    this.lastWriteStartedAt = written.startedAt;
    this.serverNow = written.serverNow;
    this.timer = setInterval(() => void this.renew(), Math.max(50, Math.min(60_000, context.ttlMs / 5)));
    this.timer.unref();
  }

  static async take(context: LeaseContext, hold: Pick<LeaseDocument, 'operation' | 'release' | 'blobs'>, signal: AbortSignal | undefined): Promise<HeldLease> {
    const key = context.layout.leaseKey(newMarkerId(context.now()));
    const document = { kind: LEASE_KIND, ...hold, ttlSeconds: context.ttlMs / 1000 } as const;
    const startedAt = context.monotonic();
    const { etag } = await context.objects.put(key, body(document, context.now()), { contentType: JSON_TYPE, ifNoneMatch: '*', signal });
    const writtenAt = context.monotonic();
    const lastModified = await modifiedAt(context.objects, key, signal);
    if (!lastModified)
      throw new S3StoreError(S3StoreErrorCode.LeaseLost, `the lease ${key} vanished right after it was written`, { key, hint: 're-run the command' });
    return new HeldLease(context, key, document, { etag, startedAt, serverNow: serverClockFrom(lastModified, writtenAt, context.monotonic) });
  }

  /**
   * Waits until every gc run that may have started before this lease was visible is over (ended,
   * or past the last moment it could delete). gc runs that start later see the lease.
   */
  async settle(signal: AbortSignal | undefined): Promise<void> {
    const { objects, layout } = this.context;
    const pending: { key: string; id: string; expiry: Date }[] = [];
    for await (const object of objects.list(layout.gcRunsPrefix, { signal })) {
      const id = layout.gcRunIdOfKey(object.key);
      if (!id) continue;
      const stored = await objects.get(object.key, { signal });
      if (!stored) continue;
      let expiry: Date;
      try {
        expiry = gcRunExpiry(object.lastModified, parseGcRun(Buffer.from(stored.body).toString('utf8'), object.key).windowSeconds);
      } catch (error) {
        // What an unreadable run may still delete is unknown: it counts as long as gc itself lets it.
        if (!isS3StoreError(error, S3StoreErrorCode.BadDocument)) throw error;
        expiry = new Date(object.lastModified.getTime() + Math.max(UNREADABLE_MARKER_LIFETIME_MS, DEFAULT_GC_WINDOW_MS));
      }
      if (expiry > this.serverNow()) pending.push({ key: object.key, id, expiry });
    }
    for (const run of pending) {
      this.context.emit({ type: 'gc-wait', gcRun: run.id, until: run.expiry.toISOString(), status: 'waiting' });
      while (this.serverNow() < run.expiry && (await objects.head(run.key, { signal }))) await sleep(this.context.pollIntervalMs, signal);
      this.context.emit({ type: 'gc-wait', gcRun: run.id, until: run.expiry.toISOString(), status: 'done' });
    }
  }

  /** Throws S3STORE_LEASE_LOST unless the lease surely holds long enough to move a channel. */
  async assertTimeLeft(): Promise<void> {
    const margin = Math.min(MOVE_MARGIN_MS, this.context.ttlMs * 0.3);
    if (!this.lost && leaseTimeLeftMs(this.context.ttlMs, this.lastWriteStartedAt, this.context.monotonic()) < margin) await this.renew();
    if (this.lost) throw this.lost;
    if (leaseTimeLeftMs(this.context.ttlMs, this.lastWriteStartedAt, this.context.monotonic()) < margin) {
      throw this.lapsed('it could not be renewed in time');
    }
  }

  /** Gives the lease up; a lease that cannot be deleted lapses on its own and gc removes it. */
  async release(): Promise<void> {
    clearInterval(this.timer);
    await this.renewing;
    await this.context.objects.delete([this.key], { signal: AbortSignal.timeout(10_000) });
  }

  private renew(): Promise<void> {
    this.renewing ??= this.write().finally(() => (this.renewing = undefined));
    return this.renewing;
  }

  private async write(): Promise<void> {
    if (this.lost) return;
    const { objects, monotonic, ttlMs } = this.context;
    const startedAt = monotonic();
    if (leaseTimeLeftMs(ttlMs, this.lastWriteStartedAt, startedAt) <= 0) {
      this.lost = this.lapsed('it was not renewed in time');
      return;
    }
    try {
      const { etag } = await objects.put(this.key, body(this.document, this.context.now()), {
        contentType: JSON_TYPE,
        ifMatch: this.etag,
        signal: AbortSignal.timeout(Math.max(1, leaseTimeLeftMs(ttlMs, this.lastWriteStartedAt, startedAt))),
      });
      // A renewal that lands after the lease lapsed does not revive it: gc may have acted meanwhile.
      if (leaseTimeLeftMs(ttlMs, this.lastWriteStartedAt, monotonic()) <= 0) {
        this.lost = this.lapsed('its renewal came too late');
        return;
      }
      this.etag = etag;
      this.lastWriteStartedAt = startedAt;
    } catch (error) {
      if (isS3StoreError(error, S3StoreErrorCode.PreconditionFailed)) this.lost = this.lapsed('gc removed it as stale');
      // Other failures are retried at the next tick; the time left decides whether the lease still holds.
    }
  }

  private lapsed(why: string): S3StoreError {
    return new S3StoreError(S3StoreErrorCode.LeaseLost, `the lease ${this.key} on release ${this.document.release} lapsed: ${why}`, {
      key: this.key,
      hint: 'nothing was pointed at the release; check the connection to S3 and run the command again',
    });
  }
}

function body(document: Omit<LeaseDocument, 'renewedAt'>, now: Date): Buffer {
  return Buffer.from(serializeLease({ ...document, renewedAt: now.toISOString() }));
}

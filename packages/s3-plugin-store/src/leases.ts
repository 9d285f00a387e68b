import { randomBytes } from 'node:crypto';
import { S3StoreError, S3StoreErrorCode } from './errors.ts';
import { isReleaseId, isSha256Hex } from './layout.ts';
import type { ObjectStore } from './object-store.ts';
import { arrayField, parseJsonObject, stringField } from './release.ts';

/**
 * leases/<id>.json: written by a publish, promote or rollback before it relies on a release and its
 * blobs, renewed while it runs, deleted when it is done. gc keeps whatever a live lease names.
 */
export interface LeaseDocument {
  kind: typeof LEASE_KIND;
  operation: 'publish' | 'promote' | 'rollback';
  release: string;
  /** Blobs the holder relies on before its release document exists (publish), by sha256. */
  blobs: string[];
  /** The lease lapses this long after the object's last modification (its last renewal). */
  ttlSeconds: number;
  renewedAt: string;
}

/**
 * gc-runs/<id>.json: written by gc before it reads anything it decides on. gc issues no delete
 * later than `windowSeconds` after writing it, so a publish that finds it knows when that gc is over.
 */
export interface GcRunDocument {
  kind: typeof GC_RUN_KIND;
  windowSeconds: number;
  startedAt: string;
}

export const LEASE_KIND = 'PluginStoreLease';
export const GC_RUN_KIND = 'PluginStoreGcRun';

/** How long a lease holds without renewal: what a killed publish keeps from gc. */
export const DEFAULT_LEASE_TTL_MS = 10 * 60_000;
/** Lease time a holder must have left to move a channel: covers that write and its retries. */
export const LEASE_MARGIN_MS = 3 * 60_000;
/** How long after it starts a gc run may still delete (it stops and says so when that is not enough). */
export const DEFAULT_GC_WINDOW_MS = 60_000;
/** Time a delete sent just before the end of the window may take to be applied. */
export const GC_GRACE_MS = 30_000;
/** S3 reports modification times in whole seconds. */
const TIMESTAMP_GRANULARITY_MS = 1_000;
/** A lease or gc run that cannot be read counts for this long, then it is stale. */
export const UNREADABLE_MARKER_LIFETIME_MS = 24 * 60 * 60_000;

/** `20260101T120000Z-<16 hex>`: sortable by when it was taken, unique by its random part. */
export function newMarkerId(now: Date, random: Buffer = randomBytes(8)): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${random.toString('hex')}`;
}

export function serializeLease(lease: LeaseDocument): string {
  return `${JSON.stringify(lease, null, 2)}\n`;
}

export function serializeGcRun(run: GcRunDocument): string {
  return `${JSON.stringify(run, null, 2)}\n`;
}

function badMarker(where: string) {
  return (what: string) =>
    new S3StoreError(S3StoreErrorCode.BadDocument, `${where} is invalid: ${what}`, {
      key: where,
      hint: 'leases and gc runs are written by the store itself; gc removes one that cannot be read after a day',
    });
}

export function parseLease(text: string, where: string): LeaseDocument {
  const bad = badMarker(where);
  const root = parseJsonObject(text, bad);
  if (root.kind !== LEASE_KIND) throw bad(`kind must be ${LEASE_KIND}`);
  const operation = stringField(root, 'operation', bad);
  if (operation !== 'publish' && operation !== 'promote' && operation !== 'rollback') throw bad(`unknown operation "${operation}"`);
  const release = stringField(root, 'release', bad);
  if (!isReleaseId(release)) throw bad(`"${release}" is not a release id`);
  const blobs = arrayField(root, 'blobs', bad).map((sha256, i) => {
    if (typeof sha256 !== 'string' || !isSha256Hex(sha256)) throw bad(`blobs[${i}] is not a sha256`);
    return sha256;
  });
  const ttlSeconds = root.ttlSeconds;
  if (typeof ttlSeconds !== 'number' || !Number.isFinite(ttlSeconds) || ttlSeconds <= 0) throw bad('"ttlSeconds" must be a positive number');
  return { kind: LEASE_KIND, operation, release, blobs, ttlSeconds, renewedAt: stringField(root, 'renewedAt', bad) };
}

export function parseGcRun(text: string, where: string): GcRunDocument {
  const bad = badMarker(where);
  const root = parseJsonObject(text, bad);
  if (root.kind !== GC_RUN_KIND) throw bad(`kind must be ${GC_RUN_KIND}`);
  const windowSeconds = root.windowSeconds;
  if (typeof windowSeconds !== 'number' || !Number.isFinite(windowSeconds) || windowSeconds <= 0) throw bad('"windowSeconds" must be a positive number');
  return { kind: GC_RUN_KIND, windowSeconds, startedAt: stringField(root, 'startedAt', bad) };
}

/** When a lease last renewed at `lastModified` lapses (server time). */
export function leaseExpiry(lastModified: Date, ttlSeconds: number): Date {
  return new Date(lastModified.getTime() + ttlSeconds * 1000);
}

/**
 * When a gc run started at `lastModified` can no longer delete anything (server time): its window,
 * the grace for a delete in flight, and the second S3 drops from timestamps.
 */
export function gcRunExpiry(lastModified: Date, windowSeconds: number): Date {
  return new Date(lastModified.getTime() + windowSeconds * 1000 + GC_GRACE_MS + TIMESTAMP_GRANULARITY_MS);
}

/**
 * The server's clock as a lower bound, from an object this process wrote: it was modified no later
 * than the moment its write returned, and the local monotonic clock measures what passed since.
 */
export function serverClockFrom(lastModified: Date, writtenAtMs: number, monotonic: () => number): () => Date {
  return () => new Date(lastModified.getTime() + Math.max(0, monotonic() - writtenAtMs));
}

/**
 * When the server last modified an object, as precisely as it says: listings carry milliseconds
 * where some servers (MinIO) do, HEAD only whole seconds.
 */
export async function modifiedAt(objects: ObjectStore, key: string, signal: AbortSignal | undefined): Promise<Date | undefined> {
  for await (const object of objects.list(key, { signal })) if (object.key === key) return object.lastModified;
  return (await objects.head(key, { signal }))?.lastModified;
}

/** What a lease still guarantees, from the moment before its last successful write: a lower bound. */
export function leaseTimeLeftMs(ttlMs: number, lastWriteStartedAtMs: number, monotonicNow: number): number {
  return ttlMs - TIMESTAMP_GRANULARITY_MS - (monotonicNow - lastWriteStartedAtMs);
}

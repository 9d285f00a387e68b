import type { ChannelPointer } from './channel-pointer.ts';
import type { ListedObject, PendingUpload } from './object-store.ts';
import { blobsOf, type ReleaseDocument } from './release.ts';

export interface GcCandidate extends ListedObject {
  sha256: string;
}

/** What a live lease keeps: the release its holder is about to point a channel at, and the blobs it relies on. */
export interface LeaseHold {
  release: string;
  blobs: readonly string[];
}

export interface GcPlanInput {
  blobs: readonly GcCandidate[];
  releases: readonly ReleaseDocument[];
  now: Date;
  /** Unreferenced blobs and unfinished uploads younger than this are kept. */
  minAgeMs: number;
  /** Pointers of every channel: their release and their history are never retired. */
  channels?: readonly ChannelPointer[] | undefined;
  /** Live leases of running publishes and promotions. */
  leases?: readonly LeaseHold[] | undefined;
  /** Retire releases beyond the newest N (by createdAt) that nothing points at; undefined retires none. */
  keepReleases?: number | undefined;
  /** Retire nothing (a channel could not be read, so what it protects is unknown). */
  retireNothing?: boolean | undefined;
  /** Delete nothing at all (a lease could not be read, so what it protects is unknown). */
  holdEverything?: boolean | undefined;
  /** Multipart uploads under the blobs prefix that were never completed. */
  uploads?: readonly PendingUpload[] | undefined;
}

export interface GcPlan {
  /** Blobs no kept release or live lease refers to and older than the minimum age: what gc deletes when applied. */
  delete: GcCandidate[];
  /** Unreferenced blobs kept because they are younger than the minimum age (a publish may be writing its release). */
  tooYoung: GcCandidate[];
  /** Blobs some kept release refers to. */
  referenced: number;
  /** Unreferenced blobs kept only because a running publish holds them. */
  leased: number;
  /** Blobs a release refers to but the bucket does not hold: such a release cannot be installed. */
  missing: { release: string; sha256: string }[];
  /** Releases beyond `keepReleases` that no channel, channel history or lease points at, oldest first. */
  retire: { id: string; createdAt: string }[];
  /** Unfinished multipart uploads older than the minimum age. */
  abortUploads: PendingUpload[];
  /** Bytes `delete` frees. */
  reclaimableBytes: number;
}

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Decides what is garbage; pure. Every release counts, not only those a channel follows: releases
 * are immutable and any of them may be promoted later, unless `keepReleases` retires the old ones.
 */
export function planGc(input: GcPlanInput): GcPlan {
  const retire = input.holdEverything || input.retireNothing ? [] : releasesToRetire(input);
  const retired = new Set(retire.map((r) => r.id));
  const referencedBy = new Map<string, string[]>();
  for (const release of input.releases) {
    if (retired.has(release.id)) continue;
    for (const sha256 of blobsOf(release)) referencedBy.set(sha256, [...(referencedBy.get(sha256) ?? []), release.id]);
  }
  const leased = new Set((input.leases ?? []).flatMap((l) => l.blobs));
  const present = new Set(input.blobs.map((b) => b.sha256));
  const old = (time: Date) => input.now.getTime() - time.getTime() >= input.minAgeMs;
  const plan: GcPlan = { delete: [], tooYoung: [], referenced: 0, leased: 0, missing: [], retire, abortUploads: [], reclaimableBytes: 0 };
  for (const blob of [...input.blobs].sort((a, b) => byText(a.key, b.key))) {
    if (referencedBy.has(blob.sha256)) {
      plan.referenced++;
    } else if (leased.has(blob.sha256) || input.holdEverything) {
      plan.leased++;
    } else if (!old(blob.lastModified)) {
      plan.tooYoung.push(blob);
    } else {
      plan.delete.push(blob);
      plan.reclaimableBytes += blob.size;
    }
  }
  for (const [sha256, releases] of referencedBy) {
    if (!present.has(sha256)) for (const release of releases) plan.missing.push({ release, sha256 });
  }
  plan.missing.sort((a, b) => byText(a.release, b.release) || byText(a.sha256, b.sha256));
  // An aborted upload only costs its writer a retry, so uploads need no lease: age alone decides.
  plan.abortUploads = (input.uploads ?? []).filter((u) => old(u.initiated)).sort((a, b) => byText(a.key, b.key) || byText(a.uploadId, b.uploadId));
  return plan;
}

function releasesToRetire(input: GcPlanInput): { id: string; createdAt: string }[] {
  if (input.keepReleases === undefined) return [];
  const protectedIds = new Set<string>();
  for (const pointer of input.channels ?? []) for (const id of [pointer.release, ...pointer.previous]) protectedIds.add(id);
  for (const lease of input.leases ?? []) protectedIds.add(lease.release);
  const newestFirst = [...input.releases].sort((a, b) => byText(b.createdAt, a.createdAt) || byText(a.id, b.id));
  return newestFirst
    .slice(input.keepReleases)
    .filter((r) => !protectedIds.has(r.id))
    .map((r) => ({ id: r.id, createdAt: r.createdAt }))
    .reverse();
}

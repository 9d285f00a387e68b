import type { ListedObject } from './object-store.ts';
import { blobsOf, type ReleaseDocument } from './release.ts';

export interface GcCandidate extends ListedObject {
  sha256: string;
}

export interface GcPlan {
  /** Blobs no release refers to and older than the minimum age: what gc deletes when applied. */
  delete: GcCandidate[];
  /** Unreferenced blobs kept because they are younger than the minimum age (a publish may be writing its release). */
  tooYoung: GcCandidate[];
  /** Blobs some release refers to. */
  referenced: number;
  /** Blobs a release refers to but the bucket does not hold: such a release cannot be installed. */
  missing: { release: string; sha256: string }[];
  /** Bytes `delete` frees. */
  reclaimableBytes: number;
}

/**
 * Decides which blobs are garbage; pure. Every release counts, not only those a channel follows:
 * releases are immutable and any of them may be promoted later.
 */
export function planGc(input: { blobs: readonly GcCandidate[]; releases: readonly ReleaseDocument[]; now: Date; minAgeMs: number }): GcPlan {
  const referencedBy = new Map<string, string[]>();
  for (const release of input.releases) {
    for (const sha256 of blobsOf(release)) referencedBy.set(sha256, [...(referencedBy.get(sha256) ?? []), release.id]);
  }
  const present = new Set(input.blobs.map((b) => b.sha256));
  const plan: GcPlan = { delete: [], tooYoung: [], referenced: 0, missing: [], reclaimableBytes: 0 };
  for (const blob of [...input.blobs].sort((a, b) => (a.key < b.key ? -1 : 1))) {
    if (referencedBy.has(blob.sha256)) {
      plan.referenced++;
    } else if (input.now.getTime() - blob.lastModified.getTime() < input.minAgeMs) {
      plan.tooYoung.push(blob);
    } else {
      plan.delete.push(blob);
      plan.reclaimableBytes += blob.size;
    }
  }
  for (const [sha256, releases] of referencedBy) {
    if (!present.has(sha256)) for (const release of releases) plan.missing.push({ release, sha256 });
  }
  plan.missing.sort((a, b) => (a.release < b.release ? -1 : a.release > b.release ? 1 : a.sha256 < b.sha256 ? -1 : 1));
  return plan;
}

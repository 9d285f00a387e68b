import { describe, expect, it } from 'vitest';
import { planGc, type GcCandidate } from './gc-plan.ts';
import { blobPath, type ReleaseDocument } from './release.ts';

const hex = (c: string) => c.repeat(64);
const now = new Date(Date.UTC(2026, 0, 2));
const old = new Date(Date.UTC(2026, 0, 1));

function release(id: string, createdAt: string, blobs: string[]): ReleaseDocument {
  return {
    apiVersion: 'falco-airgap/v1alpha1',
    kind: 'PluginRelease',
    id,
    createdAt,
    falco: { version: '0.44.1' },
    plugins: blobs.map((c, i) => ({
      name: `p${i}`,
      version: '1.0.0',
      platform: 'linux/amd64',
      file: `libp${i}.so`,
      sha256: hex(c),
      size: 1,
      blob: blobPath(hex(c)),
    })),
    rulesfiles: [],
  };
}
const blob = (c: string, lastModified = old): GcCandidate => ({ key: `blobs/sha256/${hex(c)}`, sha256: hex(c), size: 1, lastModified });

describe('planGc', () => {
  const releases = [release('r1', '2026-01-01T00:00:01Z', ['a']), release('r2', '2026-01-01T00:00:02Z', ['b']), release('r3', '2026-01-01T00:00:03Z', ['c'])];
  const blobs = ['a', 'b', 'c', 'd', 'e'].map((c) => blob(c));

  it('keeps what a live lease holds and what a release names; deletes the rest once old enough', () => {
    const plan = planGc({ blobs: [...blobs, blob('f', now)], releases, now, minAgeMs: 60_000, leases: [{ release: 'r9', blobs: [hex('d')] }] });
    expect(plan.delete.map((b) => b.sha256)).toEqual([hex('e')]);
    expect(plan).toMatchObject({ referenced: 3, leased: 1, retire: [] });
    expect(plan.tooYoung.map((b) => b.sha256)).toEqual([hex('f')]);
  });

  it('retires releases beyond the newest N unless a channel, its history or a lease points at them, and frees their blobs', () => {
    const plan = planGc({ blobs, releases, now, minAgeMs: 0, keepReleases: 1, channels: [{ release: 'r2', previous: [], updatedAt: 't' }] });
    expect(plan.retire).toEqual([{ id: 'r1', createdAt: '2026-01-01T00:00:01Z' }]);
    expect(plan.delete.map((b) => b.sha256)).toEqual([hex('a'), hex('d'), hex('e')]);
    expect(
      planGc({
        blobs,
        releases,
        now,
        minAgeMs: 0,
        keepReleases: 0,
        channels: [{ release: 'r3', previous: ['r1'], updatedAt: 't' }],
        leases: [{ release: 'r2', blobs: [] }],
      }).retire,
    ).toEqual([]);
  });

  it('retires nothing when a channel could not be read, and deletes nothing when a lease could not be read', () => {
    expect(planGc({ blobs, releases, now, minAgeMs: 0, keepReleases: 0, retireNothing: true }).retire).toEqual([]);
    const held = planGc({ blobs, releases, now, minAgeMs: 0, keepReleases: 0, holdEverything: true });
    expect(held).toMatchObject({ retire: [], delete: [], leased: 2 });
  });

  it('aborts unfinished uploads older than the minimum age', () => {
    const uploads = [
      { key: 'blobs/sha256/x', uploadId: '1', initiated: old },
      { key: 'blobs/sha256/y', uploadId: '2', initiated: now },
    ];
    expect(planGc({ blobs: [], releases: [], now, minAgeMs: 60_000, uploads }).abortUploads.map((u) => u.uploadId)).toEqual(['1']);
  });
});

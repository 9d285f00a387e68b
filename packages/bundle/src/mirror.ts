import { parseReference } from '@falco-airgap/core';
import { isArtifactSource, type PluginsLock } from '@falco-airgap/manifest';
import { copyArtifact, MediaType, type CopyReport, type Descriptor, type RegistryClient, type RepositoryLocation } from '@falco-airgap/oci';
import { BundleError, BundleErrorCode } from './errors.ts';
import type { FalcoctlIndexEntry } from './falcoctl-index.ts';

/** Where artifacts are mirrored to: a registry and an optional repository prefix. */
export interface MirrorTarget {
  registry: string;
  /** Put before each source repository, e.g. `mirror/falco`; empty for none. */
  prefix: string;
}

/** One locked artifact and where it goes. */
export interface MirrorItem {
  kind: 'plugin' | 'rulesfile';
  name: string;
  version: string;
  /** The reference the lock was resolved from. */
  sourceReference: string;
  source: RepositoryLocation;
  /** The digest the lock pins; copied as it is. */
  digest: string;
  target: RepositoryLocation;
  /** The version, and the source's own tag when it differs. */
  tags: string[];
}

/** A lock entry the mirror leaves out, and why. */
export interface MirrorSkip {
  kind: 'plugin' | 'rulesfile';
  name: string;
  reason: string;
}

export interface MirrorPlan {
  target: MirrorTarget;
  items: MirrorItem[];
  skipped: MirrorSkip[];
}

/** `host[:port][/prefix]` as a target; refuses what does not start with a registry host. */
export function parseMirrorTarget(value: string): MirrorTarget {
  const trimmed = value.replace(/\/+$/, '');
  const slash = trimmed.indexOf('/');
  const registry = slash === -1 ? trimmed : trimmed.slice(0, slash);
  const prefix = slash === -1 ? '' : trimmed.slice(slash + 1);
  const probe = parseReference(`${trimmed}/probe:0`);
  if (!probe.ok || probe.reference.registry !== registry) {
    throw new BundleError(
      BundleErrorCode.BadOption,
      `mirror target "${value}" is not a registry host[:port] with an optional /prefix`,
      'give `target` as e.g. registry.internal:5000/falco or 127.0.0.1:5000',
    );
  }
  return { registry, prefix };
}

/**
 * Which locked artifacts go where: every plugin and rulesfile taken from an artifact, pinned by
 * the digest the lock records, to the same repository path under the target's prefix. Entries
 * taken from container images are skipped: falcoctl installs artifacts only.
 */
export function planMirror(lock: PluginsLock, target: MirrorTarget): MirrorPlan {
  const items: MirrorItem[] = [];
  const skipped: MirrorSkip[] = [];
  const entries = [
    ...lock.plugins.map((p) => ({ kind: 'plugin' as const, entry: p })),
    ...lock.rulesfiles.map((r) => ({ kind: 'rulesfile' as const, entry: r })),
  ];
  for (const { kind, entry } of entries) {
    if (!isArtifactSource(entry.source)) {
      skipped.push({ kind, name: entry.name, reason: `taken from the image ${entry.source.image}, not an artifact falcoctl can install` });
      continue;
    }
    const parsed = parseReference(entry.source.artifact);
    if (!parsed.ok) {
      throw new BundleError(
        BundleErrorCode.BadOption,
        `the lock's ${kind} ${entry.name} names "${entry.source.artifact}": ${parsed.detail}`,
        'extract again to rewrite the lock',
      );
    }
    const { registry, repository, tag } = parsed.reference;
    items.push({
      kind,
      name: entry.name,
      version: entry.version,
      sourceReference: entry.source.artifact,
      source: { registry, repository },
      digest: entry.resolvedDigest,
      target: { registry: target.registry, repository: target.prefix ? `${target.prefix}/${repository}` : repository },
      tags: [...new Set([entry.version, ...(tag ? [tag] : [])])],
    });
  }
  const names = new Map<string, string>();
  for (const item of items) {
    const other = names.get(item.name);
    if (other) {
      throw new BundleError(
        BundleErrorCode.BadOption,
        `a ${other} and a ${item.kind} are both named ${item.name}; a falcoctl index names each artifact once`,
        'rename one of them in the manifest (rulesfiles are usually named <plugin>-rules) and extract again',
      );
    }
    names.set(item.name, item.kind);
  }
  return { target, items, skipped };
}

/** The falcoctl index entries that point at the mirrored copies. */
export function mirrorIndexEntries(plan: MirrorPlan): FalcoctlIndexEntry[] {
  return plan.items.map((item) => ({
    name: item.name,
    type: item.kind,
    registry: item.target.registry,
    repository: item.target.repository,
    description: `${item.kind} ${item.name} ${item.version}, mirrored from ${item.sourceReference}`,
    home: '',
    keywords: [item.kind, item.name],
    license: '',
    maintainers: [],
    sources: [item.sourceReference],
  }));
}

/** Artifact type of a cosign signature stored as an OCI 1.1 referrer. */
const COSIGN_SIGNATURE_ARTIFACT_TYPE = 'application/vnd.dev.cosign.artifact.sig.v1+json';
/** Signatures copied per artifact at most; more is not a signature set, it is noise. */
const MAX_SIGNATURES = 16;

/** A cosign signature of a mirrored artifact, copied next to it. */
export interface MirroredSignature {
  /** Digest of the signature manifest, the same in source and target. */
  digest: string;
  /** `tag`: cosign's `sha256-<hex>.sig` tag; `referrers`: an OCI 1.1 referrer of the artifact. */
  foundVia: 'tag' | 'referrers';
  /** Blobs the target did not hold yet (0 when the copy was already there). */
  blobsUploaded: number;
}

export interface MirrorEvent {
  type: 'mirrored';
  item: MirrorItem;
  report: CopyReport;
  signatures: MirroredSignature[];
}

export interface MirrorOptions {
  signal?: AbortSignal | undefined;
  onEvent?: ((event: MirrorEvent) => void) | undefined;
}

export interface MirrorResult extends MirrorPlan {
  reports: { item: MirrorItem; report: CopyReport; signatures: MirroredSignature[] }[];
  index: FalcoctlIndexEntry[];
}

/**
 * Copies every planned artifact, indexes whole, digests and media types unchanged; what the target
 * already holds is not sent again. The client needs a blob cache for blobs crossing registries.
 */
export async function mirrorArtifacts(client: RegistryClient, plan: MirrorPlan, options: MirrorOptions = {}): Promise<MirrorResult> {
  const reports: MirrorResult['reports'] = [];
  for (const item of plan.items) {
    const report = await copyArtifact(client, item.source, item.digest, item.target, { tags: item.tags, signal: options.signal });
    const signatures = await copySignatures(client, item, options.signal);
    reports.push({ item, report, signatures });
    options.onEvent?.({ type: 'mirrored', item, report, signatures });
  }
  return { ...plan, reports, index: mirrorIndexEntries(plan) };
}

/**
 * Copies the cosign signatures of the artifact's digest, so that the mirror can be verified where
 * the source cannot be reached: the `sha256-<hex>.sig` tag, and signatures stored as OCI 1.1
 * referrers. A target without the referrers API gets them listed under the referrers tag schema's
 * `sha256-<hex>` index, merged with what that index already lists.
 */
async function copySignatures(client: RegistryClient, item: MirrorItem, signal?: AbortSignal): Promise<MirroredSignature[]> {
  const tagged = `${item.digest.replace(':', '-')}.sig`;
  const [head, referred] = await Promise.all([
    client.headManifest(item.source, tagged, signal),
    client.referrers(item.source, item.digest, { artifactType: COSIGN_SIGNATURE_ARTIFACT_TYPE, signal }),
  ]);
  const copied: MirroredSignature[] = [];
  if (head) {
    const report = await copyArtifact(client, item.source, head.digest, item.target, { tags: [tagged], signal });
    copied.push({ digest: head.digest, foundVia: 'tag', blobsUploaded: report.blobsUploaded });
  }
  const referrers = referred.descriptors.slice(0, MAX_SIGNATURES);
  if (!referrers.length) return copied;
  for (const descriptor of referrers) {
    const report = await copyArtifact(client, item.source, descriptor.digest, item.target, { signal });
    copied.push({ digest: descriptor.digest, foundVia: 'referrers', blobsUploaded: report.blobsUploaded });
  }
  const listed = await client.referrers(item.target, item.digest, { signal });
  const missing = referrers.filter((d) => !listed.descriptors.some((l) => l.digest === d.digest));
  if (missing.length && listed.source === 'tag-schema') {
    // The target has no referrers API: the tag schema's index is how clients find the copies there.
    const index = { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [...listed.descriptors, ...missing].map(referrerDescriptor) };
    await client.putManifest(item.target, item.digest.replace(':', '-'), Buffer.from(JSON.stringify(index)), MediaType.ociIndex, signal);
  }
  return copied;
}

function referrerDescriptor(d: Descriptor): Descriptor {
  return Object.fromEntries(Object.entries(d).filter(([, value]) => value !== undefined)) as Descriptor;
}

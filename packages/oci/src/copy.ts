import { OciError, OciErrorCode } from './errors.ts';
import type { FetchedManifest, RegistryClient, RepositoryLocation } from './oci-client.ts';
import type { Descriptor } from './oci-index.ts';
import { sameRegistry } from './registry-host.ts';

/** An index may name indexes; deeper nesting than this is not an artifact or image anyone publishes. */
const MAX_DEPTH = 3;

export interface CopyOptions {
  /** Tags to point at the copied root, besides its digest. */
  tags?: readonly string[] | undefined;
  signal?: AbortSignal | undefined;
  /** Called as each blob is settled: found in the target, mounted, or uploaded. */
  onBlob?: ((digest: string, size: number, outcome: CopiedBlobOutcome) => void) | undefined;
}

export type CopiedBlobOutcome = 'present' | 'mounted' | 'uploaded';

export interface CopyReport {
  digest: string;
  mediaType: string;
  blobsPresent: number;
  blobsMounted: number;
  blobsUploaded: number;
  bytesUploaded: number;
  manifestsWritten: number;
  tagsWritten: string[];
}

/**
 * Copies a manifest or index, with every manifest and blob it names, from one repository to
 * another byte for byte, so digests and media types stay what they were. Blobs the target holds
 * are left alone, blobs on the same registry are mounted, the others stream through the blob
 * cache; manifests go up children first, the root last, then the tags.
 */
export async function copyArtifact(
  client: RegistryClient,
  source: RepositoryLocation,
  digest: string,
  target: RepositoryLocation,
  options: CopyOptions = {},
): Promise<CopyReport> {
  const { signal } = options;
  const root = await client.manifest(source, digest, undefined, signal);
  const manifests: FetchedManifest[] = [];
  const blobs = new Map<string, Descriptor>();
  await collect(client, source, root, manifests, blobs, 0, signal);
  const report: CopyReport = {
    digest,
    mediaType: root.document.mediaType,
    blobsPresent: 0,
    blobsMounted: 0,
    blobsUploaded: 0,
    bytesUploaded: 0,
    manifestsWritten: 0,
    tagsWritten: [],
  };
  const mountable = sameRegistry(source.registry, target.registry) && source.repository !== target.repository;
  await Promise.all(
    [...blobs.values()].map(async (blob) => {
      const outcome = await copyBlob(client, source, target, blob, mountable, signal);
      if (outcome === 'present') report.blobsPresent++;
      else if (outcome === 'mounted') report.blobsMounted++;
      else {
        report.blobsUploaded++;
        report.bytesUploaded += blob.size;
      }
      options.onBlob?.(blob.digest, blob.size, outcome);
    }),
  );
  // Children before the index that names them: a registry refuses an index whose manifests it lacks.
  for (const manifest of manifests) {
    if ((await client.headManifest(target, manifest.digest, signal))?.digest === manifest.digest) continue;
    await client.putManifest(target, manifest.digest, manifest.bytes, manifest.document.mediaType, signal);
    report.manifestsWritten++;
  }
  for (const tag of options.tags ?? []) {
    if ((await client.headManifest(target, tag, signal))?.digest === digest) continue;
    const written = await client.putManifest(target, tag, root.bytes, root.document.mediaType, signal);
    if (written.digest !== digest) {
      throw new OciError(
        OciErrorCode.DigestMismatch,
        `${target.registry}/${target.repository}:${tag} was stored as ${written.digest}, not ${digest}`,
        'the registry rewrote the manifest; use a registry that stores manifests byte for byte',
      );
    }
    report.tagsWritten.push(tag);
  }
  return report;
}

/** Every manifest below and including `manifest`, children first, and the blobs of all of them. */
async function collect(
  client: RegistryClient,
  source: RepositoryLocation,
  manifest: FetchedManifest,
  manifests: FetchedManifest[],
  blobs: Map<string, Descriptor>,
  depth: number,
  signal: AbortSignal | undefined,
): Promise<void> {
  if (depth > MAX_DEPTH) {
    throw new OciError(OciErrorCode.BadManifest, `${source.repository}@${manifest.digest} nests indexes more than ${MAX_DEPTH} deep`, 'check the reference');
  }
  const document = manifest.document;
  if (document.kind === 'index') {
    const children = await Promise.all(document.manifests.map((d) => client.manifest(source, d.digest, d.size, signal)));
    for (const child of children) await collect(client, source, child, manifests, blobs, depth + 1, signal);
  } else {
    for (const blob of [document.config, ...document.layers]) blobs.set(blob.digest, blob);
  }
  if (!manifests.some((m) => m.digest === manifest.digest)) manifests.push(manifest);
}

async function copyBlob(
  client: RegistryClient,
  source: RepositoryLocation,
  target: RepositoryLocation,
  blob: Descriptor,
  mountable: boolean,
  signal: AbortSignal | undefined,
): Promise<CopiedBlobOutcome> {
  if (await client.blobExists(target, blob.digest, signal)) return 'present';
  if (mountable && (await client.mountBlob(target, blob.digest, source.repository, signal))) return 'mounted';
  const fetched = await client.fetchBlob(source, blob, { signal });
  await client.putBlob(target, { path: fetched.path, size: blob.size, digest: blob.digest }, { signal });
  return 'uploaded';
}

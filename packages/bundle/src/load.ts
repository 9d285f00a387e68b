import { makeDirectory } from '@falco-airgap/core';
import { pushArtifact, type BlobReader, type PushReport, type RegistryClient } from '@falco-airgap/oci';
import { open, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { BundleOciEntry } from './bundle-manifest.ts';
import { BundlePath } from './bundle-paths.ts';
import { ioError } from './errors.ts';
import type { BundleEventHandler } from './events.ts';
import { bundleBlobPath, walkLayout } from './layout-check.ts';
import type { VerifiedBundle } from './verify.ts';

/** Where a bundle's images and artifacts go: a registry host[:port] and an optional path every repository sits under. */
export interface PushTarget {
  registry: string;
  /** e.g. `falco` puts the images at `<registry>/falco/falco`, the plugins at `<registry>/falco/falcosecurity/plugins/plugin/<name>`. */
  path?: string | undefined;
}

export interface PushedEntry {
  name: string;
  kind: 'image' | 'plugin' | 'rulesfile';
  /** Registry host[:port]. */
  registry: string;
  /** Repository on that registry, the target path included. */
  repository: string;
  digest: string;
  tags: string[];
  report: PushReport;
}

export interface PushBundleResult {
  images: PushedEntry[];
  artifacts: PushedEntry[];
  blobs: { uploaded: number; mounted: number; present: number };
  manifestsWritten: number;
  tagsWritten: number;
}

export interface PushBundleOptions {
  signal?: AbortSignal | undefined;
  onEvent?: BundleEventHandler | undefined;
}

/**
 * Pushes every artifact and image of a verified bundle to the target registry exactly as the bundle
 * holds them (digests unchanged): blobs the repository already has are not sent (a HEAD first), so a
 * push that was interrupted continues where it stopped. Blobs are read from the bundle in chunks.
 */
export async function pushBundle(
  bundle: VerifiedBundle,
  client: RegistryClient,
  target: PushTarget,
  options: PushBundleOptions = {},
): Promise<PushBundleResult> {
  const result: PushBundleResult = { images: [], artifacts: [], blobs: { uploaded: 0, mounted: 0, present: 0 }, manifestsWritten: 0, tagsWritten: 0 };
  const { manifest } = bundle;
  const repositoryOf = (entry: BundleOciEntry) => (target.path ? `${target.path}/${entry.repository}` : entry.repository);
  let firstImage: string | undefined;
  const push = async (entry: BundleOciEntry, kind: PushedEntry['kind']): Promise<PushedEntry> => {
    const repository = repositoryOf(entry);
    options.onEvent?.({ type: 'push', name: entry.name, repository, status: 'running' });
    const { nodes, blobs } = await walkLayout(bundle, { digest: entry.digest, size: entry.size, mediaType: entry.mediaType });
    const root = nodes.at(-1)!;
    const report = await pushArtifact(
      client,
      { registry: target.registry, repository },
      {
        root: { descriptor: { mediaType: entry.mediaType, digest: entry.digest }, bytes: root.bytes },
        manifests: nodes
          .slice(0, -1)
          .map((node) => ({ descriptor: { mediaType: node.document.mediaType, digest: node.descriptor.digest }, bytes: node.bytes })),
        blobs: blobs.map((blob) => ({ descriptor: { digest: blob.digest }, bytes: blobReader(bundle, blob.digest, options.onEvent) })),
      },
      entry.tags,
      // The images share their base layers: the registry links them from the first instead of receiving them again.
      { signal: options.signal, mountFrom: kind === 'image' ? firstImage : undefined },
    );
    if (kind === 'image') firstImage ??= repository;
    result.blobs.uploaded += report.blobsUploaded;
    result.blobs.mounted += report.blobsMounted;
    result.blobs.present += blobs.length - report.blobsUploaded - report.blobsMounted;
    result.manifestsWritten += report.manifestsWritten;
    result.tagsWritten += report.tagsWritten.length;
    options.onEvent?.({ type: 'push', name: entry.name, repository, status: 'done', report });
    return { name: entry.name, kind, registry: target.registry, repository, digest: entry.digest, tags: entry.tags, report };
  };
  for (const artifact of manifest.artifacts) result.artifacts.push(await push(artifact, artifact.kind));
  for (const image of manifest.images) result.images.push(await push(image, 'image'));
  return result;
}

/**
 * A blob read from the bundle into one buffer it keeps for its upload: the client sends a piece before it
 * reads the next, so a gigabyte goes up with a few buffers alive and none thrown away.
 */
function blobReader(bundle: VerifiedBundle, digest: string, onEvent: BundleEventHandler | undefined): BlobReader {
  const file = bundle.file(bundleBlobPath(digest));
  let buffer: Buffer | undefined;
  return {
    digest,
    size: file.size,
    read: async (offset, length) => {
      if (!buffer || buffer.length < length) buffer = Buffer.allocUnsafe(length);
      await file.readInto(buffer, offset, length);
      onEvent?.({ type: 'transfer', direction: 'upload', bytes: length });
      return buffer.subarray(0, length);
    },
  };
}

/** Writes verified files of the bundle to disk (e.g. the lock and the plugins for a publish), streamed in chunks. */
export async function exportBundleFiles(bundle: VerifiedBundle, files: readonly { path: string; to: string }[], signal?: AbortSignal): Promise<void> {
  const chunk = 8 * 1024 * 1024;
  for (const { path, to } of files) {
    signal?.throwIfAborted();
    const file = bundle.file(path);
    await makeDirectory(dirname(to));
    const handle = await open(`${to}.partial`, 'w', file.path.startsWith(`${BundlePath.executables}/`) ? 0o755 : 0o644).catch((cause: unknown) => {
      throw ioError(`cannot write ${to}`, cause);
    });
    try {
      for (let offset = 0; offset < file.size; offset += chunk) await handle.write(await file.read(offset, Math.min(chunk, file.size - offset)));
    } finally {
      await handle.close();
    }
    await rename(`${to}.partial`, to);
  }
}

import { splitPlatform, type ImageReference, type Platform } from '@falco-airgap/core';
import {
  IMAGE_CONFIG_MEDIA_TYPES,
  IMAGE_LAYER_MEDIA_TYPES,
  type Descriptor,
  type FetchedManifest,
  type ImageManifest,
  type RegistryClient,
  type RepositoryLocation,
} from '@falco-airgap/oci';
import { readFile } from 'node:fs/promises';
import { ExtractError, ExtractErrorCode } from './errors.ts';
import type { BlobProgress } from './events.ts';
import { selectPlatform } from './select-platform.ts';
import type { TransferStats } from './staged.ts';
import { count } from './artifact-source.ts';

/** One file wanted from an image for one platform. */
export interface ImageFileRequest {
  reference: ImageReference;
  display: string;
  /** Absolute path inside the image. */
  path: string;
  platform: Platform;
  /** An empty directory to put the file in (and the filesystem, when keepSource). */
  stagingDir: string;
  keepSource: boolean;
  progress: BlobProgress;
  signal?: AbortSignal | undefined;
}

/** The file, staged, with what identifies where it came from. */
export interface StagedImageFile {
  resolvedDigest: string;
  manifestDigest: string;
  layerDigest: string | undefined;
  stagedFile: string;
  sha256: string;
  size: number;
  /** The image's whole filesystem, staged, when keepSource was asked for. */
  filesystemDir?: string | undefined;
}

/** Takes one file out of a container image: from the registry directly, or through a Docker engine. */
export interface ImageSource {
  readonly via: 'direct' | 'docker';
  stageFile(request: ImageFileRequest): Promise<StagedImageFile>;
}

const MAX_IMAGE_CONFIG_BYTES = 8 * 1024 * 1024;

/** Resolves an image to the platform's manifest (via the index, or a single manifest whose config matches). */
export async function resolveImagePlatform(
  client: RegistryClient,
  reference: ImageReference,
  platform: Platform,
  display: string,
  stats: TransferStats,
  signal?: AbortSignal,
): Promise<{ root: FetchedManifest; manifest: FetchedManifest & { document: ImageManifest }; config: Record<string, unknown> }> {
  const location = { registry: reference.registry, repository: reference.repository };
  const root = await client.resolve(reference, signal);
  const manifest = root.document.kind === 'index' ? await platformManifest(client, location, root.document.manifests, platform, display, signal) : root;
  if (manifest.document.kind !== 'manifest')
    throw new ExtractError(ExtractErrorCode.BadManifest, `${display} ${platform} points at a nested index`, 'check the image reference');
  const document = manifest.document;
  if (!IMAGE_CONFIG_MEDIA_TYPES.includes(document.config.mediaType)) {
    throw new ExtractError(
      ExtractErrorCode.WrongMediaType,
      `${display} has config media type ${document.config.mediaType}, which is not a container image`,
      'use from.artifact for falcoctl artifacts; from.image is for container images',
    );
  }
  for (const layer of document.layers) {
    if (!IMAGE_LAYER_MEDIA_TYPES.includes(layer.mediaType)) {
      throw new ExtractError(
        ExtractErrorCode.WrongMediaType,
        `${display} has a layer of media type ${layer.mediaType}`,
        'extract reads tar and tar+gzip layers; use `via` docker for other formats',
      );
    }
  }
  if (document.config.size > MAX_IMAGE_CONFIG_BYTES)
    throw new ExtractError(ExtractErrorCode.BadManifest, `the image config of ${display} is ${document.config.size} bytes`, 'check the image reference');
  const fetched = await client.fetchBlob(location, document.config, { signal });
  count(stats, fetched.downloaded);
  let config: Record<string, unknown>;
  try {
    config = JSON.parse(await readFile(fetched.path, 'utf8')) as Record<string, unknown>;
  } catch (cause) {
    throw new ExtractError(ExtractErrorCode.BadManifest, `the image config of ${display} is not JSON`, 'check the image reference', cause);
  }
  const { os, architecture } = splitPlatform(platform);
  if (config.os !== os || config.architecture !== architecture) {
    throw new ExtractError(
      ExtractErrorCode.PlatformMissing,
      `${display} is ${String(config.os)}/${String(config.architecture)}, not ${platform}`,
      `drop ${platform} from platforms, or use a multi-platform image`,
    );
  }
  return { root, manifest: manifest as FetchedManifest & { document: ImageManifest }, config };
}

async function platformManifest(
  client: RegistryClient,
  location: RepositoryLocation,
  manifests: Descriptor[],
  platform: Platform,
  display: string,
  signal?: AbortSignal,
): Promise<FetchedManifest> {
  const descriptor = selectPlatform({ kind: 'index', mediaType: '', manifests }, platform, display);
  return client.manifest(location, descriptor.digest, descriptor.size, signal);
}

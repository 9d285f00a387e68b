import { platformDirectory, type ImageReference, type Platform } from '@falco-airgap/core';
import { MediaType, type Descriptor, type ImageManifest, type RegistryClient, type RepositoryLocation } from '@falco-airgap/oci';
import { readFile } from 'node:fs/promises';
import { ExtractError, ExtractErrorCode } from './errors.ts';
import type { BlobProgress } from './events.ts';
import { establishApiVersion } from './api-version.ts';
import { checkConfigIdentity, parseFalcoArtifactConfig, statedPluginApiVersion, type FalcoArtifactConfig } from './falco-config.ts';
import { inflatedEstimate, inflateInMemory } from './archive.ts';
import { unpackArtifactLayer, type UnpackedFile } from './layer-unpack.ts';
import { FALCO_ARTIFACT_TYPES, type FalcoArtifactKind } from './media-types.ts';
import type { OutputDirectory } from './output-dir.ts';
import { selectPlatform } from './select-platform.ts';
import { checkPluginFile } from './plugin-check.ts';
import type { StagedPluginFile, StagedRulesfile, TransferStats } from './staged.ts';
import type { ArchiveLimits } from './tar-safety.ts';

const MAX_CONFIG_BYTES = 1024 * 1024;

/** What artifact staging needs from the run. */
export interface ArtifactContext {
  client: RegistryClient;
  output: OutputDirectory;
  limits: ArchiveLimits;
  stats: TransferStats;
  /** Also stage each unpacked layer for source/ (as hard links to the staged files, not copies). */
  keepSource: boolean;
  /** Bytes that layers being unpacked from memory may still take; a layer that does not fit is unpacked as a stream. */
  memory: { free: number };
  signal?: AbortSignal | undefined;
}

/** What all layers of one run may hold in memory at once (16 plugins of 16 MB, say). */
export const IN_MEMORY_BUDGET_BYTES = 256 * 1024 * 1024;

export interface ArtifactRequest {
  name: string;
  version: string;
  reference: ImageReference;
  /** Shown in messages, e.g. ghcr.io/falcosecurity/plugins/plugin/k8saudit:0.18.0. */
  display: string;
}

/** What else can say which plugin API a plugin requires, when its config does not. */
export interface ApiVersionContext {
  /** The manifest entry's requiredApiVersion. */
  manifestStatement: string | undefined;
  falcoVersion: string;
}

/** An artifact resolved down to its config: everything known before its layer is fetched. */
export interface PlannedArtifact {
  location: RepositoryLocation;
  /** Digest the reference resolved to (the index of a multi-platform plugin). */
  resolvedDigest: string;
  manifestDigest: string;
  config: FalcoArtifactConfig;
  layer: Descriptor;
  /** Names the artifact (and platform) in messages. */
  what: string;
  /** A plugin config's plugin_api_version requirement (null when it states none); undefined for rulesfiles. */
  pluginApiRequirement?: string | null | undefined;
}

/**
 * A falcoctl plugin artifact for one platform, up to its config: index -> platform manifest ->
 * config (name, version, requirements, dependencies). The layer is fetched later, by stagePluginArtifact.
 */
export async function planPluginArtifact(ctx: ArtifactContext, request: ArtifactRequest, platform: Platform, progress: BlobProgress): Promise<PlannedArtifact> {
  const location = { registry: request.reference.registry, repository: request.reference.repository };
  const root = await ctx.client.resolve(request.reference, ctx.signal);
  let manifestDescriptor: { digest: string; size: number | undefined };
  if (root.document.kind === 'index') {
    manifestDescriptor = selectPlatform(root.document, platform, request.display);
  } else {
    // A single-platform artifact: the ELF check tells whether it fits this platform.
    manifestDescriptor = { digest: root.digest, size: root.size };
  }
  const manifest =
    manifestDescriptor.digest === root.digest ? root : await ctx.client.manifest(location, manifestDescriptor.digest, manifestDescriptor.size, ctx.signal);
  if (manifest.document.kind !== 'manifest') {
    throw new ExtractError(
      ExtractErrorCode.WrongMediaType,
      `${request.display} ${platform} points at a nested index`,
      'a plugin index must point at image manifests; check the reference',
    );
  }
  const what = `${request.display} (${platform})`;
  const { config, layer } = await readArtifactManifest(ctx, location, manifest.document, 'plugin', what, progress);
  checkConfigIdentity(config, request, `the config of ${what}`);
  const pluginApiRequirement = statedPluginApiVersion(config, `the config of ${what}`);
  return { location, resolvedDigest: root.digest, manifestDigest: manifest.digest, config, layer, what, pluginApiRequirement };
}

/** The planned plugin's layer: fetched, unpacked, lib<name>.so checked as an ELF plugin of the platform. */
export async function stagePluginArtifact(
  ctx: ArtifactContext,
  request: ArtifactRequest,
  planned: PlannedArtifact,
  platform: Platform,
  progress: BlobProgress,
  apiContext: ApiVersionContext,
): Promise<StagedPluginFile> {
  const { what } = planned;
  const stagedDir = await ctx.output.stagingDirectory(`${request.name}-${platformDirectory(platform)}`);
  const library = `lib${request.name}.so`;
  const files = await unpackLayer(ctx, planned, stagedDir, progress, (path) => path === library);
  const file = files.find((f) => f.path === library);
  if (!file) {
    throw new ExtractError(
      ExtractErrorCode.UnexpectedLayerContent,
      `the layer of ${what} holds ${files.map((f) => f.path).join(', ') || 'no files'}, not ${library}`,
      'a plugin layer must hold lib<name>.so at its root; check the name in the manifest',
    );
  }
  const facts = checkPluginFile(file.bytes ?? (await readFile(file.stagedPath)), platform, `${library} from ${what}`);
  const apiVersion = establishApiVersion({
    what: `${library} from ${what}`,
    configRequirement: planned.pluginApiRequirement ?? null,
    library: facts.apiVersion,
    ...apiContext,
  });
  return {
    platform,
    resolvedDigest: planned.resolvedDigest,
    manifestDigest: planned.manifestDigest,
    layerDigest: planned.layer.digest,
    stagedFile: file.stagedPath,
    sha256: file.sha256,
    size: file.size,
    elfMachine: facts.elfMachine,
    pluginApiVersion: apiVersion.version,
    pluginApiVersionSource: apiVersion.source,
    warnings: apiVersion.warnings,
    source: ctx.keepSource
      ? {
          stagedDir: await ctx.output.stageLinks(files, `${request.name}-source`),
          relativeDir: `source/${request.name}-${request.version}/${platformDirectory(platform)}`,
          files,
        }
      : undefined,
  };
}

/** A falcoctl rulesfile artifact up to its config: one manifest (never an index), config name/version checked. */
export async function planRulesfileArtifact(ctx: ArtifactContext, request: ArtifactRequest, progress: BlobProgress): Promise<PlannedArtifact> {
  const location = { registry: request.reference.registry, repository: request.reference.repository };
  const root = await ctx.client.resolve(request.reference, ctx.signal);
  if (root.document.kind !== 'manifest') {
    throw new ExtractError(
      ExtractErrorCode.WrongMediaType,
      `${request.display} is an image index, not a rulesfile artifact`,
      'rulesfile artifacts are a single manifest; check the reference',
    );
  }
  const { config, layer } = await readArtifactManifest(ctx, location, root.document, 'rulesfile', request.display, progress);
  checkConfigIdentity(config, request, `the config of ${request.display}`);
  return { location, resolvedDigest: root.digest, manifestDigest: root.digest, config, layer, what: request.display };
}

/** The planned rulesfile's layer: fetched and unpacked, its files staged. */
export async function stageRulesfileArtifact(
  ctx: ArtifactContext,
  request: ArtifactRequest,
  planned: PlannedArtifact,
  progress: BlobProgress,
): Promise<StagedRulesfile> {
  const stagedDir = await ctx.output.stagingDirectory(request.name);
  const files = await unpackLayer(ctx, planned, stagedDir, progress);
  if (files.length === 0)
    throw new ExtractError(ExtractErrorCode.UnexpectedLayerContent, `the layer of ${request.display} holds no files`, 'check the reference');
  return {
    resolvedDigest: planned.resolvedDigest,
    manifestDigest: planned.manifestDigest,
    layerDigest: planned.layer.digest,
    files: files.map((f) => ({ file: f.path.split('/').pop()!, relativePath: f.path, stagedFile: f.stagedPath, sha256: f.sha256, size: f.size })),
    source: ctx.keepSource
      ? { stagedDir: await ctx.output.stageLinks(files, `${request.name}-source`), relativeDir: `source/${request.name}-${request.version}`, files }
      : undefined,
  };
}

/** The official layout, checked: config and layer media types of the kind, exactly one layer. */
async function readArtifactManifest(
  ctx: ArtifactContext,
  location: RepositoryLocation,
  manifest: ImageManifest,
  kind: FalcoArtifactKind,
  what: string,
  progress: BlobProgress,
): Promise<{ config: FalcoArtifactConfig; layer: Descriptor }> {
  const types = FALCO_ARTIFACT_TYPES[kind];
  if (manifest.mediaType !== MediaType.ociManifest) {
    throw new ExtractError(
      ExtractErrorCode.WrongMediaType,
      `${what} is a ${manifest.mediaType}, not an OCI image manifest`,
      `falcoctl publishes ${kind}s as OCI manifests; check the reference`,
    );
  }
  if (manifest.config.mediaType !== types.config) {
    throw new ExtractError(
      ExtractErrorCode.WrongMediaType,
      `${what} has config media type ${manifest.config.mediaType}, expected ${types.config}`,
      `this is not a Falco ${kind} artifact; check the reference and whether the entry belongs under ${kind === 'plugin' ? 'plugins' : 'rulesfiles'}`,
    );
  }
  if (manifest.layers.length !== 1) {
    throw new ExtractError(
      ExtractErrorCode.BadManifest,
      `${what} has ${manifest.layers.length} layers; a Falco ${kind} artifact has exactly one`,
      'check the reference',
    );
  }
  const layer = manifest.layers[0]!;
  if (layer.mediaType !== types.layer) {
    throw new ExtractError(
      ExtractErrorCode.WrongMediaType,
      `${what} has layer media type ${layer.mediaType}, expected ${types.layer}`,
      `this is not a Falco ${kind} artifact; check the reference`,
    );
  }
  if (manifest.config.size > MAX_CONFIG_BYTES) {
    throw new ExtractError(
      ExtractErrorCode.BadArtifactConfig,
      `the config of ${what} is ${manifest.config.size} bytes`,
      'an artifact config is a few hundred bytes; check the reference',
    );
  }
  const fetched = await ctx.client.fetchBlobBytes(location, manifest.config, {
    signal: ctx.signal,
    ...progress.blob(manifest.config.digest, manifest.config.size),
  });
  count(ctx.stats, fetched.downloaded);
  return { config: parseFalcoArtifactConfig(fetched.bytes, `the config of ${what}`), layer };
}

/** Layers up to this size, compressed and inflated alike, are unpacked from memory once downloaded; larger ones as they arrive. */
const IN_MEMORY_BYTES = 64 * 1024 * 1024;

/**
 * The layer unpacked as it downloads. A plugin layer is inflated in memory while it downloads and
 * unpacked once the download ended, which is when its digest matched; a larger one, or one that
 * does not fit in the run's memory budget, is unpacked in one pass (download, digest, inflate,
 * unpack and hash), its staged files trusted only once the download ended.
 */
async function unpackLayer(
  ctx: ArtifactContext,
  planned: PlannedArtifact,
  stagedDir: string,
  progress: BlobProgress,
  keep?: (path: string) => boolean,
): Promise<UnpackedFile[]> {
  const { location, layer } = planned;
  const what = `the layer of ${planned.what}`;
  const inMemory = Math.min(IN_MEMORY_BYTES, ctx.limits.maxBytes);
  const reserved = inflatedEstimate(layer.size, inMemory);
  if (layer.size <= IN_MEMORY_BYTES && reserved <= ctx.memory.free) {
    ctx.memory.free -= reserved;
    try {
      const opened = await ctx.client.openBlob(location, layer, { signal: ctx.signal, ...progress.blob(layer.digest, layer.size) });
      count(ctx.stats, opened.downloaded);
      const tar = await inflateInMemory(opened.readable, inMemory, what, layer.size);
      if (tar) return await unpackArtifactLayer(tar, stagedDir, what, ctx.limits, ctx.signal, keep);
      // It inflates to more than memory should hold: the verified copy the download left in the cache is unpacked as a stream.
      const cached = await ctx.client.fetchBlob(location, layer, { signal: ctx.signal });
      return await unpackArtifactLayer(cached.path, stagedDir, what, ctx.limits, ctx.signal, keep);
    } finally {
      ctx.memory.free += reserved;
    }
  }
  const opened = await ctx.client.openBlob(location, layer, { signal: ctx.signal, ...progress.blob(layer.digest, layer.size) });
  count(ctx.stats, opened.downloaded);
  let downloadFailure: unknown;
  opened.readable.once('error', (error) => (downloadFailure = error));
  try {
    return await unpackArtifactLayer(opened.readable, stagedDir, what, ctx.limits, ctx.signal, keep);
  } catch (error) {
    if (downloadFailure !== undefined) throw downloadFailure;
    if (!opened.downloaded || ctx.signal?.aborted) throw error;
    // Unpacking stopped before the digest was checked: bytes altered on the way must be named as such, not as a bad archive.
    await ctx.client.fetchBlob(location, layer, { signal: ctx.signal });
    throw error;
  }
}

export function count(stats: TransferStats, downloaded: boolean): void {
  if (downloaded) stats.blobsDownloaded++;
  else stats.blobsFromCache++;
}

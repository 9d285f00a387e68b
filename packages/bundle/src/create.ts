import { mapConcurrently, parseReference, type ImageReference, makeDirectory } from '@falco-airgap/core';
import { loadLock } from '@falco-airgap/manifest';
import type { PluginsLock } from '@falco-airgap/manifest';
import {
  createRegistryClient,
  ImageLayout,
  imageLayoutIndex,
  imageLayoutMarker,
  REF_NAME_ANNOTATION,
  type Descriptor,
  type FetchedManifest,
  type RegistryClient,
  type RegistryClientSetup,
} from '@falco-airgap/oci';
import type { KeyObject } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { partName, PartsWriter } from './archive-parts.ts';
import { writeArchive, type ArchiveInput } from './archive-writer.ts';
import {
  BUNDLE_API_VERSION,
  BUNDLE_KIND,
  bundleDigest,
  serializeBundleManifest,
  type BundleArtifact,
  type BundleFileEntry,
  type BundleImage,
  type BundleManifest,
  type BundleOciEntry,
} from './bundle-manifest.ts';
import { BundlePath, comparePaths } from './bundle-paths.ts';
import { packageChart } from './chart-archive.ts';
import { BundleError, BundleErrorCode, ioError } from './errors.ts';
import type { BundleEventHandler } from './events.ts';
import { copyHashed, exists, hashFile, pruneFiles, type HashedFile } from './files.ts';
import { bundleBlobPath, documentPlatforms } from './layout-check.ts';
import { algorithmOf, keyIdOf, signBytes, type SigningAlgorithm } from './signing.ts';

/** An image of the bundle: where it is pulled from and the repository it is pushed to on the isolated side. */
export interface BundleImageSource {
  name: string;
  /** Repository path under the private registry, e.g. `falco`. */
  repository: string;
  /** Tag or digest reference to pull, e.g. `localhost:5000/falco:0.44.1`. */
  reference: string;
}

export interface CreateBundleInput {
  /** A directory to create, or a file ending in `.tar` (split into `.000`, `.001`, ... with `splitSize`). */
  out: string;
  /** Bytes per part of an archive; the last part holds the rest. */
  splitSize?: number | undefined;
  /** Recorded in the manifest and as every archive entry's mtime: pin it for the same bytes from the same inputs. */
  createdAt: Date;
  creator: string;
  environment?: string | undefined;
  falcoAirgapVersion: string;
  /** The Falco version of the images; the lock's by default. */
  falcoVersion?: string | undefined;
  lockFile: string;
  /** The extracted files the lock names (extracted/ next to the lock, as extract writes it). */
  extractedDir: string;
  images: readonly BundleImageSource[];
  chart?: { dir: string; valuesFiles: readonly string[] } | undefined;
  executables: { falcoS3Loader?: string | undefined; falcoAirgap?: string | undefined };
  /** Sign bundle.json with this private key (ECDSA P-256 or Ed25519). */
  signingKey?: KeyObject | undefined;
}

export interface CreateBundleDeps {
  /** How the source registries are reached; blobs are written straight into the bundle, so no cache is used. */
  registry: Omit<RegistryClientSetup, 'cacheDir'>;
  signal?: AbortSignal | undefined;
  onEvent?: BundleEventHandler | undefined;
}

export interface CreatedBundle {
  out: string;
  format: 'directory' | 'archive';
  /** The archive's parts (the archive alone when not split); the directory for a directory bundle. */
  parts: string[];
  /** sha256 of bundle.json. */
  digest: string;
  /** sha256 of the archive's bytes (all parts joined). */
  archiveDigest?: string | undefined;
  manifest: BundleManifest;
  /** Bytes of every file of the bundle. */
  size: number;
  signature?: { algorithm: SigningAlgorithm; keyId: string } | undefined;
}

/** What the bundle pulls: an image, or a plugin/rules artifact of the lock. */
interface PullTarget {
  name: string;
  repository: string;
  source: string;
  reference: ImageReference;
  tags: string[];
  artifact?: { kind: 'plugin' | 'rulesfile'; version: string } | undefined;
}

interface PulledEntry {
  target: PullTarget;
  root: FetchedManifest;
  platforms: string[];
  /** Digests of every manifest and blob under the root. */
  content: Map<string, number>;
}

/**
 * Creates a bundle: pulls every artifact of the lock and every image into one OCI layout (blobs
 * streamed straight to disk, verified on the way), adds the lock and its files, the packaged chart
 * with the values, and the executables, writes bundle.json (and its signature), then the directory
 * or archive. Work is staged in `<out>.partial`, which a later run with the same inputs reuses.
 */
export async function createBundle(input: CreateBundleInput, deps: CreateBundleDeps): Promise<CreatedBundle> {
  const format = input.out.endsWith('.tar') ? 'archive' : 'directory';
  if (format === 'directory' && input.splitSize !== undefined) {
    throw new BundleError(BundleErrorCode.BadOption, 'only an archive can be split', 'name the output `<name>.tar` to split it, or leave out `splitSize`');
  }
  for (const path of [input.out, partName(input.out, 0)]) {
    if (await exists(path)) throw new BundleError(BundleErrorCode.OutputExists, `${path} already exists`, 'remove it, or choose another `out`');
  }
  const staging = `${input.out}.partial`;
  const layoutDir = join(staging, BundlePath.layout);
  await makeDirectory(layoutDir).catch((cause: unknown) => {
    throw ioError(`cannot create ${staging}`, cause);
  });
  const mtime = Math.floor(input.createdAt.getTime() / 1000);
  const lock = await loadLock(input.lockFile, input.lockFile);
  const targets = [...artifactTargets(lock), ...input.images.map(imageTarget)];

  const client = await createRegistryClient({ ...deps.registry, cacheDir: layoutDir });
  let pulled: PulledEntry[];
  try {
    pulled = await mapConcurrently(targets, 4, (target) => pull(client, target, deps));
  } finally {
    await client.close();
  }
  await rm(join(layoutDir, 'ingest'), { recursive: true, force: true });

  const files: (BundleFileEntry & { source?: string | undefined })[] = [];
  const copy = format === 'directory';
  const add = async (path: string, source: string, executable = false) => {
    const hashed: HashedFile = copy
      ? await copyHashed(source, join(staging, path), executable ? 0o755 : 0o644, deps.signal)
      : await hashFile(source, deps.signal);
    files.push({ path, ...hashed, executable: executable || undefined, source: copy ? undefined : source });
    return hashed;
  };
  const generated = async (path: string, bytes: Buffer) => {
    const file = join(staging, path);
    await makeDirectory(join(file, '..'));
    await writeFile(file, bytes, { mode: 0o644 });
    files.push({ path, ...(await hashFile(file)), source: copy ? undefined : file });
  };

  // The layout: marker, index, and every manifest and blob once, whatever shares it.
  const content = new Map<string, number>();
  for (const entry of pulled) for (const [digest, size] of entry.content) content.set(digest, size);
  for (const [digest, size] of content) {
    const path = bundleBlobPath(digest);
    files.push({ path, size, sha256: digest.slice('sha256:'.length), source: copy ? undefined : join(staging, path) });
  }
  await generated(`${BundlePath.layout}/${ImageLayout.marker}`, imageLayoutMarker());
  await generated(`${BundlePath.layout}/${ImageLayout.index}`, imageLayoutIndex(pulled.flatMap(layoutEntries)));

  await add(BundlePath.lock, input.lockFile);
  for (const file of lockedFiles(lock)) {
    const hashed = await add(`${BundlePath.extracted}/${file.path}`, join(input.extractedDir, file.path));
    if (hashed.sha256 !== file.sha256 || hashed.size !== file.size) {
      throw new BundleError(
        BundleErrorCode.SourceChanged,
        `${join(input.extractedDir, file.path)} is not the file the lock records (sha256 ${hashed.sha256}, locked ${file.sha256})`,
        'the extracted files and the lock disagree: extract again, then create the bundle',
      );
    }
  }
  let chart: BundleManifest['chart'];
  if (input.chart) {
    const packaged = await packageChart(input.chart.dir, mtime);
    const file = `${BundlePath.chart}/${packaged.fileName}`;
    await generated(file, packaged.bytes);
    const values: string[] = [];
    for (const [i, valuesFile] of input.chart.valuesFiles.entries()) {
      const path = `${BundlePath.chartValues}/${String(i + 1).padStart(2, '0')}-${basename(valuesFile)}`;
      await add(path, valuesFile);
      values.push(path);
    }
    chart = { file, name: packaged.name, version: packaged.version, appVersion: packaged.appVersion, values };
  }
  const executables: BundleManifest['executables'] = {};
  if (input.executables.falcoS3Loader) {
    executables.falcoS3Loader = `${BundlePath.executables}/falco-s3-loader`;
    await add(executables.falcoS3Loader, input.executables.falcoS3Loader, true);
  }
  if (input.executables.falcoAirgap) {
    executables.falcoAirgap = `${BundlePath.executables}/falco-airgap`;
    await add(executables.falcoAirgap, input.executables.falcoAirgap, true);
  }
  files.sort((a, b) => comparePaths(a.path, b.path));

  const images = pulled.filter((p) => !p.target.artifact).map((p) => ociEntry(p));
  const artifacts = pulled.filter((p) => p.target.artifact).map((p): BundleArtifact => ({ ...ociEntry(p), ...p.target.artifact! }));
  const manifest: BundleManifest = {
    apiVersion: BUNDLE_API_VERSION,
    kind: BUNDLE_KIND,
    createdAt: input.createdAt.toISOString(),
    creator: input.creator,
    environment: input.environment,
    platforms: coveredPlatforms(lock, [...images, ...artifacts]),
    versions: {
      falcoAirgap: input.falcoAirgapVersion,
      falco: input.falcoVersion ?? lock.falco.version,
      chart: chart?.version,
      plugins: Object.fromEntries(lock.plugins.map((p) => [p.name, p.version])),
      rulesfiles: Object.fromEntries(lock.rulesfiles.map((r) => [r.name, r.version])),
    },
    images,
    artifacts,
    lock: BundlePath.lock,
    chart,
    executables,
    files: files.map(({ source: _source, ...entry }) => entry),
  };
  const manifestBytes = serializeBundleManifest(manifest);
  const signature = input.signingKey ? Buffer.from(signBytes(manifestBytes, input.signingKey)) : undefined;
  const signed = input.signingKey ? { algorithm: algorithmOf(input.signingKey, 'the signing key'), keyId: keyIdOf(input.signingKey) } : undefined;
  const size = files.reduce((sum, f) => sum + f.size, 0);
  const result = { out: input.out, format, digest: bundleDigest(manifestBytes), manifest, size, signature: signed } as const;

  if (format === 'directory') {
    await pruneFiles(staging, new Set(files.map((f) => f.path)));
    await writeFile(join(staging, BundlePath.manifest), manifestBytes, { mode: 0o644 });
    if (signature) await writeFile(join(staging, BundlePath.signature), signature, { mode: 0o644 });
    await rename(staging, input.out).catch((cause: unknown) => {
      throw ioError(`cannot move ${staging} to ${input.out}`, cause);
    });
    return { ...result, parts: [input.out] };
  }

  const entries: ArchiveInput[] = [
    { path: BundlePath.manifest, size: manifestBytes.length, mode: 0o644, content: manifestBytes },
    ...(signature ? [{ path: BundlePath.signature, size: signature.length, mode: 0o644, content: signature }] : []),
    ...files.map((f) => ({ path: f.path, size: f.size, mode: f.executable ? 0o755 : 0o644, content: { file: f.source! } })),
  ];
  const total = entries.reduce((sum, e) => sum + e.size, 0);
  const writer = new PartsWriter(input.out, input.splitSize);
  let archiveDigest: string;
  try {
    deps.onEvent?.({ type: 'write', status: 'running', written: 0, total });
    archiveDigest = await writeArchive(entries, writer, {
      mtime,
      signal: deps.signal,
      onProgress: (written) => deps.onEvent?.({ type: 'write', status: 'running', written, total }),
    });
  } catch (error) {
    await writer.abort();
    throw error;
  }
  const parts = await writer.commit();
  deps.onEvent?.({ type: 'write', status: 'done', written: writer.total, total, parts });
  await rm(staging, { recursive: true, force: true });
  return { ...result, parts, archiveDigest };
}

function artifactTargets(lock: PluginsLock): PullTarget[] {
  const entries = [
    ...lock.plugins.map((p) => ({ name: p.name, version: p.version, source: p.source, digest: p.resolvedDigest, kind: 'plugin' as const })),
    ...lock.rulesfiles.map((r) => ({ name: r.name, version: r.version, source: r.source, digest: r.resolvedDigest, kind: 'rulesfile' as const })),
  ];
  return entries.map((entry) => {
    const source = 'artifact' in entry.source ? entry.source.artifact : entry.source.image;
    const reference = referenceOf(source, `the lock's source of ${entry.name}`);
    return {
      name: entry.name,
      repository: pushRepository(reference),
      source,
      reference: { ...reference, digest: entry.digest },
      tags: reference.tag ? [reference.tag] : [],
      artifact: { kind: entry.kind, version: entry.version },
    };
  });
}

function imageTarget(image: BundleImageSource): PullTarget {
  const reference = referenceOf(image.reference, `image ${image.name}`);
  return { name: image.name, repository: image.repository, source: image.reference, reference, tags: reference.tag ? [reference.tag] : [] };
}

function referenceOf(text: string, what: string): ImageReference {
  const parsed = parseReference(text);
  if (!parsed.ok)
    throw new BundleError(BundleErrorCode.BadOption, `${what} "${text}" is not an image reference: ${parsed.detail}`, 'give registry/repository:tag');
  return parsed.reference;
}

/** The repository an artifact keeps on the private registry: its path on the source registry (Docker Hub's official images under `library/`). */
function pushRepository(reference: ImageReference): string {
  return reference.registry === 'docker.io' && !reference.repository.includes('/') ? `library/${reference.repository}` : reference.repository;
}

/** Pulls a root and everything under it into the layout (the client's cache is the layout). */
async function pull(client: RegistryClient, target: PullTarget, deps: CreateBundleDeps): Promise<PulledEntry> {
  deps.onEvent?.({ type: 'pull', name: target.name, reference: target.source, status: 'running' });
  const location = { registry: target.reference.registry, repository: target.reference.repository };
  const root = await client.resolve(target.reference, deps.signal);
  const content = new Map<string, number>([[root.digest, root.size]]);
  let bytes = root.size;
  const fetchManifest = async (document: FetchedManifest['document']): Promise<void> => {
    if (document.kind === 'index') {
      for (const child of document.manifests) {
        const fetched = await client.manifest(location, child.digest, child.size, deps.signal);
        content.set(child.digest, child.size);
        bytes += child.size;
        await fetchManifest(fetched.document);
      }
      return;
    }
    await Promise.all(
      [document.config, ...document.layers].map(async (blob: Descriptor) => {
        if (content.has(blob.digest)) return;
        content.set(blob.digest, blob.size);
        bytes += blob.size;
        let loaded = 0;
        await client.fetchBlob(location, blob, {
          signal: deps.signal,
          onProgress: (received) => {
            deps.onEvent?.({ type: 'transfer', direction: 'download', bytes: received - loaded });
            loaded = received;
          },
        });
      }),
    );
  };
  await fetchManifest(root.document);
  const platforms = await documentPlatforms(root.document, async (config) => client.readBlob(location, config, { signal: deps.signal }));
  deps.onEvent?.({ type: 'pull', name: target.name, reference: target.source, status: 'done', digest: root.digest, blobs: content.size, bytes });
  return { target, root, platforms, content };
}

function ociEntry(pulled: PulledEntry): BundleImage {
  return {
    name: pulled.target.name,
    repository: pulled.target.repository,
    source: pulled.target.source,
    tags: pulled.target.tags,
    digest: pulled.root.digest,
    mediaType: pulled.root.document.mediaType,
    size: pulled.root.size,
    platforms: pulled.platforms,
  };
}

/** index.json entries: one per tag (or one by digest), named `<repository>:<tag>` as `skopeo copy oci:<dir>:<name>` reads them. */
function layoutEntries(pulled: PulledEntry): Descriptor[] {
  const names = pulled.target.tags.length
    ? pulled.target.tags.map((tag) => `${pulled.target.repository}:${tag}`)
    : [`${pulled.target.repository}@${pulled.root.digest}`];
  return names.map((name) => ({
    mediaType: pulled.root.document.mediaType,
    digest: pulled.root.digest,
    size: pulled.root.size,
    annotations: { [REF_NAME_ANNOTATION]: name },
  }));
}

function lockedFiles(lock: PluginsLock): { path: string; sha256: string; size: number }[] {
  const files = [...lock.plugins.flatMap((p) => p.platforms), ...lock.rulesfiles.flatMap((r) => r.files)].map((f) => ({
    path: f.path,
    sha256: f.sha256,
    size: f.size,
  }));
  const unique = new Map(files.map((f) => [f.path, f]));
  return [...unique.values()].sort((a, b) => comparePaths(a.path, b.path));
}

/** The platforms every plugin of the lock and every image and artifact of a platform covers. */
function coveredPlatforms(lock: PluginsLock, entries: readonly BundleOciEntry[]): string[] {
  let covered: string[] | undefined;
  const narrow = (platforms: readonly string[]) => {
    covered = covered ? covered.filter((p) => platforms.includes(p)) : [...platforms];
  };
  for (const plugin of lock.plugins) narrow(plugin.platforms.map((p) => p.platform));
  for (const entry of entries) if (entry.platforms.length) narrow(entry.platforms);
  return [...(covered ?? [])].sort();
}

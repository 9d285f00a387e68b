import { makeDirectory } from '@falco-airgap/core';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { symlink, copyFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { RegistryClient } from '@falco-airgap/oci';
import { readArchive } from './archive.ts';
import { ExtractError, ExtractErrorCode } from './errors.ts';
import { resolveImagePlatform, type ImageFileRequest, type ImageSource, type StagedImageFile } from './image-source.ts';
import { LayerTree, type LayerEntry } from './layer-apply.ts';
import type { TransferStats } from './staged.ts';
import { ArchiveGuard, IMAGE_LAYER_POLICY, safeEntryPath, type ArchiveLimits } from './tar-safety.ts';

export interface DirectImageSourceOptions {
  client: RegistryClient;
  limits: ArchiveLimits;
  stats: TransferStats;
}

/**
 * `via` direct: no daemon. Downloads the platform's layers (cached by digest), adds up their
 * metadata with whiteouts into the final filesystem, then reads the file's bytes from the one
 * layer that provides it. Nothing but the wanted file is written unless keepSource is set.
 */
export class DirectImageSource implements ImageSource {
  readonly via = 'direct' as const;
  readonly #options: DirectImageSourceOptions;

  constructor(options: DirectImageSourceOptions) {
    this.#options = options;
  }

  async stageFile(request: ImageFileRequest): Promise<StagedImageFile> {
    const { client, stats, limits } = this.#options;
    const location = { registry: request.reference.registry, repository: request.reference.repository };
    const { root, manifest } = await resolveImagePlatform(client, request.reference, request.platform, request.display, stats, request.signal);
    const layers = manifest.document.layers;
    const files = await Promise.all(
      layers.map(async (layer) => {
        const fetched = await client.fetchBlob(location, layer, { signal: request.signal, ...request.progress.blob(layer.digest, layer.size) });
        if (fetched.downloaded) stats.blobsDownloaded++;
        else stats.blobsFromCache++;
        return fetched.path;
      }),
    );

    const tree = new LayerTree();
    for (const [index, file] of files.entries()) {
      const entries: LayerEntry[] = [];
      const guard = new ArchiveGuard(`layer ${index + 1} (${layers[index]!.digest}) of ${request.display}`, limits, IMAGE_LAYER_POLICY);
      await readArchive(
        file,
        guard,
        async (entry) => void entries.push({ path: entry.path, kind: entry.kind, linkTarget: entry.linkTarget, size: entry.size, mode: entry.mode }),
        request.signal,
      );
      tree.applyLayer(index, entries);
    }

    const wanted = safeEntryPath(request.path.replace(/^\/+/, ''), `the path ${request.path}`);
    const found = tree.resolve(wanted);
    if (!found || found.node.kind !== 'file') {
      throw new ExtractError(
        ExtractErrorCode.PathNotFound,
        `${request.display} (${request.platform}) has ${found ? `a ${found.node.kind}` : 'nothing'} at ${request.path}`,
        'check from.path in the manifest: it must name a regular file in the final image filesystem',
      );
    }
    const { node } = found;
    const stagedFile = join(request.stagingDir, 'file');
    let hashed: { sha256: string; size: number } | undefined;
    const guard = new ArchiveGuard(`layer ${node.layer + 1} of ${request.display}`, limits, IMAGE_LAYER_POLICY);
    await readArchive(
      files[node.layer]!,
      guard,
      async (entry) => {
        if (hashed || entry.path !== node.archivePath || entry.kind !== 'file') return;
        hashed = await writeHashed(entry.body, stagedFile);
      },
      request.signal,
    );
    if (!hashed)
      throw new ExtractError(
        ExtractErrorCode.TarMalformed,
        `layer ${node.layer + 1} of ${request.display} lost ${request.path} between two reads`,
        'the cache changed under us; run extract again',
      );

    let filesystemDir: string | undefined;
    if (request.keepSource) {
      filesystemDir = join(request.stagingDir, 'rootfs');
      await writeFilesystem(tree, files, filesystemDir, request, limits);
    }
    return { resolvedDigest: root.digest, manifestDigest: manifest.digest, layerDigest: layers[node.layer]!.digest, stagedFile, ...hashed, filesystemDir };
  }
}

async function writeHashed(body: NodeJS.ReadableStream, target: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      size += chunk.length;
      callback(null, chunk);
    },
  });
  await pipeline(body, tap, createWriteStream(target, { flags: 'wx', mode: 0o644 }));
  return { sha256: hash.digest('hex'), size };
}

/**
 * The whole final filesystem under `dir`: directories first, then each layer's surviving files,
 * then symlinks and hard links. Device nodes are skipped; nothing is ever written through a link.
 */
async function writeFilesystem(tree: LayerTree, layerFiles: string[], dir: string, request: ImageFileRequest, limits: ArchiveLimits): Promise<void> {
  await makeDirectory(dir);
  const owners = new Map<string, string>();
  for (const [path, node] of tree.nodes) {
    if (node.kind === 'directory') await makeDirectory(join(dir, path));
    else if (node.kind === 'file') owners.set(`${node.layer}\0${node.archivePath}`, path);
  }
  for (const [index, file] of layerFiles.entries()) {
    const guard = new ArchiveGuard(`layer ${index + 1} of ${request.display}`, limits, IMAGE_LAYER_POLICY);
    await readArchive(
      file,
      guard,
      async (entry) => {
        const path = entry.kind === 'file' ? owners.get(`${index}\0${entry.path}`) : undefined;
        if (path === undefined) return;
        await makeDirectory(dirname(join(dir, path)));
        await pipeline(entry.body, createWriteStream(join(dir, path), { flags: 'wx', mode: entry.mode & 0o755 }));
      },
      request.signal,
    );
  }
  for (const [path, node] of tree.nodes) {
    if (node.kind === 'symlink') await symlink(node.linkTarget ?? '', join(dir, path));
    else if (node.kind === 'hardlink' && node.linkTarget !== undefined && tree.nodes.get(node.linkTarget)?.kind === 'file')
      await copyFile(join(dir, node.linkTarget), join(dir, path));
  }
}

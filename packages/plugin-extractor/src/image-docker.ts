import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { posix } from 'node:path';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { EngineErrorCode, isEngineError, type ContainerEngine } from '@falco-airgap/container-engine';
import type { CredentialSource, RegistryClient } from '@falco-airgap/oci';
import { createTarExtractor } from './archive.ts';
import { ExtractError, ExtractErrorCode, isExtractError } from './errors.ts';
import { resolveImagePlatform, type ImageFileRequest, type ImageSource, type StagedImageFile } from './image-source.ts';
import type { TransferStats } from './staged.ts';
import { ArchiveGuard, ARTIFACT_POLICY, type ArchiveLimits } from './tar-safety.ts';

export interface DockerImageSourceOptions {
  /** The engine that pulls the image and hands out the file. */
  engine: ContainerEngine;
  /** Resolves tags to the platform manifest digest, so the engine pulls exactly what the lock names. */
  client: RegistryClient;
  credentials: CredentialSource;
  limits: ArchiveLimits;
  stats: TransferStats;
}

const MAX_SYMLINK_HOPS = 40;

/**
 * `--via docker`: the engine pulls the platform manifest by digest (with the user's credentials),
 * a container is created but never started, and the file is read through the archive API.
 */
export class DockerImageSource implements ImageSource {
  readonly via = 'docker' as const;
  readonly #options: DockerImageSourceOptions;

  constructor(options: DockerImageSourceOptions) {
    this.#options = options;
  }

  async stageFile(request: ImageFileRequest): Promise<StagedImageFile> {
    const { engine, client, stats } = this.#options;
    if (request.keepSource) {
      throw new ExtractError(ExtractErrorCode.OutputDir, '--keep-source is not supported with --via docker', 'use --via direct to keep the image filesystem');
    }
    const { root, manifest } = await resolveImagePlatform(client, request.reference, request.platform, request.display, stats, request.signal);
    const pinned = `${request.reference.registry}/${request.reference.repository}@${manifest.digest}`;
    await this.#pull(pinned, request);
    let containerId: string;
    try {
      containerId = await engine.createContainer(
        { image: pinned, platform: request.platform, cmd: ['falco-airgap-never-started'], entrypoint: [''] },
        { signal: request.signal },
      );
    } catch (cause) {
      throw engineError(`cannot create a container from ${pinned}`, cause);
    }
    let staged: { stagedFile: string; sha256: string; size: number };
    try {
      staged = await this.#copyOut(containerId, request);
    } catch (error) {
      // The copy's failure is what the user needs to see; a failed clean-up must not hide it.
      await engine.removeContainer(containerId, { force: true }).catch((cause: unknown) => {
        throw new AggregateError([error, cause], (error as Error).message);
      });
      throw error;
    }
    await engine.removeContainer(containerId, { force: true }).catch((cause: unknown) => {
      throw engineError(`cannot remove the temporary container ${containerId}`, cause);
    });
    // The engine does not say which layer held the file: the lock keeps the one an earlier direct run recorded.
    return { resolvedDigest: root.digest, manifestDigest: manifest.digest, layerDigest: undefined, ...staged };
  }

  async #pull(pinned: string, request: ImageFileRequest): Promise<void> {
    const { engine, credentials } = this.#options;
    const registry = request.reference.registry;
    const creds = await credentials.lookup(registry);
    const auth = creds?.username
      ? { serverAddress: registry, username: creds.username, password: creds.password }
      : creds?.identityToken
        ? { serverAddress: registry, identityToken: creds.identityToken }
        : undefined;
    try {
      await engine.pullImage(pinned, { platform: request.platform, auth, signal: request.signal });
    } catch (cause) {
      // The registry's answer (refused, unknown manifest) as the engine relayed it, apart from engine trouble.
      if (isEngineError(cause, EngineErrorCode.Unauthorized) || isEngineError(cause, EngineErrorCode.PullFailed)) {
        throw new ExtractError(
          cause.code === EngineErrorCode.Unauthorized ? ExtractErrorCode.Unauthorized : ExtractErrorCode.DockerEngine,
          cause.message,
          'check docker login for the registry and that the engine can reach it',
          cause,
        );
      }
      throw engineError(`the engine cannot pull ${pinned}`, cause);
    }
  }

  async #copyOut(containerId: string, request: ImageFileRequest): Promise<{ stagedFile: string; sha256: string; size: number }> {
    const { engine } = this.#options;
    const nothingAt = (path: string, cause?: unknown) =>
      new ExtractError(
        ExtractErrorCode.PathNotFound,
        `${request.display} (${request.platform}) has nothing at ${path}`,
        'check from.path in the manifest',
        cause,
      );
    let path = posix.normalize(request.path);
    for (let hops = 0; ; hops++) {
      let stat;
      try {
        stat = await engine.statPath(containerId, path, { signal: request.signal });
      } catch (cause) {
        throw engineError(`cannot read ${path} from the container`, cause);
      }
      if (!stat) throw nothingAt(path);
      if (stat.kind === 'symlink' && stat.linkTarget) {
        if (hops >= MAX_SYMLINK_HOPS)
          throw new ExtractError(
            ExtractErrorCode.PathNotFound,
            `too many levels of symbolic links at ${request.path} in ${request.display}`,
            'check from.path',
          );
        path = posix.resolve(posix.dirname(path), stat.linkTarget);
        continue;
      }
      let archive: Readable;
      try {
        archive = await engine.getArchive(containerId, path, { signal: request.signal });
      } catch (cause) {
        if (isEngineError(cause, EngineErrorCode.NotFound)) throw nothingAt(path, cause);
        throw engineError(`cannot read ${path} from the container`, cause);
      }
      return this.#readSingleFile(archive, request);
    }
  }

  /** The archive API answers with a tar of one entry; it is read with the same guard as artifacts. */
  async #readSingleFile(archive: Readable, request: ImageFileRequest): Promise<{ stagedFile: string; sha256: string; size: number }> {
    const guard = new ArchiveGuard(`the engine's archive of ${request.path}`, this.#options.limits, ARTIFACT_POLICY);
    const extractor = await createTarExtractor();
    const stagedFile = join(request.stagingDir, 'file');
    let result: { stagedFile: string; sha256: string; size: number } | undefined;
    const piping = pipeline(archive, extractor);
    try {
      for await (const entry of extractor) {
        const admitted = guard.admit(entry.header);
        if (admitted.kind !== 'file' || result) {
          throw new ExtractError(
            ExtractErrorCode.PathNotFound,
            `${request.path} in ${request.display} is not a regular file`,
            'from.path must name a regular file',
          );
        }
        const hash = createHash('sha256');
        let size = 0;
        const tap = new Transform({
          transform(chunk: Buffer, _encoding, callback) {
            hash.update(chunk);
            size += chunk.length;
            guard.count(chunk.length);
            callback(null, chunk);
          },
        });
        await pipeline(entry, tap, createWriteStream(stagedFile, { flags: 'wx', mode: 0o644 }));
        result = { stagedFile, sha256: hash.digest('hex'), size };
      }
      await piping;
    } catch (error) {
      extractor.destroy();
      if (isExtractError(error)) throw error;
      throw engineError(`reading ${request.path} from the engine failed`, error);
    }
    if (!result)
      throw new ExtractError(ExtractErrorCode.PathNotFound, `the engine returned no file for ${request.path} in ${request.display}`, 'check from.path');
    return result;
  }
}

function engineError(message: string, cause: unknown): ExtractError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new ExtractError(
    ExtractErrorCode.DockerEngine,
    `${message}: ${detail}`,
    'check that the Docker engine is running and DOCKER_HOST points at it',
    cause,
  );
}

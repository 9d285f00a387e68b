import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { posix } from 'node:path';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type Dockerode from 'dockerode';
import { extract as tarExtract } from 'tar-stream';
import type { CredentialSource } from './docker-config.ts';
import { ExtractError, ExtractErrorCode, isExtractError } from './errors.ts';
import { resolveImagePlatform, type ImageFileRequest, type ImageSource, type StagedImageFile } from './image-source.ts';
import type { RegistryClient } from './oci-client.ts';
import type { TransferStats } from './staged.ts';
import { ArchiveGuard, ARTIFACT_POLICY, type ArchiveLimits } from './tar-safety.ts';

export interface DockerImageSourceOptions {
  /** A dockerode client for the engine to use (DOCKER_HOST by default in the CLI). */
  docker: Dockerode;
  /** Resolves tags to the platform manifest digest, so the engine pulls exactly what the lock names. */
  client: RegistryClient;
  credentials: CredentialSource;
  limits: ArchiveLimits;
  stats: TransferStats;
}

/** Go's os.ModeSymlink bit in the engine's path stat. */
const MODE_SYMLINK = 1 << 27;
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
    const { docker, client, stats } = this.#options;
    if (request.keepSource) {
      throw new ExtractError(ExtractErrorCode.OutputDir, '--keep-source is not supported with --via docker', 'use --via direct to keep the image filesystem');
    }
    const { root, manifest } = await resolveImagePlatform(client, request.reference, request.platform, request.display, stats, request.signal);
    const pinned = `${request.reference.registry}/${request.reference.repository}@${manifest.digest}`;
    await this.#pull(pinned, request);
    let container: Dockerode.Container;
    try {
      container = await docker.createContainer({
        _query: { platform: request.platform },
        _body: { Image: pinned, Cmd: ['falco-airgap-never-started'], Entrypoint: [''] },
      } as unknown as Dockerode.ContainerCreateOptions);
    } catch (cause) {
      throw engineError(`cannot create a container from ${pinned}`, cause);
    }
    let staged: { stagedFile: string; sha256: string; size: number };
    try {
      staged = await this.#copyOut(container, request);
    } catch (error) {
      // The copy's failure is what the user needs to see; a failed clean-up must not hide it.
      await container.remove({ force: true }).catch((cause: unknown) => {
        throw new AggregateError([error, cause], (error as Error).message);
      });
      throw error;
    }
    await container.remove({ force: true }).catch((cause: unknown) => {
      throw engineError(`cannot remove the temporary container ${container.id}`, cause);
    });
    // The engine does not say which layer held the file: the lock keeps the one an earlier direct run recorded.
    return { resolvedDigest: root.digest, manifestDigest: manifest.digest, layerDigest: undefined, ...staged };
  }

  async #pull(pinned: string, request: ImageFileRequest): Promise<void> {
    const { docker, credentials } = this.#options;
    const creds = await credentials.lookup(request.reference.registry);
    const authconfig = creds?.username
      ? { username: creds.username, password: creds.password, serveraddress: request.reference.registry }
      : creds?.identityToken
        ? { identitytoken: creds.identityToken, serveraddress: request.reference.registry }
        : undefined;
    let stream: NodeJS.ReadableStream;
    try {
      stream = await docker.pull(pinned, { platform: request.platform, ...(authconfig ? { authconfig } : {}), abortSignal: request.signal });
    } catch (cause) {
      throw engineError(`the engine cannot pull ${pinned}`, cause);
    }
    // The engine reports pull failures inside a 200 stream; followProgress alone would resolve.
    const events = await new Promise<{ error?: string; errorDetail?: { message?: string } }[]>((resolve, reject) =>
      docker.modem.followProgress(stream, (error: Error | null, output: { error?: string }[]) =>
        error ? reject(engineError(`pulling ${pinned} failed`, error)) : resolve(output),
      ),
    );
    const failed = events.find((e) => e.error || e.errorDetail);
    if (failed) {
      const message = failed.errorDetail?.message ?? failed.error ?? 'unknown error';
      throw new ExtractError(
        /unauthorized|authentication required|denied/i.test(message) ? ExtractErrorCode.Unauthorized : ExtractErrorCode.DockerEngine,
        `the engine failed to pull ${pinned}: ${message}`,
        'check docker login for the registry and that the engine can reach it',
      );
    }
  }

  async #copyOut(container: Dockerode.Container, request: ImageFileRequest): Promise<{ stagedFile: string; sha256: string; size: number }> {
    let path = posix.normalize(request.path);
    for (let hops = 0; ; hops++) {
      let response: Readable & { headers?: Record<string, string> };
      try {
        response = (await container.getArchive({ path })) as Readable & { headers?: Record<string, string> };
      } catch (cause) {
        if ((cause as { statusCode?: number }).statusCode === 404) {
          throw new ExtractError(
            ExtractErrorCode.PathNotFound,
            `${request.display} (${request.platform}) has nothing at ${path}`,
            'check from.path in the manifest',
          );
        }
        throw engineError(`cannot read ${path} from the container`, cause);
      }
      const stat = JSON.parse(Buffer.from(response.headers?.['x-docker-container-path-stat'] ?? 'e30=', 'base64').toString('utf8')) as {
        mode?: number;
        linkTarget?: string;
      };
      if (stat.mode !== undefined && (stat.mode & MODE_SYMLINK) !== 0 && stat.linkTarget) {
        response.destroy();
        if (hops >= MAX_SYMLINK_HOPS)
          throw new ExtractError(
            ExtractErrorCode.PathNotFound,
            `too many levels of symbolic links at ${request.path} in ${request.display}`,
            'check from.path',
          );
        path = posix.resolve(posix.dirname(path), stat.linkTarget);
        continue;
      }
      return this.#readSingleFile(response, request);
    }
  }

  /** The archive API answers with a tar of one entry; it is read with the same guard as artifacts. */
  async #readSingleFile(archive: Readable, request: ImageFileRequest): Promise<{ stagedFile: string; sha256: string; size: number }> {
    const guard = new ArchiveGuard(`the engine's archive of ${request.path}`, this.#options.limits, ARTIFACT_POLICY);
    const extractor = tarExtract();
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

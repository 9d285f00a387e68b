import type Dockerode from 'dockerode';
import { createRequire } from 'node:module';
import type { Readable } from 'node:stream';
import type {
  BuildOptions,
  BuiltImage,
  CallOptions,
  ContainerEngine,
  ContainerLogs,
  ContainerPathStat,
  ContainerRunResult,
  ContainerSpec,
  ImageInfo,
  LongCallOptions,
  PullOptions,
  PushedImage,
  PushOptions,
  RegistryAuth,
  RemoveOptions,
  RunOptions,
} from './container-engine.ts';
import { DEFAULT_DOCKER_HOST, dockerOptionsForHost } from './docker-host.ts';
import { EngineError, EngineErrorCode, isEngineError } from './errors.ts';
import { demultiplexLogs } from './log-frames.ts';
import { followProgress, operationFailure } from './progress-stream.ts';

export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
export const DEFAULT_OPERATION_TIMEOUT_MS = 30 * 60_000;

export interface DockerEngineOptions {
  /** Where the engine listens, for messages only (the dockerode client already knows). */
  host?: string | undefined;
  /** Bound of quick calls: ping, inspect, tag, create, start, stat, remove. */
  requestTimeoutMs?: number | undefined;
  /** Default bound of long calls: pull, build, push, wait, logs, archives. */
  operationTimeoutMs?: number | undefined;
}

export interface CreateDockerEngineOptions extends Omit<DockerEngineOptions, 'host'> {
  /** A DOCKER_HOST-style value, `unix:///path/to/docker.sock` or `tcp://host:port`; the local socket by default. */
  host?: string | undefined;
}

/** Calls whose options @types/dockerode does not describe. */
interface UntypedCalls {
  ping(options: { abortSignal: AbortSignal }): Promise<unknown>;
}

/** Go's os.FileMode bits in the engine's path stat. */
const MODE_DIR = 1 << 31;
const MODE_SYMLINK = 1 << 27;
const MODE_TYPE = MODE_DIR | MODE_SYMLINK | (1 << 26) | (1 << 25) | (1 << 24) | (1 << 23) | (1 << 21) | (1 << 19);
/** Errors of a connection that never reached the engine. */
const CONNECTION_ERRORS = new Set(['ENOENT', 'ECONNREFUSED', 'EACCES', 'EPERM', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTSOCK']);

/** The engine port over a dockerode client, which the caller builds and passes in. */
export class DockerEngine implements ContainerEngine {
  readonly #docker: Dockerode;
  /** ` at <host>` when the caller said where the engine listens, for messages. */
  readonly #at: string;
  readonly #requestTimeoutMs: number;
  readonly #operationTimeoutMs: number;

  constructor(docker: Dockerode, options: DockerEngineOptions = {}) {
    this.#docker = docker;
    this.#at = options.host ? ` at ${options.host}` : '';
    this.#requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.#operationTimeoutMs = options.operationTimeoutMs ?? DEFAULT_OPERATION_TIMEOUT_MS;
  }

  async ping(options: CallOptions = {}): Promise<void> {
    await this.#quick('pinging the engine', options, (signal) => (this.#docker as unknown as UntypedCalls).ping({ abortSignal: signal }));
  }

  async pullImage(reference: string, options: PullOptions = {}): Promise<void> {
    const subject = options.platform ? `${reference} (${options.platform})` : reference;
    await this.#long(
      `pulling ${subject}`,
      options,
      async (signal) => {
        const query = defined({ platform: options.platform, authconfig: authConfig(options.auth), abortSignal: signal });
        const stream = (await this.#docker.pull(reference, query)) as Readable;
        await followProgress(stream, { operation: 'pull', subject, onProgress: options.onProgress, signal });
      },
      (error) => operationFailure('pull', subject, engineMessage(error), { statusCode: statusOf(error), cause: error }),
    );
  }

  async buildImage(context: Buffer | Readable, options: BuildOptions = {}): Promise<BuiltImage> {
    const tags = [...(options.tags ?? [])];
    const subject = tags[0] ?? 'an image';
    return this.#long(
      `building ${subject}`,
      options,
      async (signal) => {
        const query = defined({
          t: tags.length ? tags : undefined,
          buildargs: options.buildArgs ? { ...options.buildArgs } : undefined,
          labels: options.labels ? { ...options.labels } : undefined,
          platform: options.platform,
          dockerfile: options.dockerfile,
          pull: options.pull ? true : undefined,
          nocache: options.noCache ? true : undefined,
          rm: true,
          forcerm: true,
          abortSignal: signal,
        });
        const stream = (await this.#docker.buildImage(context as NodeJS.ReadableStream, query as Dockerode.ImageBuildOptions)) as Readable;
        const outcome = await followProgress(stream, { operation: 'build', subject, onProgress: options.onProgress, signal });
        // A multi-stage build reports an id per stage (BuildKit) or per intermediate step: the final image is the last one.
        const id = outcome.aux
          .map((aux) => aux.ID)
          .filter((value): value is string => typeof value === 'string')
          .at(-1);
        if (id) return { id };
        // Engines that send no aux id still name the image in their last line.
        const built =
          outcome.output
            .map((line) => /^Successfully built ([0-9a-f]+)$/.exec(line)?.[1])
            .filter(Boolean)
            .at(-1) ?? tags[0];
        const image = built ? await this.inspectImage(built, { signal }) : undefined;
        if (!image) throw operationFailure('build', subject, 'the engine reported success but named no image', { output: outcome.output });
        return { id: image.id };
      },
      (error) => operationFailure('build', subject, engineMessage(error), { statusCode: statusOf(error), cause: error }),
    );
  }

  async inspectImage(reference: string, options: CallOptions = {}): Promise<ImageInfo | undefined> {
    const image = await this.#quick(`inspecting image ${reference}`, options, (signal) =>
      absentOn404(this.#docker.getImage(reference).inspect({ abortSignal: signal } as Dockerode.ImageInspectOptions)),
    );
    if (!image) return undefined;
    const platform = [image.Os, image.Architecture, (image as { Variant?: string }).Variant].filter(Boolean).join('/');
    return {
      id: image.Id,
      repoTags: image.RepoTags ?? [],
      repoDigests: image.RepoDigests ?? [],
      labels: image.Config?.Labels ?? {},
      platform,
      size: image.Size,
    };
  }

  async tagImage(source: string, target: string, options: CallOptions = {}): Promise<void> {
    const { repository, tag } = splitTag(target);
    await this.#quick(`tagging ${source} as ${repository}:${tag}`, options, (signal) =>
      this.#docker.getImage(source).tag({ repo: repository, tag, abortSignal: signal }),
    );
  }

  async pushImage(reference: string, options: PushOptions = {}): Promise<PushedImage> {
    const { repository, tag } = splitTag(reference);
    const subject = `${repository}:${tag}`;
    return this.#long(
      `pushing ${subject}`,
      options,
      async (signal) => {
        const query = defined({ tag, authconfig: authConfig(options.auth), abortSignal: signal });
        const stream = (await this.#docker.getImage(repository).push(query)) as Readable;
        const outcome = await followProgress(stream, { operation: 'push', subject, onProgress: options.onProgress, signal });
        const pushed = outcome.aux.find((aux) => typeof aux.Digest === 'string');
        if (!pushed) throw operationFailure('push', subject, 'the engine reported no digest for the pushed image', { output: outcome.output });
        return {
          digest: pushed.Digest as string,
          tag: typeof pushed.Tag === 'string' ? pushed.Tag : tag,
          size: typeof pushed.Size === 'number' ? pushed.Size : undefined,
        };
      },
      (error) => operationFailure('push', subject, engineMessage(error), { statusCode: statusOf(error), cause: error }),
    );
  }

  async removeImage(reference: string, options: RemoveOptions = {}): Promise<boolean> {
    return this.#quick(`removing image ${reference}`, options, (signal) =>
      existed(this.#docker.getImage(reference).remove(defined({ force: options.force, abortSignal: signal }))),
    );
  }

  async createContainer(spec: ContainerSpec, options: CallOptions = {}): Promise<string> {
    const body = defined({
      Image: spec.image,
      Cmd: spec.cmd ? [...spec.cmd] : undefined,
      Entrypoint: spec.entrypoint ? [...spec.entrypoint] : undefined,
      Env: spec.env ? Object.entries(spec.env).map(([name, value]) => `${name}=${value}`) : undefined,
      User: spec.user,
      WorkingDir: spec.workingDir,
      Labels: spec.labels ? { ...spec.labels } : undefined,
      HostConfig: { NetworkMode: spec.networkMode ?? 'host' },
    });
    const container = await this.#quick(`creating a container from ${spec.image}`, options, (signal) =>
      this.#docker.createContainer({
        _query: defined({ platform: spec.platform }),
        _body: body,
        abortSignal: signal,
      } as unknown as Dockerode.ContainerCreateOptions),
    );
    return container.id;
  }

  async startContainer(id: string, options: CallOptions = {}): Promise<void> {
    await this.#quick(`starting container ${short(id)}`, options, (signal) => this.#docker.getContainer(id).start({ abortSignal: signal }));
  }

  async waitContainer(id: string, options: LongCallOptions = {}): Promise<number> {
    const result = (await this.#long(`waiting for container ${short(id)}`, options, (signal) =>
      this.#docker.getContainer(id).wait({ abortSignal: signal }),
    )) as { StatusCode: number; Error?: { Message?: string } | null };
    if (result.Error?.Message) {
      throw new EngineError(EngineErrorCode.RequestFailed, `waiting for container ${short(id)} failed: ${result.Error.Message}`, {
        hint: "check the engine's log",
      });
    }
    return result.StatusCode;
  }

  async logs(id: string, options: LongCallOptions = {}): Promise<ContainerLogs> {
    return this.#long(`reading the logs of container ${short(id)}`, options, async (signal) => {
      const stream = (await this.#docker.getContainer(id).logs({ stdout: true, stderr: true, follow: true, abortSignal: signal })) as Readable;
      const chunks: Buffer[] = [];
      for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
      return demultiplexLogs(Buffer.concat(chunks));
    });
  }

  async putArchive(id: string, path: string, tar: Buffer | Readable, options: LongCallOptions = {}): Promise<void> {
    await this.#long(`copying files into container ${short(id)} at ${path}`, options, (signal) =>
      this.#docker.getContainer(id).putArchive(tar as NodeJS.ReadableStream, { path, abortSignal: signal }),
    );
  }

  async statPath(id: string, path: string, options: CallOptions = {}): Promise<ContainerPathStat | undefined> {
    const response = await this.#quick(`reading ${path} in container ${short(id)}`, options, (signal) =>
      absentOn404(this.#docker.getContainer(id).infoArchive({ path, abortSignal: signal }) as Promise<Readable & { headers?: Record<string, string> }>),
    );
    if (!response) return undefined;
    response.resume();
    const header = response.headers?.['x-docker-container-path-stat'];
    if (!header) {
      throw new EngineError(EngineErrorCode.RequestFailed, `the engine sent no stat for ${path} in container ${short(id)}`, {
        hint: 'use an engine that serves the archive API (API 1.20 or later)',
      });
    }
    const stat = JSON.parse(Buffer.from(header, 'base64').toString('utf8')) as { name: string; size: number; mode: number; linkTarget?: string };
    const type = stat.mode & MODE_TYPE;
    const kind = type === 0 ? 'file' : type & MODE_DIR ? 'directory' : type & MODE_SYMLINK ? 'symlink' : 'other';
    return { name: stat.name, size: stat.size, kind, linkTarget: kind === 'symlink' && stat.linkTarget ? stat.linkTarget : undefined };
  }

  async getArchive(id: string, path: string, options: LongCallOptions = {}): Promise<Readable> {
    const archive = await this.#long(`reading ${path} from container ${short(id)}`, options, (signal) =>
      absentOn404(this.#docker.getContainer(id).getArchive({ path, abortSignal: signal }) as Promise<Readable>),
    );
    if (!archive) {
      throw new EngineError(EngineErrorCode.NotFound, `container ${short(id)} has nothing at ${path}`, {
        hint: 'check the path, and that the container still exists',
        statusCode: 404,
      });
    }
    return archive;
  }

  async removeContainer(id: string, options: RemoveOptions = {}): Promise<boolean> {
    return this.#quick(`removing container ${short(id)}`, options, (signal) =>
      existed(this.#docker.getContainer(id).remove(defined({ force: options.force, v: true, abortSignal: signal }))),
    );
  }

  async run(options: RunOptions): Promise<ContainerRunResult> {
    const { signal, timeoutMs } = options;
    const id = await this.createContainer(options, { signal });
    let result: ContainerRunResult;
    try {
      if (options.files) await this.putArchive(id, options.filesAt ?? '/', options.files, { signal, timeoutMs });
      await this.startContainer(id, { signal });
      const exitCode = await this.waitContainer(id, { signal, timeoutMs });
      result = { exitCode, ...(await this.logs(id, { signal, timeoutMs })) };
    } catch (error) {
      // Removal gets its own bound: the caller's signal may be what stopped the run.
      await this.removeContainer(id, { force: true }).catch((cleanup: unknown) => {
        throw new EngineError(
          isEngineError(error) ? error.code : EngineErrorCode.RequestFailed,
          `${(error as Error).message}; removing container ${short(id)} failed as well: ${(cleanup as Error).message}`,
          { hint: isEngineError(error) ? error.hint : undefined, cause: error },
        );
      });
      throw error;
    }
    await this.removeContainer(id, { force: true });
    return result;
  }

  #quick<T>(what: string, options: CallOptions, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
    return this.#bounded(what, options.signal, this.#requestTimeoutMs, call);
  }

  #long<T>(what: string, options: LongCallOptions, call: (signal: AbortSignal) => Promise<T>, failure?: (error: unknown) => EngineError): Promise<T> {
    return this.#bounded(what, options.signal, options.timeoutMs ?? this.#operationTimeoutMs, call, failure);
  }

  /** Runs one engine call under the caller's signal and a timeout, and turns what fails into an EngineError. */
  async #bounded<T>(
    what: string,
    callerSignal: AbortSignal | undefined,
    timeoutMs: number,
    call: (signal: AbortSignal) => Promise<T>,
    failure?: (error: unknown) => EngineError,
  ): Promise<T> {
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = callerSignal ? AbortSignal.any([callerSignal, timeout]) : timeout;
    try {
      signal.throwIfAborted();
      return await untilAborted(call(signal), signal);
    } catch (error) {
      if (callerSignal?.aborted) {
        throw new EngineError(EngineErrorCode.Aborted, `${what} was aborted`, { hint: 'run it again to finish', cause: callerSignal.reason });
      }
      if (timeout.aborted) {
        throw new EngineError(EngineErrorCode.Timeout, `${what} did not finish within ${formatDuration(timeoutMs)}`, {
          hint: `check that the engine${this.#at} is healthy, or allow more time (timeoutMs)`,
          cause: error,
        });
      }
      throw this.#translate(what, error, failure);
    }
  }

  #translate(what: string, error: unknown, failure: ((error: unknown) => EngineError) | undefined): EngineError {
    if (isEngineError(error)) return error;
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && CONNECTION_ERRORS.has(code)) {
      return new EngineError(EngineErrorCode.Unreachable, `the Docker engine${this.#at} is unreachable (${code}) while ${what}`, {
        hint:
          code === 'EACCES' || code === 'EPERM'
            ? "this user may not open the engine's socket: use one it may open, or give it access"
            : 'start the engine, or set the engine host to where it listens (unix:///path/to/docker.sock or tcp://host:port)',
        cause: error,
      });
    }
    if (failure) return failure(error);
    const statusCode = statusOf(error);
    if (statusCode === 404) {
      return new EngineError(EngineErrorCode.NotFound, `${what}: ${engineMessage(error)}`, { hint: 'check the name or id', statusCode, cause: error });
    }
    return new EngineError(EngineErrorCode.RequestFailed, `${what} failed: ${engineMessage(error)}`, {
      hint: statusCode === undefined ? `check the connection to the engine${this.#at}` : "check the engine's log for the cause",
      statusCode,
      cause: error,
    });
  }
}

/** The engine port for a DOCKER_HOST-style `host`; the caller reads the environment, never this library. */
export function createDockerEngine(options: CreateDockerEngineOptions = {}): DockerEngine {
  const host = options.host || DEFAULT_DOCKER_HOST;
  const dockerOptions = dockerOptionsForHost(host);
  // Loaded on first use: dockerode takes a noticeable while to load, and most callers never need it.
  const DockerodeClient = createRequire(import.meta.url)('dockerode') as typeof Dockerode;
  return new DockerEngine(new DockerodeClient(dockerOptions), { ...options, host });
}

function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error as Error);
      },
    );
  });
}

/** Undefined for the engine's 404, so "absent" is an answer rather than an error. */
async function absentOn404<T>(call: Promise<T>): Promise<T | undefined> {
  try {
    return await call;
  } catch (error) {
    if (statusOf(error) === 404) return undefined;
    throw error;
  }
}

/** False for the engine's 404: removing what is not there is not a failure. */
async function existed(call: Promise<unknown>): Promise<boolean> {
  return (await absentOn404(call.then(() => true))) ?? false;
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown }).statusCode;
  return typeof status === 'number' ? status : undefined;
}

/** The engine's own words when it sent them, not dockerode's wrapping. */
function engineMessage(error: unknown): string {
  const json = (error as { json?: unknown }).json;
  if (json && typeof json === 'object' && typeof (json as { message?: unknown }).message === 'string') return (json as { message: string }).message.trim();
  if (typeof json === 'string' && json.trim()) return json.trim();
  return error instanceof Error ? error.message.trim() : String(error);
}

function authConfig(auth: RegistryAuth | undefined): Dockerode.AuthConfig | undefined {
  if (!auth) return undefined;
  return defined({
    serveraddress: auth.serverAddress,
    username: auth.username,
    password: auth.password,
    identitytoken: auth.identityToken,
  }) as Dockerode.AuthConfig;
}

/** `repository[:tag]` split at the tag; a digest cannot name a tag or a push. */
function splitTag(reference: string): { repository: string; tag: string } {
  if (reference.includes('@')) {
    throw new EngineError(EngineErrorCode.BadReference, `"${reference}" names a digest, but a tag or a push needs repository:tag`, {
      hint: 'name the image as repository:tag',
    });
  }
  const colon = reference.lastIndexOf(':');
  if (colon > reference.lastIndexOf('/')) return { repository: reference.slice(0, colon), tag: reference.slice(colon + 1) };
  return { repository: reference, tag: 'latest' };
}

/** Drops undefined values: dockerode would send them as empty query parameters. */
function defined<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

function short(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}

function formatDuration(ms: number): string {
  return ms >= 60_000 ? `${Math.round(ms / 60_000)} min` : `${Math.round(ms / 1000)} s`;
}

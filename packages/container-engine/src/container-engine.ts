import type { Readable } from 'node:stream';

/** Credentials the engine forwards to a registry on pull and push. */
export interface RegistryAuth {
  /** The registry host the credentials are for, e.g. `registry.example.com:5000`. */
  serverAddress: string;
  username?: string | undefined;
  password?: string | undefined;
  /** An OAuth refresh token (what `docker login` keeps as `identitytoken`), instead of a password. */
  identityToken?: string | undefined;
}

export type EngineOperation = 'pull' | 'build' | 'push';

/** What a pull, build or push reports while it runs; the port never prints, callers draw these. */
export type EngineProgressEvent =
  /** A line a build step wrote. */
  | { type: 'output'; operation: EngineOperation; text: string }
  /** A status line that is not about one layer, e.g. `Digest: sha256:...`. */
  | { type: 'status'; operation: EngineOperation; text: string }
  /** Progress of one layer being pulled or pushed; `current`/`total` in bytes when the engine says. */
  | { type: 'layer'; operation: EngineOperation; layer: string; status: string; current?: number | undefined; total?: number | undefined };

export type EngineProgressListener = (event: EngineProgressEvent) => void;

export interface CallOptions {
  signal?: AbortSignal | undefined;
}

/** Options of calls that may run for minutes: bounded by `timeoutMs` and by `signal`. */
export interface LongCallOptions extends CallOptions {
  /** Overrides the engine's default bound for long operations. */
  timeoutMs?: number | undefined;
}

export interface PullOptions extends LongCallOptions {
  /** `os/arch[/variant]` to pull; the engine's own platform when absent. */
  platform?: string | undefined;
  auth?: RegistryAuth | undefined;
  onProgress?: EngineProgressListener | undefined;
}

export interface BuildOptions extends LongCallOptions {
  /** `repository:tag` names to give the image; none leaves it untagged (use the returned id). */
  tags?: readonly string[] | undefined;
  buildArgs?: Readonly<Record<string, string>> | undefined;
  labels?: Readonly<Record<string, string>> | undefined;
  /** `os/arch[/variant]` to build for. */
  platform?: string | undefined;
  /** Path of the Dockerfile inside the context; `Dockerfile` by default. */
  dockerfile?: string | undefined;
  /** Always pull a newer base image. */
  pull?: boolean | undefined;
  noCache?: boolean | undefined;
  onProgress?: EngineProgressListener | undefined;
}

export interface BuiltImage {
  /** `sha256:<hex>` image id. */
  id: string;
}

export interface ImageInfo {
  id: string;
  repoTags: string[];
  /** `repository@sha256:...` of every registry the image was pushed to or pulled from. */
  repoDigests: string[];
  labels: Record<string, string>;
  /** `os/arch[/variant]` the image is for. */
  platform: string;
  size: number;
}

export interface PushOptions extends LongCallOptions {
  auth?: RegistryAuth | undefined;
  onProgress?: EngineProgressListener | undefined;
}

export interface PushedImage {
  /** The manifest digest the registry now holds under the tag. */
  digest: string;
  tag: string;
  size: number | undefined;
}

export interface ContainerSpec {
  image: string;
  cmd?: readonly string[] | undefined;
  /** `['']` clears the image's entrypoint. */
  entrypoint?: readonly string[] | undefined;
  env?: Readonly<Record<string, string>> | undefined;
  user?: string | undefined;
  workingDir?: string | undefined;
  labels?: Readonly<Record<string, string>> | undefined;
  /** `host` by default: the engines this project runs on may have no bridge network. */
  networkMode?: string | undefined;
  /** `os/arch[/variant]` of the image to use when the engine holds several. */
  platform?: string | undefined;
}

/** What the engine says about a path inside a container (not following a final symlink). */
export interface ContainerPathStat {
  name: string;
  size: number;
  kind: 'file' | 'directory' | 'symlink' | 'other';
  /** Where a symlink points, as written in the link. */
  linkTarget: string | undefined;
}

export interface ContainerLogs {
  stdout: string;
  stderr: string;
}

export interface RunOptions extends ContainerSpec, LongCallOptions {
  /** A tar unpacked into the container before it starts. */
  files?: Buffer | undefined;
  /** Where `files` is unpacked; `/` by default. */
  filesAt?: string | undefined;
}

export interface ContainerRunResult extends ContainerLogs {
  exitCode: number;
}

export interface RemoveOptions extends CallOptions {
  force?: boolean | undefined;
}

/**
 * The container engine as this project uses it. Every call is bounded: quick ones by the engine's
 * request timeout, long ones by `timeoutMs` and `signal`. Failures are `EngineError`s; a pull, build
 * or push whose progress stream reports an error rejects.
 */
export interface ContainerEngine {
  ping(options?: CallOptions): Promise<void>;
  pullImage(reference: string, options?: PullOptions): Promise<void>;
  /** Builds from a tar of the build context. */
  buildImage(context: Buffer | Readable, options?: BuildOptions): Promise<BuiltImage>;
  /** The image, or undefined when the engine has none by that name or id. */
  inspectImage(reference: string, options?: CallOptions): Promise<ImageInfo | undefined>;
  /** Gives `source` the additional name `target` (`repository[:tag]`, `latest` when untagged). */
  tagImage(source: string, target: string, options?: CallOptions): Promise<void>;
  /** Pushes `repository[:tag]` and answers the digest the registry holds. */
  pushImage(reference: string, options?: PushOptions): Promise<PushedImage>;
  /** Removes the image name (and the image when no other name is left); false when there was none. */
  removeImage(reference: string, options?: RemoveOptions): Promise<boolean>;

  /** Creates a container and answers its id. */
  createContainer(spec: ContainerSpec, options?: CallOptions): Promise<string>;
  startContainer(id: string, options?: CallOptions): Promise<void>;
  /** Waits for the container to stop and answers its exit code. */
  waitContainer(id: string, options?: LongCallOptions): Promise<number>;
  logs(id: string, options?: LongCallOptions): Promise<ContainerLogs>;
  /** Unpacks a tar into the container at `path`. */
  putArchive(id: string, path: string, tar: Buffer | Readable, options?: LongCallOptions): Promise<void>;
  /** The path's stat, or undefined when the container has nothing there. */
  statPath(id: string, path: string, options?: CallOptions): Promise<ContainerPathStat | undefined>;
  /** A tar stream of `path` (a file, or a directory and everything in it); ENGINE_NOT_FOUND when absent. */
  getArchive(id: string, path: string, options?: LongCallOptions): Promise<Readable>;
  /** Removes the container; false when there was none. */
  removeContainer(id: string, options?: RemoveOptions): Promise<boolean>;

  /** Creates, fills, starts and waits for a container, reads its logs and removes it. */
  run(options: RunOptions): Promise<ContainerRunResult>;
}

import type {
  BuildOptions,
  BuiltImage,
  ContainerEngine,
  ContainerLogs,
  ContainerPathStat,
  ContainerRunResult,
  ImageInfo,
  PullOptions,
  PushedImage,
  PushOptions,
} from '@falco-airgap/container-engine';
import { EngineError, EngineErrorCode } from '@falco-airgap/container-engine';
import type { FakeRegistry } from '@falco-airgap/oci/test-support';
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';

const digestOf = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

export interface RecordedBuild {
  tags: string[];
  dockerfile: string | undefined;
  buildArgs: Record<string, string>;
  labels: Record<string, string>;
  contextBytes: number;
}

/**
 * An in-memory engine for the builder's unit tests: builds read the whole context and make an
 * image whose labels are the build labels plus the context-digest build arg; pushes write the
 * image config and manifest into a FakeRegistry.
 */
export class FakeEngine implements ContainerEngine {
  readonly images = new Map<string, ImageInfo>();
  readonly builds: RecordedBuild[] = [];
  readonly pulls: string[] = [];
  readonly pushes: string[] = [];
  /** Makes the build of a tag fail as a broken Dockerfile would. */
  failBuildOf: string | undefined;
  /** Where pushes land, by registry host. */
  readonly registries = new Map<string, FakeRegistry>();
  #next = 0;

  constructor(present: string[] = []) {
    for (const name of present) this.#store(name, { id: `sha256:${'b'.repeat(63)}${this.#next++}`, labels: {} });
  }

  async buildImage(context: Buffer | Readable, options: BuildOptions = {}): Promise<BuiltImage> {
    let contextBytes = 0;
    for await (const chunk of context as AsyncIterable<Buffer>) contextBytes += chunk.length;
    const tags = [...(options.tags ?? [])];
    const buildArgs = { ...options.buildArgs };
    this.builds.push({ tags, dockerfile: options.dockerfile, buildArgs, labels: { ...options.labels }, contextBytes });
    if (this.failBuildOf && tags.includes(this.failBuildOf)) {
      throw new EngineError(EngineErrorCode.BuildFailed, `building ${tags[0]} failed: unknown instruction: FORM`, { output: ['unknown instruction: FORM'] });
    }
    const id = `sha256:${createHash('sha256')
      .update(JSON.stringify(this.builds.at(-1)))
      .digest('hex')}`;
    const labels = { ...options.labels, 'falco-airgap.context-digest': buildArgs.FALCO_AIRGAP_CONTEXT_DIGEST ?? '' };
    for (const tag of tags) this.#store(tag, { id, labels });
    return { id };
  }

  async inspectImage(reference: string): Promise<ImageInfo | undefined> {
    return this.images.get(reference);
  }

  async tagImage(source: string, target: string): Promise<void> {
    const image = [...this.images.values()].find((i) => i.id === source) ?? this.images.get(source);
    if (!image) throw new EngineError(EngineErrorCode.NotFound, `no image ${source}`);
    this.#store(target, image);
  }

  async pullImage(reference: string, _options: PullOptions = {}): Promise<void> {
    this.pulls.push(reference);
    throw new EngineError(EngineErrorCode.PullFailed, `pulling ${reference} failed: manifest unknown`);
  }

  async pushImage(reference: string, _options: PushOptions = {}): Promise<PushedImage> {
    this.pushes.push(reference);
    const image = this.images.get(reference)!;
    const [host, ...path] = reference.split('/');
    const repoAndTag = path.join('/');
    const colon = repoAndTag.lastIndexOf(':');
    const repository = repoAndTag.slice(0, colon);
    const tag = repoAndTag.slice(colon + 1);
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Labels: image.labels } }));
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
        config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: digestOf(config), size: config.length },
        layers: [],
      }),
    );
    const root = { descriptor: { mediaType: 'application/vnd.docker.distribution.manifest.v2+json', digest: digestOf(manifest) }, bytes: manifest };
    this.registries.get(host!)!.push(repository, { root, manifests: [], blobs: [{ descriptor: { digest: digestOf(config) }, bytes: config }] }, [tag]);
    return { digest: root.descriptor.digest, tag, size: manifest.length };
  }

  async ping(): Promise<void> {}
  async removeImage(reference: string): Promise<boolean> {
    return this.images.delete(reference);
  }
  createContainer(): Promise<string> {
    return unused('createContainer');
  }
  startContainer(): Promise<void> {
    return unused('startContainer');
  }
  waitContainer(): Promise<number> {
    return unused('waitContainer');
  }
  logs(): Promise<ContainerLogs> {
    return unused('logs');
  }
  putArchive(): Promise<void> {
    return unused('putArchive');
  }
  statPath(): Promise<ContainerPathStat | undefined> {
    return unused('statPath');
  }
  getArchive(): Promise<Readable> {
    return unused('getArchive');
  }
  removeContainer(): Promise<boolean> {
    return unused('removeContainer');
  }
  run(): Promise<ContainerRunResult> {
    return unused('run');
  }

  #store(name: string, image: { id: string; labels: Record<string, string> }): void {
    const existing = this.images.get(name);
    this.images.set(name, {
      id: image.id,
      repoTags: [...(existing?.repoTags ?? []), name],
      repoDigests: [],
      labels: image.labels,
      platform: 'linux/amd64',
      size: 0,
    });
  }
}

/** The builder never runs containers; a call here is a bug in it. */
async function unused(call: string): Promise<never> {
  throw new Error(`the image builder called ${call}, which it never needs`);
}

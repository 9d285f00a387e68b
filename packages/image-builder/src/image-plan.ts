import { parseReference, type Platform } from '@falco-airgap/core';
import type { PluginsLock } from '@falco-airgap/manifest';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { collectBuildContext, type BuildContext, type ContextFile } from './build-context.ts';
import { ImageBuilderError, ImageBuilderErrorCode } from './errors.ts';
import { pluginPayload } from './plugin-payload.ts';

export const IMAGE_NAMES = ['falco', 's3-loader', 'plugin-loader'] as const;
export type ImageName = (typeof IMAGE_NAMES)[number];

/** Repository of each image under the registry; the Helm chart's default repositories. */
export const IMAGE_REPOSITORIES: Readonly<Record<ImageName, string>> = {
  falco: 'falco',
  's3-loader': 'falco-s3-loader',
  'plugin-loader': 'falco-plugin-loader',
};

/** The official AlmaLinux 9 minimal image; in an air gap, a mirror of it in the private registry. */
export const DEFAULT_BASE_IMAGE = 'docker.io/library/almalinux:9-minimal';
export const DEFAULT_PLATFORM: Platform = 'linux/amd64';
/** Length of the context digest's hex in the content tag `<falco version>-<hex>`. */
const SHORT_DIGEST = 12;
const TAG = /^[\w][\w.-]{0,127}$/;

/** The official Falco image of a version, the files of which the falco image copies. */
export function defaultFalcoImage(falcoVersion: string): string {
  return `docker.io/falcosecurity/falco:${falcoVersion}`;
}

/** The lock and the files extract wrote, for the plugin-loader image. */
export interface LockInput {
  lock: PluginsLock;
  lockBytes: Buffer;
  extractedDir: string;
}

export interface ImageSetSettings {
  /** Which images; `s3-loader` brings in `falco`, which it is built from. */
  images: readonly ImageName[];
  /** `host[:port][/path]` the images are named under and pushed to. */
  registry: string;
  falcoVersion: string;
  /** AlmaLinux 9 image the falco and plugin-loader images start from; `DEFAULT_BASE_IMAGE` when unset. */
  baseImage?: string | undefined;
  /** Image the Falco files are copied from; the official one of `falcoVersion` when unset. */
  falcoImage?: string | undefined;
  platform?: Platform | undefined;
  /** Tags added to the Falco version and the content tag. */
  tags?: readonly string[] | undefined;
  /** The docker/ directory: base/ (falco and s3-loader) and plugin-loader/. */
  dockerDir: string;
  /** Needed for `plugin-loader`. */
  lock?: LockInput | undefined;
  /** The falco-s3-loader single executable; needed for `s3-loader`. */
  s3LoaderBinary?: string | undefined;
}

/** One image to build, everything about it decided: the plan `--dry-run` prints. */
export interface ImagePlan {
  name: ImageName;
  /** `<registry>/<repository>` without a tag. */
  repository: string;
  /** Full references, `<repository>:<tag>`: the Falco version, the content tag, then the user's tags. */
  references: string[];
  /** `<repository>:<falco version>-<short context digest>`: names this content and nothing else. */
  contentReference: string;
  dockerfile: string;
  context: BuildContext;
  buildArgs: Record<string, string>;
  /** Labels set at build time besides the Dockerfile's own (the context digest reaches the Dockerfile as a build arg). */
  labels: Record<string, string>;
  platform: Platform;
  contextDigest: string;
  /** Images the build starts from and the engine must hold. */
  baseImages: string[];
  /** The image of the set this one is built from. */
  after?: ImageName | undefined;
}

/** Decides every image of the set: contexts collected and hashed, tags, build args and labels. */
export async function planImageSet(settings: ImageSetSettings): Promise<ImagePlan[]> {
  for (const image of settings.images) {
    if (!IMAGE_NAMES.includes(image)) {
      throw new ImageBuilderError(ImageBuilderErrorCode.UnknownImage, `there is no image "${image}"`, `choose from ${IMAGE_NAMES.join(', ')} (\`images\`)`);
    }
  }
  for (const tag of settings.tags ?? []) {
    if (!TAG.test(tag)) {
      throw new ImageBuilderError(
        ImageBuilderErrorCode.BadTag,
        `"${tag}" is not a valid image tag`,
        'a tag is up to 128 letters, digits, "_", "." and "-", not starting with "." or "-" (`tags`)',
      );
    }
  }
  const registry = normalizeRegistry(settings.registry);
  const platform = settings.platform ?? DEFAULT_PLATFORM;
  const baseImage = settings.baseImage ?? DEFAULT_BASE_IMAGE;
  const falcoImage = settings.falcoImage ?? defaultFalcoImage(settings.falcoVersion);
  const wanted = new Set(settings.images);
  if (wanted.has('s3-loader')) wanted.add('falco');
  const baseDir = join(settings.dockerDir, 'base');

  const plans = new Map<ImageName, ImagePlan>();
  const plan = async (name: ImageName, recipe: Recipe) => {
    const repository = `${registry}/${IMAGE_REPOSITORIES[name]}`;
    const context = await collectBuildContext({ directory: recipe.directory, files: recipe.files, dockerfile: recipe.dockerfile });
    const contextDigest = buildDigest({
      context: await context.digest(),
      dockerfile: recipe.dockerfile,
      buildArgs: recipe.buildArgs,
      labels: recipe.labels,
      platform,
    });
    const contentTag = `${settings.falcoVersion}-${contextDigest.slice('sha256:'.length, 'sha256:'.length + SHORT_DIGEST)}`;
    const tags = [...new Set([settings.falcoVersion, contentTag, ...(settings.tags ?? [])])];
    plans.set(name, {
      name,
      repository,
      references: tags.map((tag) => `${repository}:${tag}`),
      contentReference: `${repository}:${contentTag}`,
      dockerfile: recipe.dockerfile,
      context,
      buildArgs: recipe.buildArgs,
      labels: recipe.labels,
      platform,
      contextDigest,
      baseImages: recipe.baseImages,
      after: recipe.after,
    });
  };

  const versionArgs = { FALCO_VERSION: settings.falcoVersion };
  const pending: Promise<void>[] = [];
  if (wanted.has('falco')) {
    pending.push(
      plan('falco', {
        directory: baseDir,
        dockerfile: 'Dockerfile',
        files: [],
        buildArgs: { ...versionArgs, BASE_IMAGE: baseImage, FALCO_IMAGE: falcoImage },
        labels: {},
        baseImages: [baseImage, falcoImage],
      }),
    );
  }
  if (wanted.has('plugin-loader')) {
    const lock = settings.lock;
    if (!lock) {
      throw new ImageBuilderError(
        ImageBuilderErrorCode.InputMissing,
        'the plugin-loader image needs the lock and the extracted files',
        'run extract first and pass `lock`',
      );
    }
    const payload = await pluginPayload({ ...lock, platform });
    pending.push(
      plan('plugin-loader', {
        directory: join(settings.dockerDir, 'plugin-loader'),
        dockerfile: 'Dockerfile',
        files: payload.files,
        buildArgs: { ...versionArgs, BASE_IMAGE: baseImage },
        labels: payload.labels,
        baseImages: [baseImage],
      }),
    );
  }
  await Promise.all(pending);
  if (wanted.has('s3-loader')) {
    if (!settings.s3LoaderBinary) {
      throw new ImageBuilderError(
        ImageBuilderErrorCode.InputMissing,
        'the s3-loader image needs the falco-s3-loader executable',
        'build it (npm run build -w @falco-airgap/s3-loader) and pass `s3LoaderBinary`',
      );
    }
    // Built FROM the falco image by its content tag, so a new falco image means a new s3-loader image.
    const falco = plans.get('falco')!.contentReference;
    await plan('s3-loader', {
      directory: baseDir,
      dockerfile: 'Dockerfile.s3-loader',
      files: [{ path: 'falco-s3-loader', source: { file: settings.s3LoaderBinary }, executable: true }],
      buildArgs: { ...versionArgs, BASE_IMAGE: falco },
      labels: {},
      baseImages: [falco],
      after: 'falco',
    });
  }
  return IMAGE_NAMES.filter((name) => plans.has(name)).map((name) => plans.get(name)!);
}

interface Recipe {
  directory: string;
  dockerfile: string;
  files: ContextFile[];
  buildArgs: Record<string, string>;
  labels: Record<string, string>;
  baseImages: string[];
  after?: ImageName | undefined;
}

/** `sha256:` over everything a build reads, in a canonical form: the key that decides whether to build. */
export function buildDigest(input: {
  context: string;
  dockerfile: string;
  buildArgs: Readonly<Record<string, string>>;
  labels: Readonly<Record<string, string>>;
  platform: string;
}): string {
  const sorted = (record: Readonly<Record<string, string>>) => Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : 1)));
  const canonical = JSON.stringify({
    context: input.context,
    dockerfile: input.dockerfile,
    buildArgs: sorted(input.buildArgs),
    labels: sorted(input.labels),
    platform: input.platform,
  });
  return `sha256:${createHash('sha256').update(canonical).digest('hex')}`;
}

/** `host[:port][/path]`, checked to be a registry host and not a Docker Hub repository. */
export function normalizeRegistry(registry: string): string {
  const trimmed = registry.replace(/\/+$/, '');
  const parsed = parseReference(`${trimmed}/image:tag`);
  const host = trimmed.split('/')[0] ?? '';
  if (!parsed.ok || parsed.reference.registry.toLowerCase() !== host.toLowerCase() || !/[.:]|^localhost$/.test(host)) {
    throw new ImageBuilderError(
      ImageBuilderErrorCode.BadRegistry,
      `"${registry}" is not a registry host[:port][/path]`,
      'name the registry by its host, e.g. registry.example.com/falco or localhost:5000 (`registry`)',
    );
  }
  return trimmed;
}

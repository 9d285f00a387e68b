import { createDockerEngine, type ContainerEngine } from '@falco-airgap/container-engine';
import { definedFields, type Platform } from '@falco-airgap/core';
import { buildImageSet, planImageSet, type ImageBuildResult, type ImageName, type ImageRegistry, type ImageStatus } from '@falco-airgap/image-builder';
import { loadLock } from '@falco-airgap/manifest';
import { createRegistryClient } from '@falco-airgap/oci';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { ImageSources } from '../options/images.ts';
import type { RegistryAccess } from '../options/registry.ts';
import { BuildTaskRows } from '../output/build-events.ts';
import type { StageDeps, StageOutcome } from './stage.ts';

export interface BuildStageInput {
  images: ImageName[];
  /** `host[:port][/path]` the images are named under. */
  registry: string;
  push: boolean;
  dryRun: boolean;
  /** Tags added to the Falco version and the content tag. */
  tags: string[];
  platform: Platform;
  /** The Falco version the images are for: the lock's, or the manifest's when there is no lock. */
  falcoVersion: string;
  /** The lock as the user named it; needed for the plugin-loader image. */
  lockFile?: string | undefined;
  /** extracted/ next to the lock by default. */
  extractedDir?: string | undefined;
  sources: ImageSources;
  access: RegistryAccess;
}

export interface BuildStageData {
  registry: string;
  pushed: boolean;
  dryRun: boolean;
  images: ImageBuildResult[];
}

export interface BuildPorts {
  engine: ContainerEngine;
  registry: ImageRegistry;
  close(): Promise<void>;
}

export interface BuildStageDeps extends StageDeps {
  /** The engine and registry client; the Docker engine at DOCKER_HOST and the OCI client by default. */
  createPorts?: ((access: RegistryAccess) => Promise<BuildPorts>) | undefined;
}

/** The build and push stages: plan the images, skip what the target holds, build, tag and push the rest. */
export async function buildStage(input: BuildStageInput, deps: BuildStageDeps): Promise<StageOutcome<BuildStageData>> {
  const lockPath = input.lockFile && resolve(deps.cwd, input.lockFile);
  const lock = lockPath
    ? {
        lock: await loadLock(lockPath, input.lockFile),
        lockBytes: await readFile(lockPath),
        extractedDir: resolve(deps.cwd, input.extractedDir ?? join(dirname(input.lockFile!), 'extracted')),
      }
    : undefined;
  const plans = await planImageSet({
    images: input.images,
    registry: input.registry,
    falcoVersion: input.falcoVersion,
    baseImage: input.sources.baseImage,
    falcoImage: input.sources.falcoImage,
    platform: input.platform,
    tags: input.tags,
    dockerDir: input.sources.dockerDir,
    lock,
    s3LoaderBinary: input.sources.s3LoaderBinary,
  });
  const ports = await (deps.createPorts ?? createBuildPorts)(input.access);
  const rows = new BuildTaskRows();
  let images: ImageBuildResult[];
  try {
    images = await buildImageSet(
      plans,
      { push: input.push, dryRun: input.dryRun, signal: deps.signal, onEvent: (event) => rows.rowsFor(event).forEach((row) => deps.reporter.event(row)) },
      ports,
    );
  } finally {
    await ports.close();
  }
  return { summary: summarize(images, input), data: { registry: input.registry, pushed: input.push, dryRun: input.dryRun, images } };
}

export async function createBuildPorts(access: RegistryAccess): Promise<BuildPorts> {
  const registry = await createRegistryClient(
    definedFields({ caFile: access.caFile, plainHttp: access.plainHttp, dockerConfigDir: access.dockerConfigDir, credentials: access.credentials }),
  );
  return { engine: createDockerEngine({ host: access.dockerHost }), registry, close: () => registry.close() };
}

const VERB: Record<ImageStatus, string> = {
  pushed: 'built and pushed',
  built: 'built',
  retagged: 'already there, tags moved',
  unchanged: 'unchanged',
  'would-build': 'would be built',
};

function summarize(images: ImageBuildResult[], input: BuildStageInput): string {
  const where = input.push ? input.registry : 'the engine';
  const lines = images.map((image) => `  ${image.image.padEnd(13)} ${VERB[image.status]}: ${image.references.join(' ')}`);
  const head = input.dryRun
    ? `dry run against ${where}:`
    : images.every((i) => i.status === 'unchanged')
      ? `nothing to build: ${where} holds every image`
      : `images for ${where}:`;
  return [head, ...lines].join('\n');
}

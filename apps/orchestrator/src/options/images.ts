import type { Command } from 'commander';
import { resolve } from 'node:path';

/** The image flags as commander parsed them. */
export interface ImageFlags {
  baseImage?: string | undefined;
  falcoImage?: string | undefined;
  dockerDir: string;
  s3LoaderBinary: string;
}

/** Where the Dockerfiles and the loader executable are, and what the images start from. */
export interface ImageSources {
  baseImage: string | undefined;
  falcoImage: string | undefined;
  dockerDir: string;
  s3LoaderBinary: string;
}

export const DEFAULT_DOCKER_DIR = 'docker';
export const DEFAULT_S3_LOADER_BINARY = 'apps/s3-loader/dist/falco-s3-loader';

/** Adds --base-image, --falco-image, --docker-dir and --s3-loader-binary. */
export function addImageOptions(command: Command): Command {
  return command
    .option('--base-image <ref>', 'AlmaLinux 9 image the falco and plugin-loader images start from (default: docker.io/library/almalinux:9-minimal)')
    .option('--falco-image <ref>', 'official Falco image the Falco files are copied from (default: docker.io/falcosecurity/falco:<falco version>)')
    .option('--docker-dir <dir>', 'the Dockerfiles (docker/ of the falco-airgap sources)', DEFAULT_DOCKER_DIR)
    .option('--s3-loader-binary <file>', 'the falco-s3-loader executable (npm run build -w @falco-airgap/s3-loader)', DEFAULT_S3_LOADER_BINARY);
}

export function imageSources(flags: ImageFlags, cwd: string): ImageSources {
  return {
    baseImage: flags.baseImage,
    falcoImage: flags.falcoImage,
    dockerDir: resolve(cwd, flags.dockerDir),
    s3LoaderBinary: resolve(cwd, flags.s3LoaderBinary),
  };
}

import { createDockerEngine, type ContainerEngine } from '@falco-airgap/container-engine';
import { ensureStandinImages, STANDIN_IMAGES, tar } from '@falco-airgap/fixtures';
import { requireTestbed } from '@falco-airgap/testbed/env';
import { readFile } from 'node:fs/promises';

/** The AlmaLinux stand-in plus libstdc++, which AlmaLinux 9 minimal ships (microdnf needs it) and the falco-s3-loader executable's embedded Node links. */
export const LOADER_BASE_IMAGE = 'falco-airgap-test/almalinux-standin-libstdcxx:9';
const HOST_LIBSTDCXX = '/usr/lib/x86_64-linux-gnu/libstdc++.so.6';

/**
 * Base images for building the falco-airgap images in tests: the stand-ins, and LOADER_BASE_IMAGE
 * on top of them (built each call; the engine's cache makes a repeat cheap).
 */
export async function ensureImageBases(engine: ContainerEngine): Promise<{ base: string; falco: string }> {
  await ensureStandinImages(engine);
  await engine.buildImage(
    tar([
      // The host's loader searches its own multiarch directory by default; the stand-in's cache lists only /usr/lib64.
      { type: 'file', path: 'Dockerfile', content: `FROM ${STANDIN_IMAGES.almalinux}\nCOPY libstdc++.so.6 /usr/lib/x86_64-linux-gnu/libstdc++.so.6\n` },
      { type: 'file', path: 'libstdc++.so.6', content: await readFile(HOST_LIBSTDCXX) },
    ]),
    { tags: [LOADER_BASE_IMAGE] },
  );
  return { base: LOADER_BASE_IMAGE, falco: STANDIN_IMAGES.falco };
}

/** ensureImageBases on the testbed's Docker engine, for tests that build images through the CLI. */
export async function ensureTestbedImageBases(): Promise<{ base: string; falco: string }> {
  return ensureImageBases(createDockerEngine({ host: requireTestbed('TESTBED_DOCKER_HOST').TESTBED_DOCKER_HOST }));
}

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { extract as tarExtract, pack as tarPack } from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContainerEngine, EngineProgressEvent, RegistryAuth } from './container-engine.ts';
import { EngineErrorCode, isEngineError } from './errors.ts';

/** Debian's busybox-static: one static binary is a whole userland for an image FROM scratch. */
const BUSYBOX = '/bin/busybox';
const PLATFORM = 'linux/amd64';
const MANIFEST_TYPES = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.index.v1+json',
].join(', ');

export interface ContainerEngineContractSetup {
  engine: ContainerEngine;
  /** A plain-HTTP registry the engine pushes to without credentials (`host:port`). */
  registry: string;
  /** A registry that refuses anonymous pushes, and credentials it accepts. */
  authRegistry?: { host: string; auth: RegistryAuth } | undefined;
  close?: () => Promise<void>;
}

async function failure(call: Promise<unknown>): Promise<unknown> {
  try {
    await call;
  } catch (error) {
    return error;
  }
  throw new Error('the call succeeded, but the contract expects it to fail');
}

/** A build context tar: `files` maps paths to contents. */
function context(files: Record<string, string | Buffer>): Promise<Buffer> {
  const pack = tarPack();
  for (const [name, content] of Object.entries(files)) pack.entry({ name, mode: name === 'busybox' ? 0o755 : 0o644, mtime: new Date(0) }, content);
  pack.finalize();
  return collect(pack);
}

async function collect(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

/** Every entry of a tar stream: name, type, link target and bytes. */
async function entries(archive: Readable): Promise<{ name: string; type: string; linkname: string | null | undefined; content: Buffer }[]> {
  const extractor = tarExtract();
  archive.pipe(extractor);
  const found = [];
  for await (const entry of extractor) {
    found.push({ name: entry.header.name, type: entry.header.type ?? 'file', linkname: entry.header.linkname, content: await collect(entry) });
  }
  return found;
}

/**
 * What every ContainerEngine must do, against a real engine and registry: build, run, copy out,
 * tag, push, pull, remove, and fail in ways a caller can tell apart.
 */
export function describeContainerEngineContract(name: string, open: () => Promise<ContainerEngineContractSetup>): void {
  describe(`ContainerEngine contract: ${name}`, () => {
    const run = randomBytes(4).toString('hex');
    const image = `container-engine-contract/busybox:${run}`;
    const names: string[] = [image];
    let setup: ContainerEngineContractSetup;
    let engine: ContainerEngine;
    let builtId: string;
    const buildEvents: EngineProgressEvent[] = [];

    beforeAll(async () => {
      setup = await open();
      engine = setup.engine;
      const tar = await context({
        busybox: readFileSync(BUSYBOX),
        'build/Containerfile': [
          'FROM scratch',
          'ARG GREETING',
          'COPY busybox /bin/busybox',
          'RUN ["/bin/busybox", "--install", "-s", "/bin"]',
          'RUN echo "$GREETING" > /greeting && ln -s /greeting /etc/greeting-link',
          'ENTRYPOINT ["/bin/sh", "-c"]',
          '',
        ].join('\n'),
      });
      const built = await engine.buildImage(tar, {
        tags: [image],
        dockerfile: 'build/Containerfile',
        buildArgs: { GREETING: `hello ${run}` },
        labels: { 'falco-airgap.test': run },
        platform: PLATFORM,
        onProgress: (event) => buildEvents.push(event),
      });
      builtId = built.id;
    });

    afterAll(async () => {
      for (const reference of names) await engine.removeImage(reference, { force: true });
      await setup.close?.();
    });

    it('answers a ping', async () => {
      await expect(engine.ping()).resolves.toBeUndefined();
    });

    it('builds from a tar context with a Dockerfile path, build args, labels, tags and platform', async () => {
      expect(builtId).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(buildEvents.some((e) => e.type === 'output' && /^Step 1\/\d+ : FROM scratch$/.test(e.text))).toBe(true);
      const info = await engine.inspectImage(image);
      expect(info).toMatchObject({ id: builtId, platform: PLATFORM, labels: { 'falco-airgap.test': run } });
      expect(info!.repoTags).toContain(image);
    });

    it('answers undefined for an image it does not hold', async () => {
      expect(await engine.inspectImage(`container-engine-contract/absent:${run}`)).toBeUndefined();
    });

    it('rejects a build whose step fails with ENGINE_BUILD_FAILED, the output attached, and tags nothing', async () => {
      const tag = `container-engine-contract/broken:${run}`;
      const tar = await context({
        busybox: readFileSync(BUSYBOX),
        Dockerfile: `FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "sh", "-c", "echo about to fail; exit 7"]\n`,
      });
      const error = await failure(engine.buildImage(tar, { tags: [tag] }));
      expect(isEngineError(error, EngineErrorCode.BuildFailed)).toBe(true);
      expect((error as Error).message).toMatch(/returned a non-zero code: 7/);
      expect((error as { output: string[] }).output.join('\n')).toContain('about to fail');
      expect(await engine.inspectImage(tag)).toBeUndefined();
    });

    it('answers the id of the final stage of a multi-stage build, the one its tag names', async () => {
      const tag = `container-engine-contract/multistage:${run}`;
      names.push(tag);
      const tar = await context({
        busybox: readFileSync(BUSYBOX),
        Dockerfile: [
          'FROM scratch AS tools',
          'COPY busybox /bin/busybox',
          'RUN ["/bin/busybox", "sh", "-c", "echo first > /stage"]',
          'FROM scratch',
          'COPY --from=tools /bin/busybox /bin/busybox',
          'RUN ["/bin/busybox", "sh", "-c", "echo final > /stage"]',
          '',
        ].join('\n'),
      });
      const built = await engine.buildImage(tar, { tags: [tag] });
      expect(built.id).toBe((await engine.inspectImage(tag))?.id);
    });

    it('rejects a build whose context lacks a copied file with ENGINE_BUILD_FAILED', async () => {
      const error = await failure(
        engine.buildImage(await context({ Dockerfile: 'FROM scratch\nCOPY missing /missing\n' }), { tags: [`contract/missing:${run}`] }),
      );
      expect(isEngineError(error, EngineErrorCode.BuildFailed)).toBe(true);
    });

    it('runs a container to its end: exit code, stdout and stderr apart, files put in beforehand', async () => {
      const files = await context({ 'data/input.txt': 'from the caller\n' });
      const result = await engine.run({
        image,
        cmd: ['cat /greeting /data/input.txt; echo to-stderr >&2; exit 3'],
        files,
        filesAt: '/',
      });
      expect(result).toEqual({ exitCode: 3, stdout: `hello ${run}\nfrom the caller\n`, stderr: 'to-stderr\n' });
    });

    it('runs with environment, user and working directory', async () => {
      const result = await engine.run({ image, cmd: ['echo "$NAME $(id -u) $(pwd)"'], env: { NAME: 'engine' }, user: '65534', workingDir: '/etc' });
      expect(result).toEqual({ exitCode: 0, stdout: 'engine 65534 /etc\n', stderr: '' });
    });

    it('copies a file out of a container as a tar, byte for byte, and stats paths without following links', async () => {
      const id = await engine.createContainer({ image, cmd: ['never started'] });
      try {
        const archived = await entries(await engine.getArchive(id, '/bin/busybox'));
        expect(archived.map((e) => [e.name, e.type])).toEqual([['busybox', 'file']]);
        expect(archived[0]!.content.equals(readFileSync(BUSYBOX))).toBe(true);

        expect(await engine.statPath(id, '/greeting')).toEqual({ name: 'greeting', size: `hello ${run}\n`.length, kind: 'file', linkTarget: undefined });
        expect(await engine.statPath(id, '/etc/greeting-link')).toMatchObject({ kind: 'symlink', linkTarget: '/greeting' });
        expect(await engine.statPath(id, '/etc')).toMatchObject({ kind: 'directory' });
        expect(await engine.statPath(id, '/no/such/file')).toBeUndefined();
        expect(isEngineError(await failure(engine.getArchive(id, '/no/such/file')), EngineErrorCode.NotFound)).toBe(true);
      } finally {
        expect(await engine.removeContainer(id, { force: true })).toBe(true);
      }
      expect(await engine.removeContainer(id)).toBe(false);
    });

    it('tags and pushes to a registry, which then holds the digest it answered', async () => {
      const target = `${setup.registry}/container-engine-contract/busybox:${run}`;
      names.push(target);
      await engine.tagImage(image, target);
      const events: EngineProgressEvent[] = [];
      const pushed = await engine.pushImage(target, { onProgress: (event) => events.push(event) });
      expect(pushed).toMatchObject({ tag: run, digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) });
      expect(events.some((e) => e.type === 'layer' && e.operation === 'push')).toBe(true);

      const byTag = await fetch(`http://${setup.registry}/v2/container-engine-contract/busybox/manifests/${run}`, {
        headers: { accept: MANIFEST_TYPES },
        signal: AbortSignal.timeout(10_000),
      });
      expect(byTag.status).toBe(200);
      expect(byTag.headers.get('docker-content-digest')).toBe(pushed.digest);
    });

    it('pulls by digest for a platform an image it no longer holds, and gets the same image back', async () => {
      const repository = `${setup.registry}/container-engine-contract/busybox`;
      const { digest } = await engine.pushImage(`${repository}:${run}`);
      const pinned = `${repository}@${digest}`;
      names.push(pinned);
      for (const reference of [...names]) await engine.removeImage(reference, { force: true });
      expect(await engine.inspectImage(builtId)).toBeUndefined();

      const events: EngineProgressEvent[] = [];
      await engine.pullImage(pinned, { platform: PLATFORM, onProgress: (event) => events.push(event) });
      const pulled = await engine.inspectImage(pinned);
      expect(pulled).toMatchObject({ id: builtId, platform: PLATFORM });
      expect(pulled!.repoDigests).toContain(pinned);
      expect(events.some((e) => e.type === 'status' && e.text.includes(digest))).toBe(true);
      // Put the test image back under its local name for whatever runs next.
      await engine.tagImage(pinned, image);
    });

    it('rejects a pull of a tag the registry does not have with ENGINE_PULL_FAILED', async () => {
      const error = await failure(engine.pullImage(`${setup.registry}/container-engine-contract/busybox:absent-${run}`, { platform: PLATFORM }));
      expect(isEngineError(error, EngineErrorCode.PullFailed)).toBe(true);
    });

    it('pushes to a registry that wants credentials only with them: ENGINE_UNAUTHORIZED without', async () => {
      if (!setup.authRegistry) return;
      const target = `${setup.authRegistry.host}/container-engine-contract/busybox:${run}`;
      names.push(target);
      await engine.tagImage(image, target);
      const refused = await failure(engine.pushImage(target));
      expect(isEngineError(refused, EngineErrorCode.Unauthorized)).toBe(true);
      expect(refused).toMatchObject({ category: 'input' });
      const pushed = await engine.pushImage(target, { auth: setup.authRegistry.auth });
      expect(pushed.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    });

    it('refuses to tag or push a digest reference, and tags nothing that does not exist', async () => {
      expect(isEngineError(await failure(engine.tagImage(image, `x/y@sha256:${'0'.repeat(64)}`)), EngineErrorCode.BadReference)).toBe(true);
      expect(isEngineError(await failure(engine.tagImage(`container-engine-contract/absent:${run}`, 'x/y:z')), EngineErrorCode.NotFound)).toBe(true);
    });

    it('bounds a run: a timeout rejects with ENGINE_TIMEOUT and an abort with ENGINE_ABORTED, promptly', async () => {
      const started = Date.now();
      const timedOut = await failure(engine.run({ image, cmd: ['sleep 60'], timeoutMs: 1_500 }));
      expect(isEngineError(timedOut, EngineErrorCode.Timeout)).toBe(true);

      const controller = new AbortController();
      setTimeout(() => controller.abort(new Error('stop')), 1_000);
      const aborted = await failure(engine.run({ image, cmd: ['sleep 60'], signal: controller.signal }));
      expect(isEngineError(aborted, EngineErrorCode.Aborted)).toBe(true);
      expect(Date.now() - started).toBeLessThan(30_000);
    });

    it('removes an image and says so; a second removal finds nothing', async () => {
      const extra = `container-engine-contract/extra:${run}`;
      await engine.tagImage(image, extra);
      expect(await engine.removeImage(extra)).toBe(true);
      expect(await engine.removeImage(extra)).toBe(false);
      expect(await engine.inspectImage(image)).toBeDefined();
    });
  });
}

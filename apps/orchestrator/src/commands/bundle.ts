import {
  createBundle,
  exportBundleFiles,
  generateSigningKeyPair,
  parseSize,
  pushBundle,
  readSigningKey,
  readVerifyKey,
  SIGNING_ALGORITHMS,
  unpackChart,
  verifyBundle,
  type BundleEvent,
  type BundleImageSource,
  type PushBundleResult,
  type SigningAlgorithm,
  type VerifiedBundle,
} from '@falco-airgap/bundle';
import { definedFields, isSupportedPlatform, SUPPORTED_PLATFORMS, makeDirectory } from '@falco-airgap/core';
import type { ComputedValues, PinnedImage } from '@falco-airgap/eks-deployer/deploy-plan';
import type { ImageName } from '@falco-airgap/image-builder';
import { loadLock } from '@falco-airgap/manifest';
import { createRegistryClient } from '@falco-airgap/oci';
import { existsSync } from 'node:fs';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { hostname, userInfo } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { stringify } from 'yaml';
import { CliError, CliErrorCode } from '../cli-error.ts';
import { LOADED_BUNDLE_FILE, LOADED_BUNDLE_KIND, type LoadedBundleRecord } from '../config/loaded-bundle.ts';
import type { CommandContext, CommandOutcome } from '../context.ts';
import { formatBytes } from '../output/human-reporter.ts';
import type { Reporter } from '../output/reporter.ts';
import { youngCollections } from '../output/young-collections.ts';
import { storeConnection, type StoreFlags } from '../options/store.ts';
import { version } from '../version.ts';

// The air gap: `bundle keygen` and `bundle create` on the connected side, `bundle verify` and `bundle load`
// on the isolated one. The bundle library does the work; this maps flags, files and output.

export interface BundleKeygenOptions {
  algorithm: string;
  out: string;
  force: boolean;
}

/** `falco-airgap bundle keygen`: a key pair for signing bundles; the private key is written 0600. */
export async function bundleKeygen(ctx: CommandContext, options: BundleKeygenOptions): Promise<CommandOutcome> {
  if (!(SIGNING_ALGORITHMS as readonly string[]).includes(options.algorithm)) {
    throw new CliError(`unknown --algorithm "${options.algorithm}"`, CliErrorCode.Usage, 'input', `use ${SIGNING_ALGORITHMS.join(' or ')}`);
  }
  const prefix = resolve(ctx.cwd, options.out);
  const privateFile = `${prefix}.key`;
  const publicFile = `${prefix}.pub`;
  for (const file of [privateFile, publicFile]) {
    if (existsSync(file) && !options.force) {
      throw new CliError(`${file} already exists`, CliErrorCode.Usage, 'input', 'choose another --out, or pass --force to replace the key pair');
    }
  }
  const pair = generateSigningKeyPair(options.algorithm as SigningAlgorithm);
  await makeDirectory(dirname(prefix));
  await rm(privateFile, { force: true });
  await writeFile(privateFile, pair.privateKeyPem, { mode: 0o600 });
  await writeFile(publicFile, pair.publicKeyPem, { mode: 0o644 });
  return {
    data: { algorithm: pair.algorithm, keyId: pair.keyId, privateKey: privateFile, publicKey: publicFile },
    summary: `wrote ${relative(ctx.cwd, privateFile)} (private, mode 0600) and ${relative(ctx.cwd, publicFile)} (${pair.algorithm}, ${pair.keyId}); cosign verify-blob --key ${relative(ctx.cwd, publicFile)} accepts the bundles it signs`,
  };
}

export interface BundleCreateOptions {
  env: string;
  out?: string | undefined;
  split?: string | undefined;
  signKey?: string | undefined;
  lock: string;
  extracted?: string | undefined;
  registry?: string | undefined;
  images: string;
  imageTag?: string | undefined;
  chart: string;
  values?: string[] | undefined;
  s3LoaderBinary: string | false;
  cliBinary?: string | false | undefined;
  createdAt?: string | undefined;
  creator?: string | undefined;
  caFile?: string | undefined;
  plainHttp?: string[] | undefined;
}

/** `falco-airgap bundle create`: everything the isolated side needs, in one signed, checksummed bundle. */
export async function bundleCreate(ctx: CommandContext, options: BundleCreateOptions): Promise<CommandOutcome> {
  if (!options.registry) {
    throw new CliError(
      'no registry to take the images from',
      CliErrorCode.Usage,
      'input',
      'pass --registry, or give the environment a registry in the configuration file',
    );
  }
  const splitSize = options.split === undefined ? undefined : parseSize(options.split);
  if (options.split !== undefined && splitSize === undefined) {
    throw new CliError(`--split "${options.split}" is not a size`, CliErrorCode.Usage, 'input', 'e.g. --split 4GiB or --split 700MB');
  }
  const out = resolve(ctx.cwd, options.out ?? `falco-airgap-${options.env}.tar`);
  if (splitSize !== undefined && !out.endsWith('.tar')) {
    throw new CliError('--split needs an archive: --out must end in .tar', CliErrorCode.Usage, 'input', `e.g. --out falco-airgap-${options.env}.tar`);
  }
  const lockFile = resolve(ctx.cwd, options.lock);
  const lock = await loadLock(lockFile, options.lock);
  const tag = options.imageTag ?? lock.falco.version;
  // Loaded here, not at the top: the image builder brings the Docker client, which a bundle never needs.
  const { IMAGE_NAMES, IMAGE_REPOSITORIES } = await import('@falco-airgap/image-builder');
  const images: BundleImageSource[] = parseImages(options.images, IMAGE_NAMES).map((name) => ({
    name,
    repository: IMAGE_REPOSITORIES[name],
    reference: `${options.registry}/${IMAGE_REPOSITORIES[name]}:${tag}`,
  }));
  const signingKey = options.signKey
    ? readSigningKey(await readFile(resolve(ctx.cwd, options.signKey)).catch(unreadable(options.signKey)), options.signKey)
    : undefined;
  const executable = (file: string, flag: string) => {
    const path = resolve(ctx.cwd, file);
    if (!existsSync(path)) {
      throw new CliError(
        `${file} does not exist`,
        CliErrorCode.Usage,
        'input',
        flag === '--cli-binary'
          ? 'build it with npm run build:sea -w @falco-airgap/cli, pass --cli-binary, or --no-cli-binary to leave it out'
          : `build it with npm run build -w @falco-airgap/s3-loader, pass ${flag}, or --no-${flag.slice(2)} to leave it out`,
      );
    }
    return path;
  };
  const cliBinary = options.cliBinary === false ? undefined : executable(options.cliBinary ?? thisExecutable(), '--cli-binary');
  const created = await createBundle(
    {
      out,
      splitSize,
      createdAt: createdAt(options.createdAt, ctx.environment.sourceDateEpoch),
      creator: options.creator ?? `${userInfo().username}@${hostname()}`,
      environment: options.env,
      falcoAirgapVersion: version,
      lockFile,
      extractedDir: resolve(ctx.cwd, options.extracted ?? join(dirname(options.lock), 'extracted')),
      images,
      chart: { dir: resolve(ctx.cwd, options.chart), valuesFiles: (options.values ?? []).map((file) => resolve(ctx.cwd, file)) },
      executables: {
        falcoS3Loader: options.s3LoaderBinary === false ? undefined : executable(options.s3LoaderBinary, '--s3-loader-binary'),
        falcoAirgap: cliBinary,
      },
      signingKey,
    },
    {
      registry: definedFields({
        caFile: options.caFile ? resolve(ctx.cwd, options.caFile) : undefined,
        plainHttp: options.plainHttp ?? [],
        dockerConfigDir: ctx.environment.dockerConfigDir,
        credentials: ctx.credentials.registry(options.env),
        proxy: ctx.environment.proxy,
        concurrency: 4,
      }),
      signal: ctx.signal,
      onEvent: reportBundleEvents(ctx.reporter),
    },
  );
  const where = created.format === 'archive' ? created.parts.map((p) => relative(ctx.cwd, p)).join(', ') : relative(ctx.cwd, created.out);
  const { manifest } = created;
  return {
    data: {
      out: created.out,
      format: created.format,
      parts: created.parts,
      digest: created.digest,
      archiveDigest: created.archiveDigest,
      size: created.size,
      files: manifest.files.length,
      platforms: manifest.platforms,
      versions: manifest.versions,
      images: manifest.images.map((i) => ({ name: i.name, digest: i.digest, source: i.source })),
      artifacts: manifest.artifacts.map((a) => ({ name: a.name, kind: a.kind, digest: a.digest, source: a.source })),
      signature: created.signature ?? null,
    },
    summary:
      `bundle ${created.digest} for env ${options.env}: ${manifest.images.length} images, ${manifest.artifacts.length} artifacts, ${manifest.files.length} files, ` +
      `${formatBytes(created.size)}, ${manifest.platforms.join(', ')}; ${created.signature ? `signed (${created.signature.algorithm}, ${created.signature.keyId})` : 'unsigned'}; written to ${where}`,
  };
}

export interface BundleVerifyOptions {
  key?: string | undefined;
  platform?: string[] | undefined;
}

/** `falco-airgap bundle verify`: the signature, then every file; exit 3 on the first problem, nothing written. */
export async function bundleVerify(ctx: CommandContext, path: string, options: BundleVerifyOptions): Promise<CommandOutcome> {
  const verified = await verifyFromFlags(ctx, path, options.key, options.platform ?? []);
  try {
    return { data: verifiedData(verified), summary: describeVerified(ctx, verified) };
  } finally {
    await verified.close();
  }
}

export interface BundleLoadOptions extends StoreFlags {
  env: string;
  key?: string | undefined;
  platform?: string[] | undefined;
  registry?: string | undefined;
  caFile?: string | undefined;
  plainHttp?: string[] | undefined;
  strategy?: string | undefined;
  publish: boolean;
  channel?: string | undefined;
  stateDir?: string | undefined;
  lockTimeout?: string | undefined;
}

/**
 * `falco-airgap bundle load`: verify, push every image and artifact to the environment's registry with its digest,
 * publish the plugins as an S3 release (strategy s3), and leave the chart and a values overlay for `deploy --env`.
 * Run again after an interruption, it continues: what the registry and the bucket hold is not sent again.
 */
export async function bundleLoad(ctx: CommandContext, path: string, options: BundleLoadOptions, stateDirDefault: string): Promise<CommandOutcome> {
  if (!options.registry) {
    throw new CliError(
      'no registry to load the bundle into',
      CliErrorCode.Usage,
      'input',
      'pass --registry, or give the environment a registry in the configuration file',
    );
  }
  const target = splitRegistry(options.registry);
  const strategy = options.strategy ?? 'sidecar';
  const publish = options.publish && strategy === 's3';
  if (publish && !options.bucket) {
    throw new CliError(
      `env ${options.env} uses strategy s3, but no bucket is set`,
      CliErrorCode.Usage,
      'input',
      'give the environment a store, pass --bucket, or --no-publish',
    );
  }
  const keys = publish ? await ctx.credentials.storeKeys({ bucket: options.bucket!, endpoint: options.endpoint }, options.env) : undefined;
  const store = publish ? storeConnection({ ...options, bucket: options.bucket! }, ctx.environment, keys) : undefined;
  const verified = await verifyFromFlags(ctx, path, options.key, options.platform?.length ? options.platform : ['linux/amd64']);
  try {
    const client = await createRegistryClient(
      definedFields({
        caFile: options.caFile ? resolve(ctx.cwd, options.caFile) : undefined,
        plainHttp: options.plainHttp ?? [],
        dockerConfigDir: ctx.environment.dockerConfigDir,
        credentials: ctx.credentials.registry(options.env),
        proxy: ctx.environment.proxy,
        // Blobs go up in pieces of this size, read from the bundle as they are sent: memory stays flat (8 MiB pieces cost 40 MB more at the peak, no time).
        chunkSize: 4 * 1024 * 1024,
        concurrency: 4,
      }),
    );
    let pushed: PushBundleResult;
    try {
      pushed = await pushBundle(verified, client, target, { signal: ctx.signal, onEvent: reportBundleEvents(ctx.reporter) });
    } finally {
      await client.close();
    }

    const stateDir = resolve(ctx.cwd, options.stateDir ?? stateDirDefault);
    const { manifest } = verified;
    await makeDirectory(stateDir);
    const lockedFiles = manifest.files.filter((f) => f.path === manifest.lock || f.path.startsWith('plugins/extracted/'));
    await exportBundleFiles(
      verified,
      lockedFiles.map((f) => ({ path: f.path, to: join(stateDir, f.path) })),
      ctx.signal,
    );
    const values: string[] = [];
    if (manifest.chart) {
      await unpackChart(await verified.readFile(manifest.chart.file), join(stateDir, 'chart'));
      await rm(join(stateDir, 'values'), { recursive: true, force: true });
      for (const file of manifest.chart.values) {
        const to = `values/${file.split('/').at(-1)!}`;
        await exportBundleFiles(verified, [{ path: file, to: join(stateDir, to) }], ctx.signal);
        values.push(to);
      }
    }

    let release: string | undefined;
    let published: unknown;
    if (store) {
      const { publishStage } = await import('../stages/publish-stage.ts');
      const outcome = await publishStage(
        {
          lockFile: join(stateDir, manifest.lock),
          extractedDir: join(stateDir, 'plugins/extracted'),
          platforms: [],
          channel: options.channel,
          dryRun: false,
          concurrency: 4,
          store,
          storeLock: { dir: ctx.environment.lockDir, waitMs: 60_000 },
        },
        ctx,
      );
      release = outcome.data.release;
      published = outcome.data;
    }

    const pinned = (name: ImageName): PinnedImage | undefined => {
      const image = pushed.images.find((i) => i.name === name);
      if (!image) return undefined;
      return { registry: image.registry, repository: image.repository, digest: image.digest, tag: image.tags[0] };
    };
    const computed: ComputedValues = {
      pluginStrategy: strategy as ComputedValues['pluginStrategy'],
      falcoVersion: manifest.versions.falco,
      images: definedFields({ falco: pinned('falco'), pluginLoader: pinned('plugin-loader'), s3Loader: pinned('s3-loader') }),
      ...(store
        ? {
            s3: definedFields({
              bucket: store.bucket,
              prefix: store.prefix,
              release,
              region: store.region,
              endpoint: store.endpoint,
              forcePathStyle: store.forcePathStyle,
            }),
          }
        : {}),
    };
    // The deploy plan module alone: the deployer's Kubernetes and AWS clients would double the memory of a load.
    const { computedValuesLayer } = await import('@falco-airgap/eks-deployer/deploy-plan');
    const overlay = 'values.yaml';
    await writeAtomically(
      join(stateDir, overlay),
      `# Written by falco-airgap bundle load from bundle ${verified.digest} for env ${options.env}; deploy --env ${options.env} layers it last.\n${stringify(computedValuesLayer(computed))}`,
    );
    const record: LoadedBundleRecord = {
      apiVersion: 'falco-airgap/v1alpha1',
      kind: LOADED_BUNDLE_KIND,
      bundle: verified.digest,
      environment: options.env,
      loadedAt: new Date().toISOString(),
      chart: 'chart',
      values,
      overlay,
    };
    await writeAtomically(join(stateDir, LOADED_BUNDLE_FILE), `${JSON.stringify(record, null, 2)}\n`);

    const sent = pushed.blobs.uploaded + pushed.blobs.mounted;
    return {
      data: {
        ...verifiedData(verified),
        registry: options.registry,
        images: pushed.images.map(entryData),
        artifacts: pushed.artifacts.map(entryData),
        blobs: pushed.blobs,
        manifestsWritten: pushed.manifestsWritten,
        tagsWritten: pushed.tagsWritten,
        release: release ?? null,
        publish: published ?? null,
        stateDir,
        overlay: join(stateDir, overlay),
      },
      summary:
        `${describeVerified(ctx, verified)}\n` +
        `loaded into ${options.registry}: ${pushed.images.length} images and ${pushed.artifacts.length} artifacts, ${sent} blobs sent, ${pushed.blobs.present} already there` +
        `${release ? `; plugins published as release ${release}` : ''}\n` +
        `values overlay ${relative(ctx.cwd, join(stateDir, overlay))}: deploy --env ${options.env} now installs the bundle's chart from ${options.registry}`,
    };
  } finally {
    await verified.close();
  }
}

async function verifyFromFlags(ctx: CommandContext, path: string, key: string | undefined, platforms: string[]): Promise<VerifiedBundle> {
  for (const platform of platforms) {
    if (!isSupportedPlatform(platform))
      throw new CliError(`unsupported --platform "${platform}"`, CliErrorCode.Usage, 'input', `use one of ${SUPPORTED_PLATFORMS.join(', ')}`);
  }
  const publicKey = key ? readVerifyKey(await readFile(resolve(ctx.cwd, key)).catch(unreadable(key)), key) : undefined;
  const verified = await verifyBundle(resolve(ctx.cwd, path), { publicKey, platforms, signal: ctx.signal, onEvent: reportBundleEvents(ctx.reporter) });
  if (verified.signature.status !== 'verified') {
    ctx.reporter.event({
      type: 'diagnostic',
      severity: 'warning',
      code: 'BUNDLE_SIGNATURE_NOT_CHECKED',
      message: `the bundle is ${verified.signature.signed ? 'signed' : 'not signed'}, but no key was given: its files match its manifest, but who made it is not checked`,
      hint: 'pass --key with the public key of the connected side',
    });
  }
  return verified;
}

function verifiedData(verified: VerifiedBundle) {
  const { manifest } = verified;
  return {
    bundle: verified.location,
    format: verified.format,
    parts: verified.parts,
    digest: verified.digest,
    signature: verified.signature,
    createdAt: manifest.createdAt,
    creator: manifest.creator,
    environment: manifest.environment ?? null,
    platforms: manifest.platforms,
    versions: manifest.versions,
    files: manifest.files.length,
    size: verified.totalBytes,
  };
}

function describeVerified(ctx: CommandContext, verified: VerifiedBundle): string {
  const { manifest, signature } = verified;
  const signed = signature.status === 'verified' ? `signature verified (${signature.algorithm}, ${signature.keyId})` : 'signature NOT checked';
  return (
    `bundle ${verified.digest} (${relative(ctx.cwd, verified.location) || '.'}) verified: ${manifest.files.length} files, ${formatBytes(verified.totalBytes)}, ` +
    `${signed}; Falco ${manifest.versions.falco} for ${manifest.platforms.join(', ')}, created ${manifest.createdAt} by ${manifest.creator}`
  );
}

function entryData(entry: PushBundleResult['images'][number]) {
  return {
    name: entry.name,
    kind: entry.kind,
    reference: `${entry.registry}/${entry.repository}@${entry.digest}`,
    tags: entry.tags,
    blobsUploaded: entry.report.blobsUploaded,
    blobsMounted: entry.report.blobsMounted,
    manifestsWritten: entry.report.manifestsWritten,
  };
}

/** The bundle library's events as the CLI's task rows; transfers keep the garbage of socket reads collected as they go. */
export function reportBundleEvents(reporter: Reporter): (event: BundleEvent) => void {
  const transferred = youngCollections();
  return (event) => {
    switch (event.type) {
      case 'transfer':
        transferred(event.bytes);
        return;
      case 'pull':
        reporter.event({
          type: 'task',
          id: `pull:${event.name}:${event.reference}`,
          title: `pull ${event.name}`,
          status: event.status,
          detail: event.status === 'done' ? `${event.blobs} blobs, ${formatBytes(event.bytes ?? 0)}` : event.reference,
        });
        return;
      case 'write':
        if (event.status === 'done') {
          reporter.event({
            type: 'task',
            id: 'write',
            title: 'write the archive',
            status: 'done',
            detail: `${event.parts?.length ?? 1} part(s), ${formatBytes(event.written)}`,
          });
        } else {
          reporter.event({ type: 'progress', id: 'write', loaded: event.written, total: event.total });
        }
        return;
      case 'verify': {
        const title = { signature: 'check the signature', files: 'check every file', layout: 'check the OCI layout and the lock' }[event.phase];
        if (event.phase === 'files' && event.status === 'running' && event.checked !== undefined && event.checked > 0) {
          reporter.event({
            type: 'progress',
            id: `verify:${event.phase}`,
            loaded: event.checked,
            ...(event.total !== undefined ? { total: event.total } : {}),
          });
          return;
        }
        reporter.event({ type: 'task', id: `verify:${event.phase}`, title, status: event.status, detail: event.detail });
        return;
      }
      case 'push':
        reporter.event({
          type: 'task',
          id: `push:${event.repository}`,
          title: `push ${event.name}`,
          status: event.status,
          detail: event.report
            ? `${event.report.blobsUploaded} uploaded, ${event.report.blobsMounted} mounted, ${event.report.tagsWritten.length} tags written`
            : event.repository,
        });
        return;
    }
  };
}

function parseImages(list: string, known: readonly string[]): ImageName[] {
  const names = list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const name of names) {
    if (!known.includes(name)) {
      throw new CliError(`unknown image "${name}" in --images`, CliErrorCode.Usage, 'input', `use a comma-separated list of ${known.join(', ')}`);
    }
  }
  return [...new Set(names)] as ImageName[];
}

/** `host[:port][/path]` as the registry and the path the repositories go under. */
function splitRegistry(registry: string): { registry: string; path?: string } {
  const slash = registry.indexOf('/');
  return slash < 0 ? { registry } : { registry: registry.slice(0, slash), path: registry.slice(slash + 1).replace(/\/+$/, '') };
}

/** --created-at (RFC 3339, or @seconds), else SOURCE_DATE_EPOCH, else now. */
function createdAt(flag: string | undefined, sourceDateEpoch: string | undefined): Date {
  const text = flag ?? (sourceDateEpoch === undefined ? undefined : `@${sourceDateEpoch}`);
  if (text === undefined) return new Date(Math.floor(Date.now() / 1000) * 1000);
  const date = /^@\d+$/.test(text) ? new Date(Number(text.slice(1)) * 1000) : new Date(text);
  if (Number.isNaN(date.getTime())) {
    throw new CliError(
      `${flag === undefined ? 'SOURCE_DATE_EPOCH' : '--created-at'} "${text}" is not a time`,
      CliErrorCode.Usage,
      'input',
      'give an RFC 3339 time (2026-01-31T12:00:00Z) or @seconds since the epoch',
    );
  }
  return date;
}

/** The falco-airgap single executable: this process when it is one, else the one `npm run build:sea` writes. */
function thisExecutable(): string {
  // Loaded at run time by its node: name, which bundlers would otherwise strip (node:sea has no other).
  const { isSea } = createRequire(import.meta.url)('node:sea') as { isSea(): boolean };
  if (isSea()) return process.execPath;
  return join(dirname(createRequire(import.meta.url).resolve('@falco-airgap/cli/package.json')), 'dist', 'falco-airgap');
}

function unreadable(file: string) {
  return (cause: NodeJS.ErrnoException): never => {
    throw new CliError(`cannot read ${file}: ${cause.code ?? cause.message}`, CliErrorCode.Usage, 'input', 'check the path of the key', cause);
  };
}

async function writeAtomically(file: string, text: string): Promise<void> {
  await writeFile(`${file}.partial`, text);
  await rename(`${file}.partial`, file);
}

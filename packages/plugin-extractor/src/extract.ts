import { createLimit, isFalcoAirgapError, parseReference, platformDirectory, type ImageReference, type Platform } from '@falco-airgap/core';
import {
  isArtifactSource,
  MANIFEST_API_VERSION,
  LOCK_KIND,
  parseLock,
  serializeLock,
  type LockedPlugin,
  type LockedRulesfile,
  type PluginEntry,
  type PluginsLock,
  type PluginsManifest,
  type RulesfileEntry,
} from '@falco-airgap/manifest';
import type { RegistryClient } from '@falco-airgap/oci';
import { readFile } from 'node:fs/promises';
import { establishApiVersion } from './api-version.ts';
import { stageRulesfileArtifact, stagePluginArtifact, type ApiVersionContext, type ArtifactContext } from './artifact-source.ts';
import { ExtractError, ExtractErrorCode, toExtractError } from './errors.ts';
import { BlobProgress, type ExtractEventListener, type ExtractItem } from './events.ts';
import type { ImageSource } from './image-source.ts';
import { assertMatchesLock, keepOtherPlatforms, reconcileLock } from './lock-writer.ts';
import { OutputDirectory, type InstallOutcome } from './output-dir.ts';
import { checkPluginFile } from './plugin-check.ts';
import type { StagedPluginFile, StagedRulesfile, TransferStats } from './staged.ts';
import { ARTIFACT_LIMITS, type ArchiveLimits } from './tar-safety.ts';

export const LOCK_FILE = 'plugins-lock.yaml';
export const EXTRACTED_DIR = 'extracted';

export interface ExtractRequest {
  manifest: PluginsManifest;
  /** sha256 of the manifest bytes, recorded in the lock. */
  manifestSha256: string;
  /** The plugins directory: extracted/, source/ and plugins-lock.yaml go under it. */
  outDir: string;
  /** A subset of the manifest's platforms; all of them by default. */
  platforms?: readonly Platform[] | undefined;
  /** Refuse to change anything unless the run resolves exactly what the lock holds. */
  locked?: boolean | undefined;
  /** Also write the whole filesystem of image sources under source/ (large). */
  keepSource?: boolean | undefined;
  artifactLimits?: ArchiveLimits | undefined;
  signal?: AbortSignal | undefined;
  now?: (() => Date) | undefined;
  onEvent?: ExtractEventListener | undefined;
}

/** What talks to the world, injected: the registry client and the way images are read. */
export interface ExtractPorts {
  registry: RegistryClient;
  imageSource: ImageSource;
  /** Shared with the image source, so the totals cover every blob. */
  stats: TransferStats;
}

export interface ExtractedFile {
  path: string;
  sha256: string;
  status: InstallOutcome;
}

export interface ExtractResult {
  lock: PluginsLock;
  lockFile: string;
  lockStatus: InstallOutcome;
  files: ExtractedFile[];
  stats: TransferStats;
}

interface StagedPlugin {
  entry: PluginEntry;
  platforms: StagedPluginFile[];
}

interface StagedRules {
  entry: RulesfileEntry;
  staged: StagedRulesfile;
}

/**
 * Pulls everything the manifest names, verifies it, and only when every item passed moves the
 * files into place and writes the lock. A failure anywhere leaves the output directory as it was.
 */
export async function extract(request: ExtractRequest, ports: ExtractPorts): Promise<ExtractResult> {
  const emit = request.onEvent ?? (() => undefined);
  const platforms = request.platforms?.length ? [...request.platforms] : request.manifest.platforms;
  for (const platform of platforms) {
    if (!request.manifest.platforms.includes(platform)) {
      throw new ExtractError(
        ExtractErrorCode.PlatformMissing,
        `\`platforms\` ${platform} is not among the manifest's platforms (${request.manifest.platforms.join(', ')})`,
        'add it to platforms in the manifest first',
      );
    }
  }
  const output = new OutputDirectory(request.outDir);
  const lockFile = `${output.root}/${LOCK_FILE}`;
  const previous = await readPreviousLock(lockFile, request.locked === true);
  await output.open();
  try {
    const ctx: ArtifactContext = {
      client: ports.registry,
      output,
      limits: request.artifactLimits ?? ARTIFACT_LIMITS,
      stats: ports.stats,
      signal: request.signal,
    };
    const limit = createLimit(16);
    const stage = async <T>(item: ExtractItem, reference: string, work: (progress: BlobProgress) => Promise<T>): Promise<T> => {
      emit({ type: 'resolve', item, reference });
      try {
        const result = await work(new BlobProgress(item, emit));
        emit({ type: 'stage', item, status: 'staged' });
        return result;
      } catch (error) {
        const failure = toExtractError(error);
        emit({ type: 'stage', item, status: 'failed', code: isFalcoAirgapError(failure) ? failure.code : undefined });
        throw failure;
      }
    };

    const plugins = request.manifest.plugins.map(async (entry): Promise<StagedPlugin> => {
      const reference = referenceOf(entry);
      const apiContext: ApiVersionContext = { manifestStatement: entry.requiredApiVersion, falcoVersion: request.manifest.falco.version };
      const staged = await settleAll(
        platforms.map((platform) =>
          limit(() => {
            const item: ExtractItem = { kind: 'plugin', name: entry.name, version: entry.version, platform };
            return stage(item, displayOf(entry), async (progress) => {
              const file = isArtifactSource(entry.from)
                ? await stagePluginArtifact(
                    ctx,
                    { name: entry.name, version: entry.version, reference, display: entry.from.artifact },
                    platform,
                    progress,
                    apiContext,
                  )
                : await stageImagePlugin(ctx, ports.imageSource, entry, reference, platform, request.keepSource === true, progress, apiContext);
              for (const warning of file.warnings) emit({ type: 'warning', item, ...warning });
              return file;
            });
          }),
        ),
      );
      return { entry, platforms: staged };
    });
    const rulesfiles = request.manifest.rulesfiles.map((entry) =>
      limit(() =>
        stage({ kind: 'rulesfile', name: entry.name, version: entry.version }, displayOf(entry), async (progress): Promise<StagedRules> => {
          if (!isArtifactSource(entry.from)) {
            throw new ExtractError(
              ExtractErrorCode.BadReference,
              `rulesfile ${entry.name} names an image; rulesfiles come from artifacts`,
              'use from.artifact for rulesfiles',
            );
          }
          return {
            entry,
            staged: await stageRulesfileArtifact(
              ctx,
              { name: entry.name, version: entry.version, reference: referenceOf(entry), display: entry.from.artifact },
              progress,
            ),
          };
        }),
      ),
    );
    // Every item runs to its end before the first failure is thrown, so nothing still writes into staging.
    await Promise.allSettled([...plugins, ...rulesfiles]);
    const stagedPlugins = await settleAll(plugins);
    const stagedRules = await settleAll(rulesfiles);
    checkRulesConflicts(stagedRules);

    const resolved = keepOtherPlatforms(previous, buildLock(request, stagedPlugins, stagedRules, previous?.generatedAt), platforms);
    if (request.locked) assertMatchesLock(previous!, resolved, lockFile);
    const lock = reconcileLock(previous, { ...resolved, generatedAt: (request.now ?? (() => new Date()))().toISOString() });

    const files: ExtractedFile[] = [];
    const install = async (stagedFile: string, path: string, sha256: string): Promise<void> => {
      const status = await output.installFile(stagedFile, path, sha256);
      files.push({ path, sha256, status });
      emit({ type: 'install', path, sha256, status });
    };
    for (const plugin of stagedPlugins) {
      for (const p of plugin.platforms) {
        const path = `${EXTRACTED_DIR}/${pluginPath(plugin.entry.name, p.platform)}`;
        await install(p.stagedFile, path, p.sha256);
        if (p.source) await output.installDirectory(p.source.stagedDir, p.source.relativeDir, p.source.files);
      }
    }
    for (const { staged } of stagedRules) {
      for (const f of staged.files) {
        const path = `${EXTRACTED_DIR}/rules/${f.relativePath}`;
        await install(f.stagedFile, path, f.sha256);
      }
      if (staged.source) await output.installDirectory(staged.source.stagedDir, staged.source.relativeDir, staged.source.files);
    }
    const lockStatus = await output.writeFile(LOCK_FILE, serializeLock(lock));
    return { lock, lockFile, lockStatus, files, stats: ports.stats };
  } finally {
    await output.close();
  }
}

async function stageImagePlugin(
  ctx: ArtifactContext,
  source: ImageSource,
  entry: PluginEntry,
  reference: ImageReference,
  platform: Platform,
  keepSource: boolean,
  progress: BlobProgress,
  apiContext: ApiVersionContext,
): Promise<StagedPluginFile> {
  if (isArtifactSource(entry.from)) throw new Error('unreachable: artifact entry given to the image path');
  const display = entry.from.image;
  const stagingDir = await ctx.output.stagingDirectory(`${entry.name}-${platformDirectory(platform)}`);
  const staged = await source.stageFile({ reference, display, path: entry.from.path, platform, stagingDir, keepSource, progress, signal: ctx.signal });
  const what = `${entry.from.path} from ${display} (${platform})`;
  const facts = checkPluginFile(await readFile(staged.stagedFile), platform, what);
  const apiVersion = establishApiVersion({ what, configRequirement: undefined, library: facts.apiVersion, ...apiContext });
  return {
    platform,
    resolvedDigest: staged.resolvedDigest,
    manifestDigest: staged.manifestDigest,
    layerDigest: staged.layerDigest,
    stagedFile: staged.stagedFile,
    sha256: staged.sha256,
    size: staged.size,
    elfMachine: facts.elfMachine,
    pluginApiVersion: apiVersion.version,
    pluginApiVersionSource: apiVersion.source,
    warnings: apiVersion.warnings,
    source: staged.filesystemDir
      ? { stagedDir: staged.filesystemDir, relativeDir: `source/${entry.name}-${entry.version}/${platformDirectory(platform)}` }
      : undefined,
  };
}

function displayOf(entry: PluginEntry | RulesfileEntry): string {
  return isArtifactSource(entry.from) ? entry.from.artifact : entry.from.image;
}

function referenceOf(entry: PluginEntry | RulesfileEntry): ImageReference {
  const parsed = parseReference(displayOf(entry));
  if (!parsed.ok)
    throw new ExtractError(
      ExtractErrorCode.BadReference,
      `${entry.name}: ${parsed.detail}`,
      'fix the reference in the manifest (falco-airgap manifest validate shows where)',
    );
  return parsed.reference;
}

export function pluginPath(name: string, platform: Platform): string {
  return `${platformDirectory(platform)}/lib${name}.so`;
}

/** Waits for every item so no download is left running, then throws the first failure. */
async function settleAll<T>(promises: Promise<T>[]): Promise<T[]> {
  const results = await Promise.allSettled(promises);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return results.map((r) => (r as PromiseFulfilledResult<T>).value);
}

function checkRulesConflicts(rules: StagedRules[]): void {
  const owners = new Map<string, string>();
  for (const { entry, staged } of rules) {
    for (const f of staged.files) {
      const owner = owners.get(f.relativePath);
      if (owner) {
        throw new ExtractError(
          ExtractErrorCode.ConfigMismatch,
          `rulesfiles ${owner} and ${entry.name} both provide ${f.relativePath}`,
          'keep only one of them in the manifest',
        );
      }
      owners.set(f.relativePath, entry.name);
    }
  }
}

function buildLock(request: ExtractRequest, plugins: StagedPlugin[], rules: StagedRules[], generatedAt: string | undefined): PluginsLock {
  return {
    apiVersion: MANIFEST_API_VERSION,
    kind: LOCK_KIND,
    generatedAt: generatedAt ?? '',
    falco: { version: request.manifest.falco.version },
    manifestSha256: request.manifestSha256,
    plugins: plugins.map(({ entry, platforms }): LockedPlugin => ({
      name: entry.name,
      version: entry.version,
      source: entry.from,
      resolvedDigest: platforms[0]?.resolvedDigest ?? '',
      platforms: platforms.map((p) => ({
        platform: p.platform,
        manifestDigest: p.manifestDigest,
        layerDigest: p.layerDigest ?? '',
        file: `lib${entry.name}.so`,
        sha256: p.sha256,
        size: p.size,
        elfMachine: p.elfMachine,
        pluginApiVersion: p.pluginApiVersion,
        pluginApiVersionSource: p.pluginApiVersionSource,
        path: pluginPath(entry.name, p.platform),
      })),
    })),
    rulesfiles: rules.map(({ entry, staged }): LockedRulesfile => ({
      name: entry.name,
      version: entry.version,
      source: entry.from,
      resolvedDigest: staged.resolvedDigest,
      manifestDigest: staged.manifestDigest,
      layerDigest: staged.layerDigest,
      files: staged.files.map((f) => ({ file: f.file, sha256: f.sha256, size: f.size, path: `rules/${f.relativePath}` })),
    })),
  };
}

async function readPreviousLock(file: string, required: boolean): Promise<PluginsLock | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new ExtractError(ExtractErrorCode.WriteFailed, `cannot read ${file}: ${(error as Error).message}`, 'check its permissions', error);
    if (required)
      throw new ExtractError(
        ExtractErrorCode.LockMissing,
        `\`locked\` needs ${file}, which does not exist`,
        'run extract once without `locked` and commit the lock',
      );
    return undefined;
  }
  return parseLock(text, file);
}

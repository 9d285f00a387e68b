import { createLimit, isFalcoAirgapError, lockDirectory, parseReference, platformDirectory, type ImageReference, type Platform } from '@falco-airgap/core';
import {
  isArtifactSource,
  MANIFEST_API_VERSION,
  LOCK_KIND,
  parseLock,
  serializeLock,
  type LockedDependency,
  type LockedPlugin,
  type LockedRulesfile,
  type LockedSignature,
  type PluginEntry,
  type PluginsLock,
  type PluginsManifest,
  type RulesfileEntry,
} from '@falco-airgap/manifest';
import type { RegistryClient } from '@falco-airgap/oci';
import { readFile } from 'node:fs/promises';
import { establishApiVersion } from './api-version.ts';
import {
  IN_MEMORY_BUDGET_BYTES,
  planPluginArtifact,
  planRulesfileArtifact,
  stagePluginArtifact,
  stageRulesfileArtifact,
  type ApiVersionContext,
  type ArtifactContext,
  type ArtifactRequest,
  type PlannedArtifact,
} from './artifact-source.ts';
import { SignatureChecks, type SignatureKey } from './cosign-signature.ts';
import { declarationError, declarationKey, resolveDeclarations, type ArtifactDeclarations } from './dependencies.ts';
import { ExtractError, ExtractErrorCode, toExtractError } from './errors.ts';
import type { FalcoArtifactConfig } from './falco-config.ts';
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
  /**
   * Require a cosign signature by this key over the digest every artifact and image resolves to
   * (`readSignatureKey` reads one); a missing or bad one refuses the run before any layer is fetched.
   */
  signatureKey?: SignatureKey | undefined;
  artifactLimits?: ArchiveLimits | undefined;
  /** Layer bytes held in memory at once while unpacking (256 MiB by default); layers beyond it are unpacked as streams, more slowly. */
  memoryBytes?: number | undefined;
  /** How long to wait while another extract uses the same output directory; 0 (the default) refuses at once with `LOCK_HELD`. */
  lockWaitMs?: number | undefined;
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

/** One plugin platform before its layer is fetched: artifacts are planned down to their config, images not yet touched. */
interface PlatformPlan {
  platform: Platform;
  item: ExtractItem;
  progress: BlobProgress;
  planned: PlannedArtifact | undefined;
}

interface PluginPlan {
  entry: PluginEntry;
  reference: ImageReference;
  platforms: PlatformPlan[];
}

interface RulesPlan {
  entry: RulesfileEntry;
  request: ArtifactRequest;
  item: ExtractItem;
  progress: BlobProgress;
  planned: PlannedArtifact;
}

/**
 * Pulls everything the manifest names, verifies it, and only when every item passed moves the
 * files into place and writes the lock. A failure anywhere leaves the output directory as it was.
 * Artifacts are resolved down to their configs first, so unmet dependencies and requirements are
 * refused before any layer is downloaded; a re-run whose lock still holds reads no layer at all.
 */
export async function extract(request: ExtractRequest, ports: ExtractPorts): Promise<ExtractResult> {
  // Two runs staging and renaming in one directory would damage each other's files: one at a time.
  const lock = await lockDirectory(request.outDir, {
    purpose: 'extract',
    waitMs: request.lockWaitMs,
    signal: request.signal,
    onWait: (holder) => request.onEvent?.({ type: 'lock-wait', outDir: request.outDir, holder }),
  });
  try {
    return await extractLocked(request, ports);
  } finally {
    await lock.release();
  }
}

async function extractLocked(request: ExtractRequest, ports: ExtractPorts): Promise<ExtractResult> {
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
  const signatures = request.signatureKey ? new SignatureChecks(ports.registry, request.signatureKey, request.signal) : undefined;
  if (previous && !request.keepSource) {
    const unchanged = await unchangedSinceLock(request, previous, platforms, output, ports, signatures, emit).catch((error: unknown) => {
      throw toExtractError(error);
    });
    if (unchanged) return { ...unchanged, lockFile };
  }
  await output.open();
  try {
    const ctx: ArtifactContext = {
      client: ports.registry,
      output,
      limits: request.artifactLimits ?? ARTIFACT_LIMITS,
      stats: ports.stats,
      keepSource: request.keepSource === true,
      memory: { free: request.memoryBytes ?? IN_MEMORY_BUDGET_BYTES },
      signal: request.signal,
    };
    const limit = createLimit(16);
    /** Runs one step of an item; a failure is reported on the item's row, and `staged` when the item is done. */
    const step = async <T>(item: ExtractItem, work: () => Promise<T>, done: boolean): Promise<T> => {
      try {
        const result = await work();
        if (done) emit({ type: 'stage', item, status: 'staged' });
        return result;
      } catch (error) {
        const failure = toExtractError(error);
        emit({ type: 'stage', item, status: 'failed', code: isFalcoAirgapError(failure) ? failure.code : undefined });
        throw failure;
      }
    };

    // 1. Every artifact down to its config: manifests and configs are small, layers wait.
    const pluginPlans = request.manifest.plugins.map(async (entry): Promise<PluginPlan> => {
      const reference = referenceOf(entry);
      const perPlatform = await settleAll(
        platforms.map((platform) =>
          limit(async (): Promise<PlatformPlan> => {
            const item: ExtractItem = { kind: 'plugin', name: entry.name, version: entry.version, platform };
            const progress = new BlobProgress(item, emit);
            if (!isArtifactSource(entry.from)) return { platform, item, progress, planned: undefined };
            emit({ type: 'resolve', item, reference: entry.from.artifact });
            const artifact = artifactRequest(entry, reference);
            return { platform, item, progress, planned: await step(item, () => planPluginArtifact(ctx, artifact, platform, progress), false) };
          }),
        ),
      );
      return { entry, reference, platforms: perPlatform };
    });
    const rulesPlans = request.manifest.rulesfiles.map((entry) =>
      limit(async (): Promise<RulesPlan> => {
        const item: ExtractItem = { kind: 'rulesfile', name: entry.name, version: entry.version };
        const progress = new BlobProgress(item, emit);
        emit({ type: 'resolve', item, reference: displayOf(entry) });
        return step(
          item,
          async () => {
            if (!isArtifactSource(entry.from)) {
              throw new ExtractError(
                ExtractErrorCode.BadReference,
                `rulesfile ${entry.name} names an image; rulesfiles come from artifacts`,
                'use from.artifact for rulesfiles',
              );
            }
            const artifact = artifactRequest(entry, referenceOf(entry));
            return { entry, request: artifact, item, progress, planned: await planRulesfileArtifact(ctx, artifact, progress) };
          },
          false,
        );
      }),
    );
    // Every item runs to its end before the first failure is thrown, so nothing still writes into staging.
    await Promise.allSettled([...pluginPlans, ...rulesPlans]);
    const plannedPlugins = await settleAll(pluginPlans);
    const plannedRules = await settleAll(rulesPlans);

    // 1b. Signatures over the digests the references resolved to: a refusal costs no layer download.
    const verified = signatures ? await verifyPlanned(ctx, signatures, plannedPlugins, plannedRules, emit) : new Map<string, VerifiedEntry>();

    // 2. Dependencies and requirements, from the configs alone: a refusal costs no layer download.
    const declarations = resolveDeclarations(
      [...plannedPlugins.flatMap(pluginDeclarations), ...plannedRules.map((r) => declarationsOf('rulesfile', r.entry, [r.planned.config]))],
      request.manifest.plugins,
      request.manifest.falco.version,
    );
    const itemsOf = (artifact: { kind: 'plugin' | 'rulesfile'; name: string }): ExtractItem[] =>
      artifact.kind === 'rulesfile'
        ? plannedRules.filter((r) => r.entry.name === artifact.name).map((r) => r.item)
        : plannedPlugins.filter((p) => p.entry.name === artifact.name).flatMap((p) => p.platforms.map((q) => q.item));
    for (const warning of declarations.warnings) {
      const [item] = itemsOf(warning.artifact);
      if (item) emit({ type: 'warning', item, code: warning.code, message: warning.message, hint: warning.hint });
    }
    if (declarations.problems.length) {
      for (const problem of declarations.problems)
        for (const item of itemsOf(problem.artifact)) emit({ type: 'stage', item, status: 'failed', code: problem.code });
      throw declarationError(declarations.problems);
    }

    // 3. Layers and image files, verified and staged.
    const apiContext = (entry: PluginEntry): ApiVersionContext => ({
      manifestStatement: entry.requiredApiVersion,
      falcoVersion: request.manifest.falco.version,
    });
    const plugins = plannedPlugins.map(async ({ entry, reference, platforms: planned }): Promise<StagedPlugin> => {
      const staged = await settleAll(
        planned.map(({ platform, item, progress, planned: artifact }) =>
          limit(() => {
            if (!artifact) emit({ type: 'resolve', item, reference: displayOf(entry) });
            return step(
              item,
              async () => {
                const file = artifact
                  ? await stagePluginArtifact(ctx, artifactRequest(entry, reference), artifact, platform, progress, apiContext(entry))
                  : await stageImagePlugin(ctx, ports.imageSource, entry, reference, platform, request.keepSource === true, progress, apiContext(entry));
                for (const warning of file.warnings) emit({ type: 'warning', item, ...warning });
                return file;
              },
              true,
            );
          }),
        ),
      );
      return { entry, platforms: staged };
    });
    const rulesfiles = plannedRules.map((plan) =>
      limit(() =>
        step(
          plan.item,
          async (): Promise<StagedRules> => ({ entry: plan.entry, staged: await stageRulesfileArtifact(ctx, plan.request, plan.planned, plan.progress) }),
          true,
        ),
      ),
    );
    await Promise.allSettled([...plugins, ...rulesfiles]);
    const stagedPlugins = await settleAll(plugins);
    const stagedRules = await settleAll(rulesfiles);
    checkRulesConflicts(stagedRules);
    checkVerifiedDigests(verified, stagedPlugins);

    const signatureOf = (kind: 'plugin' | 'rulesfile', name: string, resolvedDigest: string): LockedSignature | undefined => {
      if (signatures) return verified.get(declarationKey(kind, name))?.signature;
      // Without a key nothing is checked: a signature verified earlier stays recorded while the digest it signs does.
      const before = kind === 'plugin' ? previous?.plugins.find((p) => p.name === name) : previous?.rulesfiles.find((r) => r.name === name);
      return before?.resolvedDigest === resolvedDigest ? before.signature : undefined;
    };
    const built = buildLock(request, stagedPlugins, stagedRules, declarations.dependencies, signatureOf, previous?.generatedAt);
    const resolved = keepOtherPlatforms(previous, built, platforms);
    if (request.locked) assertMatchesLock(previous!, resolved, lockFile);
    // A locked run that passed changes nothing, not even what the lock did not record yet.
    const lock = request.locked ? previous! : reconcileLock(previous, { ...resolved, generatedAt: (request.now ?? (() => new Date()))().toISOString() });

    const install = async (stagedFile: string, path: string, sha256: string): Promise<ExtractedFile> => {
      const status = await output.installFile(stagedFile, path, sha256);
      emit({ type: 'install', path, sha256, status });
      return { path, sha256, status };
    };
    // Files go into place side by side (each is one rename), listed in manifest order.
    const files = await settleAll([
      ...stagedPlugins.flatMap((plugin) =>
        plugin.platforms.map(async (p) => {
          const installed = await install(p.stagedFile, `${EXTRACTED_DIR}/${pluginPath(plugin.entry.name, p.platform)}`, p.sha256);
          if (p.source) await output.installDirectory(p.source.stagedDir, p.source.relativeDir, p.source.files);
          return [installed];
        }),
      ),
      ...stagedRules.map(async ({ staged }) => {
        const installed = await Promise.all(staged.files.map((f) => install(f.stagedFile, `${EXTRACTED_DIR}/rules/${f.relativePath}`, f.sha256)));
        if (staged.source) await output.installDirectory(staged.source.stagedDir, staged.source.relativeDir, staged.source.files);
        return installed;
      }),
    ]).then((lists) => lists.flat());
    const lockStatus = await output.writeFile(LOCK_FILE, serializeLock(lock));
    return { lock, lockFile, lockStatus, files, stats: ports.stats };
  } finally {
    await output.close();
  }
}

/**
 * The re-run that has nothing to do: same manifest bytes, every reference still resolving to the
 * digest the lock pins, and every extracted file on disk with the sha256 the lock records. Then the
 * lock still describes the output exactly (everything below a pinned digest is content-addressed),
 * so no layer is fetched or unpacked. Anything else returns undefined and the run does the work.
 */
async function unchangedSinceLock(
  request: ExtractRequest,
  lock: PluginsLock,
  platforms: readonly Platform[],
  output: OutputDirectory,
  ports: ExtractPorts,
  signatures: SignatureChecks | undefined,
  emit: ExtractEventListener,
): Promise<Omit<ExtractResult, 'lockFile'> | undefined> {
  const { manifest } = request;
  if (lock.manifestSha256 !== request.manifestSha256 || lock.falco.version !== manifest.falco.version) return undefined;
  const sameEntry = (entry: PluginEntry | RulesfileEntry, locked: { version: string; source: unknown } | undefined) =>
    locked !== undefined && locked.version === entry.version && JSON.stringify(locked.source) === JSON.stringify(entry.from);
  if (lock.plugins.length !== manifest.plugins.length || lock.rulesfiles.length !== manifest.rulesfiles.length) return undefined;
  const wanted: { item: ExtractItem; reference: string; resolvedDigest: string; files: { path: string; sha256: string }[] }[] = [];
  for (const entry of manifest.plugins) {
    const locked = lock.plugins.find((p) => p.name === entry.name);
    if (!sameEntry(entry, locked)) return undefined;
    for (const platform of platforms) {
      const p = locked!.platforms.find((q) => q.platform === platform);
      if (!p) return undefined;
      wanted.push({
        item: { kind: 'plugin', name: entry.name, version: entry.version, platform },
        reference: displayOf(entry),
        resolvedDigest: locked!.resolvedDigest,
        files: [{ path: `${EXTRACTED_DIR}/${p.path}`, sha256: p.sha256 }],
      });
    }
  }
  for (const entry of manifest.rulesfiles) {
    const locked = lock.rulesfiles.find((r) => r.name === entry.name);
    if (!sameEntry(entry, locked)) return undefined;
    wanted.push({
      item: { kind: 'rulesfile', name: entry.name, version: entry.version },
      reference: displayOf(entry),
      resolvedDigest: locked!.resolvedDigest,
      files: locked!.files.map((f) => ({ path: `${EXTRACTED_DIR}/${f.path}`, sha256: f.sha256 })),
    });
  }
  const requests = createLimit(8);
  const reads = createLimit(8);
  const digests = new Map<string, Promise<string | undefined>>();
  const currentDigest = (display: string): Promise<string | undefined> => {
    let pending = digests.get(display);
    if (!pending) {
      const reference = parseReference(display);
      if (!reference.ok) return Promise.resolve(undefined);
      const { registry, repository, tag, digest } = reference.reference;
      // A reference pinned by digest needs no request; a tag costs one HEAD.
      pending = digest
        ? Promise.resolve(digest)
        : requests(async () => (await ports.registry.headManifest({ registry, repository }, tag!, request.signal))?.digest);
      digests.set(display, pending);
    }
    return pending;
  };
  // The files are hashed while the registry answers: neither waits for the other.
  const holds = await Promise.all(
    wanted.map(async (w) => {
      const [digest, ...hashes] = await Promise.all([currentDigest(w.reference), ...w.files.map((file) => reads(() => output.regularFileSha256(file.path)))]);
      return digest === w.resolvedDigest && w.files.every((file, i) => hashes[i] === file.sha256);
    }),
  );
  if (holds.includes(false)) return undefined;
  if (signatures) {
    // The signatures are checked on every run; a lock recording another signature (or none) is rewritten by the full run.
    const entries = [...lock.plugins, ...lock.rulesfiles];
    const current = await Promise.all(
      entries.map(async (entry) => {
        const reference = parseReference(isArtifactSource(entry.source) ? entry.source.artifact : entry.source.image);
        if (!reference.ok) return undefined;
        const { registry, repository } = reference.reference;
        return signatures.verify({ registry, repository }, entry.resolvedDigest, `${entry.name} ${entry.version}`);
      }),
    );
    if (entries.some((entry, i) => !sameSignature(entry.signature, current[i]))) return undefined;
  }
  const files: ExtractedFile[] = [];
  for (const w of wanted) {
    emit({ type: 'resolve', item: w.item, reference: w.reference });
    emit({ type: 'stage', item: w.item, status: 'staged' });
    for (const file of w.files) {
      files.push({ path: file.path, sha256: file.sha256, status: 'unchanged' });
      emit({ type: 'install', path: file.path, sha256: file.sha256, status: 'unchanged' });
    }
  }
  return { lock, lockStatus: 'unchanged', files, stats: ports.stats };
}

function artifactRequest(entry: PluginEntry | RulesfileEntry, reference: ImageReference): ArtifactRequest {
  return { name: entry.name, version: entry.version, reference, display: displayOf(entry) };
}

/** What a plugin's configs declare, one set for all its platforms (falcoctl pushes one config for all). */
function pluginDeclarations(plan: PluginPlan): ArtifactDeclarations[] {
  const configs = plan.platforms.flatMap((p) => (p.planned ? [p.planned.config] : []));
  return configs.length ? [declarationsOf('plugin', plan.entry, configs)] : [];
}

function declarationsOf(kind: 'plugin' | 'rulesfile', entry: PluginEntry | RulesfileEntry, configs: FalcoArtifactConfig[]): ArtifactDeclarations {
  const unique = <T>(items: T[]) => [...new Map(items.map((i) => [JSON.stringify(i), i])).values()];
  return {
    kind,
    name: entry.name,
    version: entry.version,
    dependencies: unique(configs.flatMap((c) => c.dependencies)),
    requirements: unique(configs.flatMap((c) => c.requirements)),
  };
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

/** A signature verified for one manifest entry, and the digest it signs. */
interface VerifiedEntry {
  digest: string;
  signature: LockedSignature;
}

/**
 * Verifies the signature of every artifact and image the plan resolved, once per digest; a failure
 * marks every item of the entry failed. Image plugins are resolved here, before their layers are read.
 */
async function verifyPlanned(
  ctx: ArtifactContext,
  signatures: SignatureChecks,
  plugins: readonly PluginPlan[],
  rules: readonly RulesPlan[],
  emit: ExtractEventListener,
): Promise<Map<string, VerifiedEntry>> {
  const targets = [
    ...plugins.map((plan) => ({
      key: declarationKey('plugin', plan.entry.name),
      items: plan.platforms.map((p) => p.item),
      planned: plan.platforms.find((p) => p.planned)?.planned,
      reference: plan.reference,
      what: `plugin ${plan.entry.name} ${plan.entry.version} (${displayOf(plan.entry)})`,
    })),
    ...rules.map((plan) => ({
      key: declarationKey('rulesfile', plan.entry.name),
      items: [plan.item],
      planned: plan.planned,
      reference: plan.request.reference,
      what: `rulesfile ${plan.entry.name} ${plan.entry.version} (${plan.request.display})`,
    })),
  ];
  const checks = await settleAll(
    targets.map(async (target): Promise<[string, VerifiedEntry]> => {
      try {
        const location = target.planned?.location ?? { registry: target.reference.registry, repository: target.reference.repository };
        const digest = target.planned?.resolvedDigest ?? (await ctx.client.resolve(target.reference, ctx.signal)).digest;
        const verified = await signatures.verify(location, digest, target.what);
        return [target.key, { digest, signature: verified }];
      } catch (error) {
        const failure = toExtractError(error);
        for (const item of target.items) emit({ type: 'stage', item, status: 'failed', code: isFalcoAirgapError(failure) ? failure.code : undefined });
        throw failure;
      }
    }),
  );
  return new Map(checks);
}

/** An image read through the engine must be the digest whose signature was verified, not what the tag points at by now. */
function checkVerifiedDigests(verified: ReadonlyMap<string, VerifiedEntry>, plugins: readonly StagedPlugin[]): void {
  for (const plugin of plugins) {
    const expected = verified.get(declarationKey('plugin', plugin.entry.name))?.digest;
    const moved = plugin.platforms.find((p) => expected !== undefined && p.resolvedDigest !== expected);
    if (moved) {
      throw new ExtractError(
        ExtractErrorCode.SignatureSubjectMismatch,
        `plugin ${plugin.entry.name}: the signature was verified for ${expected}, but ${moved.resolvedDigest} was read`,
        'the tag moved during the run; run extract again',
      );
    }
  }
}

function sameSignature(a: LockedSignature | undefined, b: LockedSignature | undefined): boolean {
  return a?.keyFingerprint === b?.keyFingerprint && a?.foundVia === b?.foundVia && a?.signatureDigest === b?.signatureDigest;
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

function buildLock(
  request: ExtractRequest,
  plugins: StagedPlugin[],
  rules: StagedRules[],
  dependencies: ReadonlyMap<string, LockedDependency[]>,
  signatureOf: (kind: 'plugin' | 'rulesfile', name: string, resolvedDigest: string) => LockedSignature | undefined,
  generatedAt: string | undefined,
): PluginsLock {
  const dependenciesOf = (kind: 'plugin' | 'rulesfile', name: string) => {
    const resolved = dependencies.get(declarationKey(kind, name));
    return resolved?.length ? { dependencies: resolved } : {};
  };
  const withSignature = (kind: 'plugin' | 'rulesfile', name: string, resolvedDigest: string) => {
    const signature = signatureOf(kind, name, resolvedDigest);
    return signature ? { signature } : {};
  };
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
      ...dependenciesOf('plugin', entry.name),
      ...withSignature('plugin', entry.name, platforms[0]?.resolvedDigest ?? ''),
    })),
    rulesfiles: rules.map(({ entry, staged }): LockedRulesfile => ({
      name: entry.name,
      version: entry.version,
      source: entry.from,
      resolvedDigest: staged.resolvedDigest,
      manifestDigest: staged.manifestDigest,
      layerDigest: staged.layerDigest,
      files: staged.files.map((f) => ({ file: f.file, sha256: f.sha256, size: f.size, path: `rules/${f.relativePath}` })),
      ...dependenciesOf('rulesfile', entry.name),
      ...withSignature('rulesfile', entry.name, staged.resolvedDigest),
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

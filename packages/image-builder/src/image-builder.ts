import type { ContainerEngine, EngineProgressEvent, RegistryAuth } from '@falco-airgap/container-engine';
import { EngineErrorCode, isEngineError } from '@falco-airgap/container-engine';
import { parseReference } from '@falco-airgap/core';
import { canonicalRegistryHost } from '@falco-airgap/oci';
import { ImageBuilderError, ImageBuilderErrorCode } from './errors.ts';
import type { ImageName, ImagePlan } from './image-plan.ts';
import { CONTEXT_DIGEST_ARG, LABELS } from './labels.ts';
import { readPublishedImage, splitReference, type ImageRegistry } from './registry-state.ts';

/** Pull failures that mean the base image is not there for this engine, rather than that the engine is down. */
const BASE_PULL_REFUSALS: ReadonlySet<string> = new Set([EngineErrorCode.PullFailed, EngineErrorCode.NotFound, EngineErrorCode.Unauthorized]);

export interface ImageBuilderPorts {
  engine: ContainerEngine;
  /** Where pushed images are checked, retagged and authenticated for; needed with `push`. */
  registry?: ImageRegistry | undefined;
}

export interface BuildImageSetOptions {
  /** Push every tag; the registry, not the engine, then decides what is unchanged. */
  push: boolean;
  /** Check what is unchanged, build and push nothing. */
  dryRun?: boolean | undefined;
  signal?: AbortSignal | undefined;
  /** Bound of each pull, build and push; the engine's own bound when unset. */
  timeoutMs?: number | undefined;
  onEvent?: ((event: ImageBuildEvent) => void) | undefined;
}

export type ImageStatus = 'unchanged' | 'retagged' | 'built' | 'pushed' | 'would-build';

/** What the builder reports while it works; it never prints. */
export type ImageBuildEvent =
  | {
      type: 'image';
      image: ImageName;
      status: 'checking' | 'pulling-base' | 'building' | 'pushing' | 'done' | 'failed' | 'skipped';
      reference: string;
      /** With `done`: what happened. */
      outcome?: ImageStatus | undefined;
      /** With `failed`: the error's code; with `skipped`: why. */
      detail?: string | undefined;
    }
  | { type: 'engine'; image: ImageName; event: EngineProgressEvent };

export interface ImageBuildResult {
  image: ImageName;
  /** `unchanged`: the target already holds this content (nothing built or pushed); `retagged`: only tags were written. */
  status: ImageStatus;
  references: string[];
  contextDigest: string;
  /** The engine's image id, when the engine built or holds it. */
  imageId: string | undefined;
  /** The manifest digest the registry holds, when pushed or found there. */
  digest: string | undefined;
}

/**
 * Builds the planned images through the engine, independent ones in parallel and each after the
 * image it starts from; pushes every tag with the user's registry credentials. An image whose
 * target (the registry with `push`, else the engine) already carries its context digest is
 * neither built nor pushed. Rejects with the first failure once every image has settled.
 */
export async function buildImageSet(plans: readonly ImagePlan[], options: BuildImageSetOptions, ports: ImageBuilderPorts): Promise<ImageBuildResult[]> {
  const { engine, registry } = ports;
  if (options.push && !registry) throw new TypeError('pushing needs a registry client (ports.registry)');
  const emit = (event: ImageBuildEvent) => options.onEvent?.(event);
  const call = { signal: options.signal };
  const long = { signal: options.signal, timeoutMs: options.timeoutMs };

  const authFor = async (reference: string): Promise<RegistryAuth | undefined> => {
    const parsed = parseReference(reference);
    if (!parsed.ok || !registry) return undefined;
    const host = parsed.reference.registry;
    const credentials = await registry.credentials.lookup(canonicalRegistryHost(host));
    return credentials && { serverAddress: host, ...credentials };
  };

  /** Where the plan's content already is: the registry's tag when pushing, else the engine's. */
  const findExisting = async (plan: ImagePlan) => {
    if (options.push) {
      const published = await readPublishedImage(registry!, plan.contentReference, plan.platform, options.signal);
      return published?.labels[LABELS.contextDigest] === plan.contextDigest ? { published } : undefined;
    }
    const local = await engine.inspectImage(plan.contentReference, call);
    return local?.labels[LABELS.contextDigest] === plan.contextDigest ? { local } : undefined;
  };

  /** Points every tag at the content that is already there; true when a tag had to be written. */
  const completeTags = async (plan: ImagePlan, existing: NonNullable<Awaited<ReturnType<typeof findExisting>>>): Promise<boolean> => {
    let wrote = false;
    for (const reference of plan.references) {
      if (existing.published) {
        const { location, tag } = splitReference(reference);
        if ((await registry!.headManifest(location, tag, options.signal))?.digest === existing.published.digest) continue;
        await registry!.putManifest(location, tag, existing.published.bytes, existing.published.mediaType, options.signal);
      } else {
        if ((await engine.inspectImage(reference, call))?.id === existing.local!.id) continue;
        await engine.tagImage(existing.local!.id, reference, call);
      }
      wrote = true;
    }
    return wrote;
  };

  /** Makes sure the engine holds an image a build starts from, pulling it with the credentials of its registry. */
  const ensureBaseImage = async (plan: ImagePlan, reference: string) => {
    if (await engine.inspectImage(reference, call)) return;
    emit({ type: 'image', image: plan.name, status: 'pulling-base', reference });
    try {
      await engine.pullImage(reference, {
        ...long,
        platform: plan.platform,
        auth: await authFor(reference),
        onProgress: (event) => emit({ type: 'engine', image: plan.name, event }),
      });
    } catch (error) {
      if (isEngineError(error) && BASE_PULL_REFUSALS.has(error.code)) {
        throw new ImageBuilderError(
          ImageBuilderErrorCode.BaseUnavailable,
          `the ${plan.name} image starts from ${reference}, which the engine cannot pull: ${error.message}`,
          'check the name (`baseImage`, `falcoImage`), that it is mirrored to a registry the engine reaches, and the credentials for it',
          error,
        );
      }
      throw error;
    }
  };

  const running = new Map<ImageName, Promise<ImageBuildResult>>();
  const skipped = new Set<ImageName>();
  const runImage = async (plan: ImagePlan): Promise<ImageBuildResult> => {
    const result = (status: ImageStatus, imageId?: string, digest?: string): ImageBuildResult => ({
      image: plan.name,
      status,
      references: plan.references,
      contextDigest: plan.contextDigest,
      imageId,
      digest,
    });
    const done = (outcome: ImageStatus) => emit({ type: 'image', image: plan.name, status: 'done', reference: plan.contentReference, outcome });

    emit({ type: 'image', image: plan.name, status: 'checking', reference: plan.contentReference });
    const existing = await findExisting(plan);
    if (existing && options.dryRun) {
      done('unchanged');
      return result('unchanged', existing.local?.id, existing.published?.digest);
    }
    if (existing) {
      const status = (await completeTags(plan, existing)) ? 'retagged' : 'unchanged';
      done(status);
      return result(status, existing.local?.id, existing.published?.digest);
    }
    if (options.dryRun) {
      done('would-build');
      return result('would-build');
    }

    if (plan.after) {
      try {
        await running.get(plan.after);
      } catch (error) {
        skipped.add(plan.name);
        emit({ type: 'image', image: plan.name, status: 'skipped', reference: plan.contentReference, detail: `${plan.after} failed` });
        throw error;
      }
    }
    for (const base of plan.baseImages) await ensureBaseImage(plan, base);
    emit({ type: 'image', image: plan.name, status: 'building', reference: plan.contentReference });
    await engine.buildImage(plan.context.pack(), {
      ...long,
      tags: plan.references,
      dockerfile: plan.dockerfile,
      buildArgs: { ...plan.buildArgs, [CONTEXT_DIGEST_ARG]: plan.contextDigest },
      labels: plan.labels,
      platform: plan.platform,
      onProgress: (event) => emit({ type: 'engine', image: plan.name, event }),
    });
    // The id by the tag just written: the engine's own answer may name an earlier stage of a multi-stage build.
    const built = (await engine.inspectImage(plan.contentReference, call))!;
    if (!options.push) {
      done('built');
      return result('built', built.id);
    }
    emit({ type: 'image', image: plan.name, status: 'pushing', reference: plan.contentReference });
    let digest: string | undefined;
    // The content tag first: its layers go up once, the other tags only add a manifest.
    for (const reference of [plan.contentReference, ...plan.references.filter((r) => r !== plan.contentReference)]) {
      const pushed = await engine.pushImage(reference, {
        ...long,
        auth: await authFor(reference),
        onProgress: (event) => emit({ type: 'engine', image: plan.name, event }),
      });
      digest ??= pushed.digest;
    }
    done('pushed');
    return result('pushed', built.id, digest);
  };

  for (const plan of plans) {
    const run = runImage(plan).catch((error: unknown) => {
      if (!skipped.has(plan.name))
        emit({ type: 'image', image: plan.name, status: 'failed', reference: plan.contentReference, detail: (error as { code?: string }).code });
      throw error;
    });
    // Settled below; a dependent image awaits it on its own.
    run.catch(() => undefined);
    running.set(plan.name, run);
  }
  const settled = await Promise.allSettled(plans.map((plan) => running.get(plan.name)!));
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<ImageBuildResult>).value);
}

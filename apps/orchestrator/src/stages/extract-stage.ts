import type { Platform } from '@falco-airgap/core';
import { readManifestFile } from '@falco-airgap/manifest';
import { createExtractorPorts, extract, readSignatureKey, type ArchiveLimits, type ExtractedFile, type ExtractResult } from '@falco-airgap/plugin-extractor';
import { relative, resolve } from 'node:path';
import type { RegistryAccess } from '../options/registry.ts';
import { ExtractTaskRows } from '../output/extract-events.ts';
import type { StageDeps, StageOutcome } from './stage.ts';

export interface ExtractStageInput {
  /** The manifest as the user named it; resolved against the working directory. */
  manifestFile: string;
  /** The plugins directory: extracted/, source/ and plugins-lock.yaml go here. */
  outDir: string;
  /** Empty: every platform of the manifest. */
  platforms: Platform[];
  locked: boolean;
  keepSource: boolean;
  /** PEM public key every artifact and image must carry a cosign signature of; nothing is verified without it. */
  signatureKeyFile?: string | undefined;
  via: 'direct' | 'docker';
  /** The extractor's caps when unset. */
  artifactLimits?: ArchiveLimits | undefined;
  /** How long to wait while another extract uses the output directory; 0 fails at once. */
  lockWaitMs?: number | undefined;
  registry: RegistryAccess;
}

export interface ExtractStageData {
  outDir: string;
  lockFile: string;
  lockStatus: ExtractResult['lockStatus'];
  via: 'direct' | 'docker';
  files: ExtractedFile[];
  stats: ExtractResult['stats'];
  lock: ExtractResult['lock'];
}

export interface ExtractStageDeps extends StageDeps {
  /** Builds the registry client and image source; the extractor's own factory by default. */
  createPorts?: typeof createExtractorPorts | undefined;
}

/** The extract stage: mirror and verify what the manifest names, write plugins/extracted and the lock. */
export async function extractStage(input: ExtractStageInput, deps: ExtractStageDeps): Promise<StageOutcome<ExtractStageData>> {
  const manifestPath = resolve(deps.cwd, input.manifestFile);
  const { manifest, sha256: manifestSha256 } = await readManifestFile(manifestPath, input.manifestFile);
  const outDir = resolve(deps.cwd, input.outDir);
  const signatureKey = input.signatureKeyFile ? await readSignatureKey(resolve(deps.cwd, input.signatureKeyFile)) : undefined;
  const ports = await (deps.createPorts ?? createExtractorPorts)({ via: input.via, ...input.registry });
  const rows = new ExtractTaskRows();
  let result: ExtractResult;
  try {
    result = await extract(
      {
        manifest,
        manifestSha256,
        outDir,
        platforms: input.platforms,
        locked: input.locked,
        keepSource: input.keepSource,
        signatureKey,
        artifactLimits: input.artifactLimits,
        lockWaitMs: input.lockWaitMs,
        signal: deps.signal,
        onEvent: (event) => rows.rowsFor(event).forEach((row) => deps.reporter.event(row)),
      },
      ports,
    );
  } finally {
    await ports.close();
  }
  const shown = displayPath(deps.cwd);
  const written = result.files.filter((f) => f.status === 'written').length;
  const plugins = result.lock.plugins.reduce((n, p) => n + p.platforms.length, 0);
  const rules = result.lock.rulesfiles.reduce((n, r) => n + r.files.length, 0);
  const { blobsDownloaded, blobsFromCache } = result.stats;
  const signed = signatureKey ? [...result.lock.plugins, ...result.lock.rulesfiles].length : 0;
  return {
    summary:
      `extracted ${plural(plugins, 'plugin file')} and ${plural(rules, 'rules file')} into ${shown(outDir)}/extracted ` +
      `(${written} changed, ${result.files.length - written} unchanged; ${plural(blobsDownloaded, 'blob')} downloaded, ${blobsFromCache} from cache); ` +
      (signatureKey ? `signatures of ${plural(signed, 'artifact')} verified with key ${signatureKey.fingerprint}; ` : '') +
      `lock ${shown(result.lockFile)} ${result.lockStatus}`,
    data: {
      outDir: shown(outDir),
      lockFile: shown(result.lockFile),
      lockStatus: result.lockStatus,
      via: input.via,
      files: result.files,
      stats: result.stats,
      lock: result.lock,
    },
  };
}

/** Paths inside the working directory are shown relative to it, others as they are. */
function displayPath(cwd: string): (path: string) => string {
  return (path) => {
    const rel = relative(cwd, path);
    return rel === '' ? '.' : rel.startsWith('..') ? path : rel;
  };
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

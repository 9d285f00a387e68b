import type { LockHolder, Platform } from '@falco-airgap/core';
import type { InstallOutcome } from './output-dir.ts';

/** The manifest item an event is about: one plugin on one platform, or one rulesfile. */
export type ExtractItem = { kind: 'plugin'; name: string; version: string; platform: Platform } | { kind: 'rulesfile'; name: string; version: string };

/** An item starts: its reference is being resolved. */
export interface ExtractResolveEvent {
  type: 'resolve';
  item: ExtractItem;
  /** The reference as the manifest writes it. */
  reference: string;
}

/** Bytes of one blob of an item that are in the cache so far (downloaded or found there). */
export interface ExtractBlobEvent {
  type: 'blob';
  item: ExtractItem;
  digest: string;
  loaded: number;
  total: number;
}

/** An item is staged and verified, or failed; nothing is in the output directory yet. */
export interface ExtractStageEvent {
  type: 'stage';
  item: ExtractItem;
  status: 'staged' | 'failed';
  /** The error code, when the extractor raised the failure. */
  code?: string | undefined;
}

/** A verified file was moved into the output directory, or was already there with the same bytes. */
export interface ExtractInstallEvent {
  type: 'install';
  /** Relative to the output directory, e.g. extracted/linux-amd64/libk8saudit.so. */
  path: string;
  sha256: string;
  status: InstallOutcome;
}

/** Something the user should know that does not stop the run, e.g. a plugin API version that had to be taken from elsewhere. */
export interface ExtractWarningEvent {
  type: 'warning';
  item: ExtractItem;
  code: string;
  message: string;
  hint: string;
}

/** Another extract uses the output directory: this one waits for it (up to `lockWaitMs`). */
export interface ExtractLockWaitEvent {
  type: 'lock-wait';
  outDir: string;
  holder: LockHolder;
}

/** A download of one of an item's blobs is tried again after a reset, a body cut short or a 429/5xx answer. */
export interface ExtractRetryEvent {
  type: 'retry';
  item: ExtractItem;
  digest: string;
  /** The attempt about to start: 2 for the first retry. */
  attempt: number;
  /** What went wrong with the previous attempt, e.g. `ECONNRESET` or `answered 503`. */
  reason: string;
}

/** What extract reports while it works; the library never prints, callers draw these. */
export type ExtractEvent =
  ExtractResolveEvent | ExtractBlobEvent | ExtractStageEvent | ExtractInstallEvent | ExtractWarningEvent | ExtractLockWaitEvent | ExtractRetryEvent;

export type ExtractEventListener = (event: ExtractEvent) => void;

/** Hands out the callbacks of one item's blob downloads, reporting as `blob` and `retry` events. */
export class BlobProgress {
  readonly #item: ExtractItem;
  readonly #emit: ExtractEventListener;

  constructor(item: ExtractItem, emit: ExtractEventListener) {
    this.#item = item;
    this.#emit = emit;
  }

  /** The progress and retry callbacks of one blob's download. */
  blob(digest: string, size: number): { onProgress: (loaded: number, total: number) => void; onRetry: (attempt: number, error: unknown) => void } {
    return {
      onProgress: (loaded) => this.#emit({ type: 'blob', item: this.#item, digest, loaded, total: size }),
      onRetry: (attempt, error) => this.#emit({ type: 'retry', item: this.#item, digest, attempt, reason: retryReason(error) }),
    };
  }
}

/** The shortest words for what failed: a network error's code (`ECONNRESET`), else its message. */
function retryReason(error: unknown): string {
  const { code, cause } = (error ?? {}) as { code?: unknown; cause?: { code?: unknown } };
  const named = code ?? cause?.code;
  if (typeof named === 'string') return named;
  return error instanceof Error ? error.message : String(error);
}

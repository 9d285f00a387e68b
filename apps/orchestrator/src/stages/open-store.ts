import { definedFields } from '@falco-airgap/core';
import { createS3Client, DEFAULT_REQUEST_TIMEOUT_MS, PluginStore, S3ObjectStore, type StoreEvent } from '@falco-airgap/s3-plugin-store';
import type { StoreConnection } from '../options/store.ts';

export interface OpenedStore {
  store: PluginStore;
  /** Aborts on an interrupt or when the command's --timeout runs out: what every store call is given. */
  signal: AbortSignal;
  close(): void;
}

export interface StoreTuning {
  /** Files uploaded at once. */
  concurrency?: number | undefined;
  onEvent?: ((event: StoreEvent) => void) | undefined;
  /** The command's interrupt signal. */
  signal?: AbortSignal | undefined;
}

/**
 * The store factory: a plugin store over the default S3 client, configured from values the
 * composition root resolved. Every request is bounded by the client's timeouts and retries, and
 * the command as a whole by its deadline.
 */
export function openStore(connection: StoreConnection, tuning: StoreTuning = {}): OpenedStore {
  const client = createS3Client({
    region: connection.region,
    endpoint: connection.endpoint,
    forcePathStyle: connection.forcePathStyle,
    credentials: connection.credentials && definedFields(connection.credentials),
    maxSockets: Math.max(16, (tuning.concurrency ?? 4) * 4),
    requestTimeoutMs: Math.min(DEFAULT_REQUEST_TIMEOUT_MS, connection.timeoutMs),
  });
  const store = new PluginStore({
    objects: new S3ObjectStore({ client, bucket: connection.bucket }),
    prefix: connection.prefix,
    onEvent: tuning.onEvent,
    concurrency: tuning.concurrency,
  });
  const deadline = AbortSignal.timeout(connection.timeoutMs);
  const signal = tuning.signal ? AbortSignal.any([tuning.signal, deadline]) : deadline;
  return { store, signal, close: () => client.destroy() };
}

import { createS3Client, PluginStore, S3ObjectStore, type StoreEvent } from '@falco-airgap/s3-plugin-store';
import type { StoreConnection } from '../options/store.ts';

export interface OpenedStore {
  store: PluginStore;
  close(): void;
}

export interface StoreTuning {
  /** Files uploaded at once. */
  concurrency?: number | undefined;
  onEvent?: ((event: StoreEvent) => void) | undefined;
}

/** The store factory: a plugin store over the default S3 client, configured from values the composition root resolved. */
export function openStore(connection: StoreConnection, tuning: StoreTuning = {}): OpenedStore {
  const client = createS3Client({
    region: connection.region,
    endpoint: connection.endpoint,
    forcePathStyle: connection.forcePathStyle,
    credentials: connection.credentials,
    maxSockets: Math.max(16, (tuning.concurrency ?? 4) * 4),
  });
  const store = new PluginStore({
    objects: new S3ObjectStore({ client, bucket: connection.bucket }),
    prefix: connection.prefix,
    onEvent: tuning.onEvent,
    concurrency: tuning.concurrency,
  });
  return { store, close: () => client.destroy() };
}

import { tcpProxy } from '@falco-airgap/test-support';
import { describe, expect, it } from 'vitest';
import { isS3StoreError } from './errors.ts';
import { createS3Client } from './s3-client.ts';
import { S3ObjectStore } from './s3-object-store.ts';

describe('createS3Client against an endpoint that accepts connections and never answers', () => {
  it('fails each request after its silence limit and gives up after its attempts: no hang, no warning', async () => {
    const hung = await tcpProxy(undefined, { kind: 'stall' });
    const warnings: unknown[] = [];
    const warn = console.warn;
    console.warn = (...args: unknown[]) => warnings.push(args);
    const client = createS3Client({
      endpoint: hung.endpoint,
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
      requestTimeoutMs: 500,
      maxAttempts: 2,
    });
    try {
      const started = performance.now();
      const error = await new S3ObjectStore({ client, bucket: 'hung-bucket' }).head('any/key').then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isS3StoreError(error, 'S3STORE_UNAVAILABLE')).toBe(true);
      expect(performance.now() - started).toBeLessThan(5_000);
      expect(hung.connections).toBe(2);
      expect(warnings).toEqual([]);
    } finally {
      console.warn = warn;
      client.destroy();
      await hung.close();
    }
  });

  it('ends an overall deadline given as a signal with S3STORE_TIMEOUT', async () => {
    const hung = await tcpProxy(undefined, { kind: 'stall' });
    const client = createS3Client({ endpoint: hung.endpoint, credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    try {
      const started = performance.now();
      const error = await new S3ObjectStore({ client, bucket: 'hung-bucket' }).get('any/key', { signal: AbortSignal.timeout(300) }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isS3StoreError(error, 'S3STORE_TIMEOUT')).toBe(true);
      expect(performance.now() - started).toBeLessThan(3_000);
    } finally {
      client.destroy();
      await hung.close();
    }
  });
});

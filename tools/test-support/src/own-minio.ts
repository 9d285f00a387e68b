import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createS3Client } from '@falco-airgap/s3-plugin-store';
import { requireTestbed } from '@falco-airgap/testbed/env';
import { emptyBucket } from './testbed-s3.ts';

/** A MinIO server a test owns: it may stop it in the middle of an upload and start it again, on the same port and data. */
export interface OwnMinio {
  endpoint: string;
  region: string;
  bucket: string;
  client: S3Client;
  /** What a child process needs to reach it with the default credential chain. */
  env: Record<string, string>;
  /** Kills the server (SIGKILL: no goodbye to clients) and waits until the port is closed. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data directory and waits until it is ready. */
  start(): Promise<void>;
  destroy(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function ready(endpoint: string, deadlineMs: number): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (Date.now() < deadline) {
    const ok = await fetch(`${endpoint}/minio/health/ready`, { signal: AbortSignal.timeout(1_000) }).then(
      (response) => response.ok,
      () => false,
    );
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`MinIO at ${endpoint} did not become ready within ${deadlineMs} ms`);
}

/** Starts a MinIO of the test's own from the testbed's binary (never the shared one), with one fresh bucket. */
export async function startOwnMinio(name = 'own'): Promise<OwnMinio> {
  const binary = requireTestbed('TESTBED_MINIO_BINARY').TESTBED_MINIO_BINARY!;
  const data = await mkdtemp(join(tmpdir(), 'own-minio-'));
  const [port, consolePort] = [await freePort(), await freePort()];
  const endpoint = `http://127.0.0.1:${port}`;
  const region = 'us-east-1';
  const credentials = { accessKeyId: `own${randomBytes(4).toString('hex')}`, secretAccessKey: randomBytes(16).toString('hex') };
  let child: ChildProcess | undefined;
  let log = '';

  const start = async () => {
    child = spawn(binary, ['server', '--quiet', '--address', `127.0.0.1:${port}`, '--console-address', `127.0.0.1:${consolePort}`, data], {
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: data,
        MINIO_ROOT_USER: credentials.accessKeyId,
        MINIO_ROOT_PASSWORD: credentials.secretAccessKey,
        MINIO_SITE_REGION: region,
        MINIO_BROWSER: 'off',
        MINIO_UPDATE: 'off',
        MINIO_CALLHOME_ENABLE: 'off',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (chunk) => (log += chunk));
    child.stderr!.on('data', (chunk) => (log += chunk));
    await ready(endpoint, 30_000).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}\n${log.slice(-2000)}`);
    });
  };
  const stop = async () => {
    const running = child;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
    running.kill('SIGKILL');
    await exited;
    child = undefined;
  };

  await start();
  const client = createS3Client({ endpoint, region, credentials });
  const bucket = `${name}-${randomBytes(4).toString('hex')}`;
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  return {
    endpoint,
    region,
    bucket,
    client,
    env: { AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey, AWS_REGION: region },
    stop,
    start,
    async destroy() {
      if (child) await emptyBucket(client, bucket).catch(() => undefined);
      client.destroy();
      await stop();
      await rm(data, { recursive: true, force: true });
    },
  };
}

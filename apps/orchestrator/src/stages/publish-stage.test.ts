import { acquireLock } from '@falco-airgap/core';
import { serializeLock, type PluginsLock } from '@falco-airgap/manifest';
import { MemoryObjectStore, PluginStore } from '@falco-airgap/s3-plugin-store';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliEvent } from '../output/events.ts';
import type { Reporter } from '../output/reporter.ts';
import { publishStage, storeLockFile, type PublishStageInput } from './publish-stage.ts';

let cwd: string;
const library = Buffer.concat([Buffer.from('\x7fELF'), Buffer.alloc(2048, 7)]);

beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'cli-publish-stage-'));
  await mkdir(join(cwd, 'plugins/extracted/linux-amd64'), { recursive: true });
  await writeFile(join(cwd, 'plugins/extracted/linux-amd64/libjson.so'), library);
  const lock: PluginsLock = {
    apiVersion: 'falco-airgap/v1alpha1',
    kind: 'PluginsLock',
    generatedAt: '2026-01-01T00:00:00.000Z',
    falco: { version: '0.44.1' },
    manifestSha256: '0'.repeat(64),
    plugins: [
      {
        name: 'json',
        version: '0.7.4',
        source: { artifact: 'registry.example/plugin/json:0.7.4' },
        resolvedDigest: `sha256:${'1'.repeat(64)}`,
        platforms: [
          {
            platform: 'linux/amd64',
            manifestDigest: `sha256:${'2'.repeat(64)}`,
            layerDigest: `sha256:${'3'.repeat(64)}`,
            file: 'libjson.so',
            sha256: createHash('sha256').update(library).digest('hex'),
            size: library.length,
            elfMachine: 'x86-64',
            pluginApiVersion: '3.10.0',
            pluginApiVersionSource: 'artifact-config',
            path: 'linux-amd64/libjson.so',
          },
        ],
      },
    ],
    rulesfiles: [],
  };
  await writeFile(join(cwd, 'plugins/plugins-lock.yaml'), serializeLock(lock));
});
afterAll(() => rm(cwd, { recursive: true, force: true }));

const STORE = {
  bucket: 'corp-falco',
  prefix: 'falco',
  endpoint: undefined,
  region: 'us-east-1',
  forcePathStyle: undefined,
  credentials: undefined,
  timeoutMs: 60_000,
};

/** The stage over an in-memory bucket, with the task rows it draws. */
function run(input: Partial<PublishStageInput>, objects: MemoryObjectStore) {
  const events: CliEvent[] = [];
  const reporter: Reporter = { event: (e) => events.push(e), info: () => undefined, summary: () => undefined, result: () => undefined };
  const stage = publishStage(
    {
      lockFile: 'plugins/plugins-lock.yaml',
      platforms: [],
      dryRun: false,
      concurrency: 2,
      store: STORE,
      storeLock: { dir: join(cwd, 'locks'), waitMs: 0 },
      ...input,
    },
    {
      cwd,
      signal: new AbortController().signal,
      reporter,
      openStore: (_connection, tuning) => ({
        store: new PluginStore({ objects, prefix: 'falco', ...tuning }),
        signal: tuning?.signal ?? new AbortController().signal,
        close: () => undefined,
      }),
    },
  );
  return { stage, events };
}

describe('publishStage', () => {
  it('publishes the lock as a release, moves the channel and says what it did', async () => {
    const objects = new MemoryObjectStore();
    const { stage, events } = run({ channel: 'staging' }, objects);
    const { summary, data } = await stage;
    expect(summary).toMatch(
      /^published release falco-0\.44\.1-[0-9a-f]{16} to s3:\/\/corp-falco\/falco: uploaded 1 file \(2\.0 KiB\), 0 already there; channel staging now follows /,
    );
    expect(data).toMatchObject({ bucket: 'corp-falco', prefix: 'falco', releaseStatus: 'created', channel: { channel: 'staging', changed: true } });
    expect(data.document.id).toBe(data.release);
    expect(events).toContainEqual({ type: 'task', id: 'release', title: `release ${data.release}`, status: 'done', detail: 'written' });
    expect(objects.writes.map((w) => w.key)).toContain('falco/channels/staging.json');
  });

  it('writes nothing on a dry run', async () => {
    const objects = new MemoryObjectStore();
    const { summary, data } = await run({ dryRun: true, channel: 'staging' }, objects).stage;
    expect(summary).toMatch(/^dry run against s3:\/\/corp-falco\/falco: would upload 1 file/);
    expect(data.dryRun).toBe(true);
    expect(objects.writes).toEqual([]);
  });

  it('refuses a second publish to the same prefix from this machine, or waits for it, and writes nothing while refused', async () => {
    const first = await acquireLock(storeLockFile(join(cwd, 'locks'), { ...STORE, prefix: '/falco/' }), { purpose: 'publish' });
    const objects = new MemoryObjectStore();
    await expect(run({}, objects).stage).rejects.toMatchObject({
      code: 'LOCK_HELD',
      category: 'operational',
      message: expect.stringContaining(`another publish (pid ${process.pid}) is using s3://corp-falco/falco since `),
    });
    expect(objects.writes).toEqual([]);

    setTimeout(() => void first.release(), 200);
    const { stage, events } = run({ storeLock: { dir: join(cwd, 'locks'), waitMs: 30_000 } }, objects);
    expect((await stage).data.releaseStatus).toBe('created');
    expect(events).toContainEqual({
      type: 'diagnostic',
      severity: 'info',
      code: 'LOCK_HELD',
      message: `another publish (pid ${process.pid}) is using s3://corp-falco/falco: waiting for it to finish`,
    });
  });
});

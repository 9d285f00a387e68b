import { ensureTestbedImageBases, freePort } from '@falco-airgap/test-support';
import { repoRoot, requireTestbed } from '@falco-airgap/testbed/env';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, copyFile, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import packageJson from '../package.json' with { type: 'json' };
import { createTestDatabase, type TestDatabase } from './test-support/database.ts';
import { sidekickEvent } from './test-support/falco-events.ts';
import { AUDIENCE, createKeyRing, ISSUER, postEvent, type KeyRing } from './test-support/harness.ts';

const run = promisify(execFile);
const env = requireTestbed('TESTBED_DOCKER_CLI', 'TESTBED_DOCKER_HOST', 'TESTBED_POSTGRES_URL');
const docker = (...args: string[]) => run(env.TESTBED_DOCKER_CLI!, ['--host', env.TESTBED_DOCKER_HOST!, ...args], { maxBuffer: 16 * 1024 * 1024 });
const appDir = join(repoRoot, 'apps', 'event-ingestor');
const bundleDir = join(appDir, 'dist', 'image');
const suffix = randomBytes(4).toString('hex');
// No Node image can be pulled here: a stand-in holds this machine's Node 24 on the AlmaLinux stand-in.
const NODE_STANDIN = 'falco-airgap-test/node-standin:24';
const IMAGE = `falco-airgap-test/falco-event-ingestor:${suffix}`;
const CONTAINER = `event-ingestor-${suffix}`;

let db: TestDatabase;
let keys: KeyRing;
let dir: string;

beforeAll(async () => {
  if (!(await stat(join(bundleDir, 'falco-event-ingestor.cjs')).catch(() => undefined)))
    await run('npm', ['run', 'build', '-w', '@falco-airgap/event-ingestor'], { cwd: repoRoot, maxBuffer: 16 * 1024 * 1024 });
  const { base } = await ensureTestbedImageBases();
  dir = await mkdtemp(join(tmpdir(), 'ingestor-image-'));
  await copyFile(process.execPath, join(dir, 'node'));
  await writeFile(join(dir, 'Dockerfile'), `FROM ${base}\nCOPY node /usr/local/bin/node\n`);
  await docker('build', '--tag', NODE_STANDIN, dir);
  db = await createTestDatabase('image');
  keys = await createKeyRing(['k1']);
  // The container's user (65532) reads the JWKS through a bind mount.
  await chmod(keys.dir, 0o755);
  await chmod(keys.jwksFile, 0o644);
});

afterAll(async () => {
  await docker('rm', '--force', CONTAINER).catch(() => undefined);
  await docker('rmi', IMAGE).catch(() => undefined);
  await keys?.remove();
  await db?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('docker/event-ingestor/Dockerfile', () => {
  it('builds from the bundle, runs as a non-root user on a read-only root, stores events and drains on stop', async () => {
    await docker('build', '--file', join(repoRoot, 'docker/event-ingestor/Dockerfile'), '--build-arg', `NODE_IMAGE=${NODE_STANDIN}`, '--tag', IMAGE, bundleDir);
    const [config] = JSON.parse((await docker('image', 'inspect', IMAGE)).stdout) as [{ Config: { User: string; Labels: Record<string, string> } }];
    expect(config.Config.User).toBe('65532:65532');
    expect(config.Config.Labels['org.opencontainers.image.title']).toBe('falco-event-ingestor');
    expect((await docker('run', '--rm', '--network', 'host', IMAGE, '--version')).stdout.trim()).toBe(packageJson.version);

    const port = await freePort();
    await docker(
      'run',
      '--detach',
      '--name',
      CONTAINER,
      '--network',
      'host',
      '--read-only',
      '--cap-drop',
      'ALL',
      '--volume',
      `${keys.dir}:/etc/falco-event-ingestor/jwks:ro`,
      '--env',
      `FALCO_EVENT_INGESTOR_DATABASE_URL=${db.url}`,
      '--env',
      'FALCO_EVENT_INGESTOR_JWKS_FILE=/etc/falco-event-ingestor/jwks/jwks.json',
      '--env',
      `FALCO_EVENT_INGESTOR_ISSUER=${ISSUER}`,
      '--env',
      `FALCO_EVENT_INGESTOR_AUDIENCE=${AUDIENCE}`,
      '--env',
      'FALCO_EVENT_INGESTOR_HOST=127.0.0.1',
      '--env',
      `FALCO_EVENT_INGESTOR_PORT=${port}`,
      IMAGE,
    );
    const url = `http://127.0.0.1:${port}`;
    await expect
      .poll(
        () =>
          fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2_000) }).then(
            (r) => r.status,
            () => 0,
          ),
        { timeout: 60_000, interval: 500 },
      )
      .toBe(200);
    const sent = await postEvent(url, sidekickEvent(), { token: await keys.token('k1', 'image-cluster') });
    expect(sent.status).toBe(201);

    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      expect((await client.query('SELECT cluster FROM falco_events')).rows).toEqual([{ cluster: 'image-cluster' }]);
    } finally {
      await client.end();
    }
    await docker('stop', '--time', '20', CONTAINER);
    expect((await docker('inspect', '--format', '{{.State.ExitCode}}', CONTAINER)).stdout.trim()).toBe('0');
  });
});

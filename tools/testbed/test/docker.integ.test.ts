import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireTestbed } from '../env.ts';

const run = promisify(execFile);
const env = requireTestbed(
  'TESTBED_DOCKER_HOST',
  'TESTBED_DOCKER_CLI',
  'TESTBED_S3_ENDPOINT',
  'TESTBED_REGISTRY',
  'TESTBED_REGISTRY_AUTH',
  'TESTBED_REGISTRY_AUTH_USER',
  'TESTBED_REGISTRY_AUTH_PASSWORD',
);
// Debian's busybox-static: a single static binary is a whole userland for a FROM scratch image.
const BUSYBOX = '/bin/busybox';
const tmp = mkdtempSync(join(tmpdir(), 'docker-integ-'));
const image = `testbed-integ/busybox:${randomBytes(4).toString('hex')}`;

// A private client config: logins in this test must not touch the developer's ~/.docker.
const docker = (...args: string[]) =>
  run(env.TESTBED_DOCKER_CLI!, args, {
    env: { ...process.env, DOCKER_HOST: env.TESTBED_DOCKER_HOST, DOCKER_CONFIG: join(tmp, 'client') },
    maxBuffer: 16 << 20,
  });

beforeAll(async () => {
  const context = join(tmp, 'context');
  mkdirSync(context);
  copyFileSync(BUSYBOX, join(context, 'busybox'));
  writeFileSync(
    join(context, 'Dockerfile'),
    'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "--install", "-s", "/bin"]\nENTRYPOINT ["/bin/busybox"]\n',
  );
  await docker('build', '--quiet', '--tag', image, context);
});

afterAll(async () => {
  await docker('image', 'rm', '--force', image, `${env.TESTBED_REGISTRY}/${image}`, `${env.TESTBED_REGISTRY_AUTH}/${image}`);
  rmSync(tmp, { recursive: true, force: true });
});

describe('docker engine', () => {
  it('builds an image FROM scratch and runs it', async () => {
    const { stdout } = await docker('run', '--rm', image, 'sh', '-c', 'echo hello from $(uname -s)');
    expect(stdout.trim()).toBe('hello from Linux');
  });

  it('gives --network host containers the host loopback, where the S3 server listens', async () => {
    const health = `${env.TESTBED_S3_ENDPOINT}/minio/health/live`;
    // busybox wget prints the response headers (-S) on stderr.
    const { stdout } = await docker('run', '--rm', '--network', 'host', image, 'sh', '-c', `wget -S -O /dev/null ${health} 2>&1`);
    expect(stdout).toMatch(/HTTP\/1\.1 200 OK/);
  });

  it('pushes to the plain registry without extra configuration', async () => {
    const ref = `${env.TESTBED_REGISTRY}/${image}`;
    await docker('tag', image, ref);
    const { stdout } = await docker('push', ref);
    expect(stdout).toMatch(/digest: sha256:[0-9a-f]{64}/);
  });

  it('pushes to the TLS registry after login, trusting the testbed CA', async () => {
    const ref = `${env.TESTBED_REGISTRY_AUTH}/${image}`;
    await docker('tag', image, ref);
    await expect(docker('push', ref)).rejects.toThrow(/no basic auth credentials|unauthorized/);
    await docker('login', '--username', env.TESTBED_REGISTRY_AUTH_USER!, '--password', env.TESTBED_REGISTRY_AUTH_PASSWORD!, env.TESTBED_REGISTRY_AUTH!);
    const { stdout } = await docker('push', ref);
    expect(stdout).toMatch(/digest: sha256:[0-9a-f]{64}/);
  });
});

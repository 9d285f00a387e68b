import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireTestbed } from '@falco-airgap/testbed/env';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegistryClient, type RegistryClientSetup } from './create-registry-client.ts';
import { digestOf } from './digest.ts';
import { OciErrorCode } from './errors.ts';
import type { RegistryClient } from './oci-client.ts';

const env = requireTestbed('TESTBED_REGISTRY', 'TESTBED_REGISTRY_AUTH', 'TESTBED_REGISTRY_AUTH_USER', 'TESTBED_REGISTRY_AUTH_PASSWORD', 'TESTBED_CA_FILE');
const PLAIN_PORT = env.TESTBED_REGISTRY!.split(':')[1]!;
const AUTH_PORT = env.TESTBED_REGISTRY_AUTH!.split(':')[1]!;
const USER = env.TESTBED_REGISTRY_AUTH_USER!;
const PASSWORD = env.TESTBED_REGISTRY_AUTH_PASSWORD!;
const FAST = { attempts: 2, baseDelayMs: 10, maxDelayMs: 20 };
const repository = `oci-hosts/${process.pid}-${Date.now().toString(36)}`;
const basic = (user: string, password: string) => Buffer.from(`${user}:${password}`).toString('base64');

let root: string;
let bin: string;
let path: string | undefined;

/** A docker config directory holding this config.json. */
async function dockerConfig(name: string, config: unknown): Promise<string> {
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'config.json'), JSON.stringify(config));
  return dir;
}

/** `docker-credential-<name>` on PATH: answers `get` for one server with these credentials and logs what it was asked. */
async function credentialHelper(name: string, server: string, user: string, secret: string): Promise<string> {
  const log = join(root, `${name}.log`);
  const script = [
    '#!/bin/sh',
    'read -r server',
    `printf '%s\\n' "$server" >> '${log}'`,
    `if [ "$server" = '${server}' ]; then`,
    `  printf '{"ServerURL":"%s","Username":"${user}","Secret":"${secret}"}\\n' "$server"`,
    'else',
    '  echo "credentials not found in native keychain"; exit 1',
    'fi',
  ].join('\n');
  await writeFile(join(bin, `docker-credential-${name}`), `${script}\n`);
  await chmod(join(bin, `docker-credential-${name}`), 0o755);
  return log;
}

async function roundTrip(setup: RegistryClientSetup, registry: string): Promise<void> {
  const client = await createRegistryClient({ retry: FAST, ...setup });
  try {
    const bytes = randomBytes(1200);
    await client.putBlob({ registry, repository }, bytes);
    expect(await client.readBlob({ registry, repository }, { digest: digestOf(bytes), size: bytes.length })).toEqual(bytes);
  } finally {
    await client.close();
  }
}

async function refusal(setup: RegistryClientSetup, registry: string): Promise<unknown> {
  const client: RegistryClient = await createRegistryClient({ retry: FAST, ...setup });
  try {
    return await client.blobExists({ registry, repository }, digestOf(Buffer.from('x'))).then(
      () => new Error('expected a refusal'),
      (error: unknown) => error,
    );
  } finally {
    await client.close();
  }
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'oci-hosts-'));
  bin = join(root, 'bin');
  await mkdir(bin);
  path = process.env.PATH;
  process.env.PATH = `${bin}:${path}`;
});
afterAll(async () => {
  process.env.PATH = path;
  await rm(root, { recursive: true, force: true });
});

describe('registry hosts in any spelling, against the testbed registries', () => {
  it('finds docker config credentials under a URL key in another case, for a mixed-case reference', async () => {
    const dockerConfigDir = await dockerConfig('url-key', { auths: { [`https://LocalHost:${AUTH_PORT}/v2/`]: { auth: basic(USER, PASSWORD) } } });
    await roundTrip({ caFile: env.TESTBED_CA_FILE, dockerConfigDir }, `LOCALHOST:${AUTH_PORT}`);
    await roundTrip({ caFile: env.TESTBED_CA_FILE, dockerConfigDir }, `localhost:${AUTH_PORT}`);
  });

  it('matches plainHttp hosts whatever their case', async () => {
    await roundTrip({ plainHttp: [`LOCALHOST:${PLAIN_PORT}`] }, `localhost:${PLAIN_PORT}`);
    await roundTrip({ plainHttp: [`localhost:${PLAIN_PORT}`] }, `LocalHost:${PLAIN_PORT}`);
  });

  it('treats host:443 as the host itself: credentials stored for one serve the other', async (test) => {
    // The registry's certificate names localhost; a plain TCP relay puts it on the HTTPS port.
    const relay = await listenRelay(443, Number(AUTH_PORT));
    if (!relay) return test.skip('port 443 on loopback is not available to this user');
    try {
      const dockerConfigDir = await dockerConfig('port-443', { auths: { 'https://LOCALHOST:443': { auth: basic(USER, PASSWORD) } } });
      await roundTrip({ caFile: env.TESTBED_CA_FILE, dockerConfigDir }, 'localhost');
      await roundTrip({ caFile: env.TESTBED_CA_FILE, dockerConfigDir }, 'Localhost:443');
    } finally {
      await new Promise((resolve) => relay.close(resolve));
    }
  });
});

describe('credential helpers against the TLS + basic-auth registry', () => {
  it('runs the credHelpers entry for the host (ECR-style Basic challenge answered from a helper)', async () => {
    const log = await credentialHelper('testbed-good', `localhost:${AUTH_PORT}`, USER, PASSWORD);
    const dockerConfigDir = await dockerConfig('helper-good', { credHelpers: { [`LocalHost:${AUTH_PORT}`]: 'testbed-good' } });
    await roundTrip({ caFile: env.TESTBED_CA_FILE, dockerConfigDir }, `localhost:${AUTH_PORT}`);
    // Asked once per client, with the canonical host.
    expect((await readFile(log, 'utf8')).trim().split('\n')).toEqual([`localhost:${AUTH_PORT}`]);
  });

  it('says the credentials were rejected when the helper hands out a wrong secret, without blaming the repository', async () => {
    await credentialHelper('testbed-stale', `localhost:${AUTH_PORT}`, USER, 'expired-secret');
    const dockerConfigDir = await dockerConfig('helper-stale', { credHelpers: { [`localhost:${AUTH_PORT}`]: 'testbed-stale' } });
    const error = await refusal({ caFile: env.TESTBED_CA_FILE, dockerConfigDir }, `localhost:${AUTH_PORT}`);
    expect(error).toMatchObject({
      code: OciErrorCode.Unauthorized,
      category: 'input',
      status: 401,
      message: expect.stringContaining('the configured credentials were rejected'),
      hint: expect.stringContaining(`docker login localhost:${AUTH_PORT}`),
    });
    expect((error as { hint: string }).hint).not.toContain('repository exists');
  });

  it('reports a helper that is not installed as OCI_CREDENTIAL_HELPER', async () => {
    const dockerConfigDir = await dockerConfig('helper-absent', { credHelpers: { [`localhost:${AUTH_PORT}`]: 'not-installed' } });
    expect(await refusal({ caFile: env.TESTBED_CA_FILE, dockerConfigDir }, `localhost:${AUTH_PORT}`)).toMatchObject({
      code: OciErrorCode.CredentialHelper,
      category: 'input',
    });
  });
});

/** A TCP relay from a loopback port to another; undefined when the port cannot be bound. */
async function listenRelay(port: number, to: number): Promise<Server | undefined> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(to, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  const listening = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => resolve(true));
  });
  if (!listening) return undefined;
  const close = server.close.bind(server);
  return Object.assign(server, {
    close: (callback?: (error?: Error) => void) => {
      for (const s of sockets) s.destroy();
      return close(callback);
    },
  });
}

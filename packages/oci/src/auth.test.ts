import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { challengeError, parseWwwAuthenticate } from './auth.ts';
import { createRegistryClient, type RegistryClientSetup } from './create-registry-client.ts';
import { digestOf } from './digest.ts';
import { dockerConfigCredentials, parseDockerConfig, runDockerCredentialHelper, StaticCredentials } from './docker-config.ts';
import { OciErrorCode } from './errors.ts';
import { MediaType } from './media-types.ts';
import { pushArtifact, type RegistryClient, type RepositoryLocation } from './oci-client.ts';
import { FakeRegistry, type AuthMode } from './test-support/fake-registry.ts';

describe('WWW-Authenticate', () => {
  it('parses a bearer challenge with quoted parameters', () => {
    expect(
      parseWwwAuthenticate('Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:falcosecurity/plugins/plugin/k8saudit:pull"'),
    ).toEqual([
      { scheme: 'bearer', params: { realm: 'https://ghcr.io/token', service: 'ghcr.io', scope: 'repository:falcosecurity/plugins/plugin/k8saudit:pull' } },
    ]);
  });

  it('parses basic and several challenges in one header', () => {
    expect(parseWwwAuthenticate('Basic realm="registry", Bearer realm="https://a/t"').map((c) => c.scheme)).toEqual(['basic', 'bearer']);
    expect(parseWwwAuthenticate('Basic realm="falco-airgap-testbed"')[0]!.params.realm).toBe('falco-airgap-testbed');
  });

  it("parses ECR's Basic challenge with its realm URL and service", () => {
    expect(parseWwwAuthenticate('Basic realm="https://123456789012.dkr.ecr.eu-west-1.amazonaws.com/",service="ecr.amazonaws.com"')).toEqual([
      { scheme: 'basic', params: { realm: 'https://123456789012.dkr.ecr.eu-west-1.amazonaws.com/', service: 'ecr.amazonaws.com' } },
    ]);
  });

  it('reads the error a bearer challenge carries', () => {
    expect(challengeError('Bearer realm="https://r/token",service="r",scope="repository:a:pull",error="insufficient_scope"')).toBe('insufficient_scope');
    expect(challengeError('Bearer realm="https://r/token",error="invalid_token"')).toBe('invalid_token');
    expect(challengeError('Bearer realm="https://r/token"')).toBeUndefined();
    expect(challengeError(undefined)).toBeUndefined();
  });
});

describe('docker config credentials', () => {
  const none = async () => undefined;

  it('decodes auths entries, whatever form the key takes', async () => {
    const config = parseDockerConfig(
      JSON.stringify({ auths: { 'https://127.0.0.1:5443/v1/': { auth: Buffer.from('user:pa:ss').toString('base64') } } }),
      'config.json',
    );
    expect(await dockerConfigCredentials(config, '127.0.0.1:5443', none)).toEqual({ username: 'user', password: 'pa:ss', identityToken: undefined });
    expect(await dockerConfigCredentials(config, 'ghcr.io', none)).toBeUndefined();
  });

  it('maps docker.io to the Docker Hub key and prefers credHelpers, then auths, then credsStore', async () => {
    const calls: string[] = [];
    const helper = async (name: string, server: string) => {
      calls.push(`${name} ${server}`);
      return { username: name, password: 'p' };
    };
    const config = parseDockerConfig(
      JSON.stringify({
        auths: { 'https://index.docker.io/v1/': { auth: Buffer.from('hub:pw').toString('base64') }, 'quay.io': {} },
        credHelpers: { 'ghcr.io': 'gh' },
        credsStore: 'desktop',
      }),
      'config.json',
    );
    expect(await dockerConfigCredentials(config, 'ghcr.io', helper)).toMatchObject({ username: 'gh' });
    expect(await dockerConfigCredentials(config, 'docker.io', helper)).toMatchObject({ username: 'hub' });
    expect(await dockerConfigCredentials(config, 'quay.io', helper)).toMatchObject({ username: 'desktop' });
    expect(calls).toEqual(['gh ghcr.io', 'desktop quay.io']);
  });

  it('finds auths and credHelpers entries under any spelling of the host', async () => {
    const auth = (user: string) => ({ auth: Buffer.from(`${user}:pw`).toString('base64') });
    const config = parseDockerConfig(
      JSON.stringify({
        auths: { 'https://GHCR.io': auth('gh'), 'http://localhost:5000/v2/': auth('local'), 'registry.corp:443': auth('corp'), 'other.corp': 'junk' },
        credHelpers: { 'https://123456789012.dkr.ecr.eu-west-1.amazonaws.com': 'ecr-login', 'Quay.io:443': 'quay', 'broken.corp': 7 },
      }),
      'config.json',
    );
    const asked: string[] = [];
    const helper = async (name: string, server: string) => {
      asked.push(`${name} ${server}`);
      return { username: name, password: 'p' };
    };
    expect(await dockerConfigCredentials(config, 'ghcr.io:443', helper)).toMatchObject({ username: 'gh' });
    expect(await dockerConfigCredentials(config, 'LOCALHOST:5000', helper)).toMatchObject({ username: 'local' });
    expect(await dockerConfigCredentials(config, 'https://registry.corp', helper)).toMatchObject({ username: 'corp' });
    expect(await dockerConfigCredentials(config, 'localhost:5001', helper)).toBeUndefined();
    expect(await dockerConfigCredentials(config, 'other.corp', helper)).toBeUndefined();
    expect(await dockerConfigCredentials(config, 'broken.corp', helper)).toBeUndefined();
    expect(await dockerConfigCredentials(config, '123456789012.DKR.ECR.eu-west-1.amazonaws.com', helper)).toMatchObject({ username: 'ecr-login' });
    expect(await dockerConfigCredentials(config, 'quay.io', helper)).toMatchObject({ username: 'quay' });
    expect(asked).toEqual(['ecr-login 123456789012.dkr.ecr.eu-west-1.amazonaws.com', 'quay quay.io']);
  });

  it.each(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'Docker.io:443'])(
    'finds Docker Hub credentials for %s under any of its keys',
    async (host) => {
      for (const key of ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io', 'https://registry-1.docker.io/v2/']) {
        const config = parseDockerConfig(JSON.stringify({ auths: { [key]: { auth: Buffer.from('hub:pw').toString('base64') } } }), 'c');
        expect(await dockerConfigCredentials(config, host, none)).toMatchObject({ username: 'hub' });
      }
      const asked: string[] = [];
      const helpers = parseDockerConfig(JSON.stringify({ credHelpers: { 'index.docker.io': 'desktop' } }), 'c');
      await dockerConfigCredentials(helpers, host, async (name, server) => {
        asked.push(server);
        return { username: name };
      });
      expect(asked).toEqual(['https://index.docker.io/v1/']);
    },
  );

  it('refuses a config that is not JSON and an auth value without a colon', async () => {
    expect(() => parseDockerConfig('{', 'config.json')).toThrow(expect.objectContaining({ code: 'OCI_DOCKER_CONFIG' }));
    const config = parseDockerConfig(JSON.stringify({ auths: { 'r.example': { auth: Buffer.from('nocolon').toString('base64') } } }), 'c');
    await expect(dockerConfigCredentials(config, 'r.example', none)).rejects.toMatchObject({ code: 'OCI_DOCKER_CONFIG' });
  });
});

describe('docker-credential helpers', () => {
  it('runs docker-credential-<name> get with the server on stdin, and treats "not found" as anonymous', async () => {
    const bin = await mkdtemp(join(tmpdir(), 'cred-helper-'));
    const helper = join(bin, 'docker-credential-fixture');
    await writeFile(
      helper,
      '#!/bin/sh\nread server\ncase "$server" in\n  known.example) echo \'{"ServerURL":"known.example","Username":"robot","Secret":"s3cret"}\' ;;\n  token.example) echo \'{"Username":"<token>","Secret":"refresh"}\' ;;\n  *) echo "credentials not found in native keychain"; exit 1 ;;\nesac\n',
    );
    await chmod(helper, 0o755);
    const path = process.env.PATH;
    process.env.PATH = `${bin}:${path}`;
    try {
      expect(await runDockerCredentialHelper('fixture', 'known.example')).toEqual({ username: 'robot', password: 's3cret' });
      expect(await runDockerCredentialHelper('fixture', 'token.example')).toEqual({ identityToken: 'refresh' });
      expect(await runDockerCredentialHelper('fixture', 'other.example')).toBeUndefined();
      await expect(runDockerCredentialHelper('absent-helper', 'x')).rejects.toMatchObject({ code: 'OCI_CREDENTIAL_HELPER', category: 'input' });
      await expect(runDockerCredentialHelper('../evil', 'x')).rejects.toMatchObject({ code: 'OCI_CREDENTIAL_HELPER' });
    } finally {
      process.env.PATH = path;
      await rm(bin, { recursive: true, force: true });
    }
  });
});

const ECR = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
const FAST = { attempts: 2, baseDelayMs: 1, maxDelayMs: 2 };

/** A one-blob image pushed under a tag, resolved and read back: every request a mirror run makes. */
async function pushAndPull(client: RegistryClient, location: RepositoryLocation): Promise<void> {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', created: String(Math.random()) }));
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: { mediaType: MediaType.ociImageConfig, digest: digestOf(config), size: config.length },
      layers: [],
    }),
  );
  await pushArtifact(
    client,
    location,
    {
      root: { descriptor: { mediaType: MediaType.ociManifest, digest: digestOf(manifest) }, bytes: manifest },
      manifests: [],
      blobs: [{ descriptor: { digest: digestOf(config) }, bytes: config }],
    },
    ['1.0.0'],
  );
  const root = await client.resolve({ ...location, tag: '1.0.0', digest: undefined });
  expect(root.digest).toBe(digestOf(manifest));
  expect(await client.readBlob(location, { digest: digestOf(config), size: config.length })).toEqual(config);
}

async function failure(call: Promise<unknown>): Promise<{ code: string; category: string; message: string; hint: string; status?: number }> {
  return call.then(
    () => {
      throw new Error('expected a failure');
    },
    (error: { code: string; category: string; message: string; hint: string }) => error,
  );
}

function fakeWith(auth: AuthMode, host = 'registry.test'): FakeRegistry {
  const fake = new FakeRegistry(host);
  fake.auth = auth;
  return fake;
}

function connect(fake: FakeRegistry, setup: RegistryClientSetup = {}): Promise<RegistryClient> {
  return createRegistryClient({ transport: fake.transport, retry: FAST, ...setup });
}

const alice = new StaticCredentials({ 'registry.test': { username: 'alice', password: 'secret' } });

describe('what a registry says about the account', () => {
  it('says the account lacks access when the token server grants nothing for a repository (insufficient_scope)', async () => {
    const fake = fakeWith({ kind: 'bearer', username: 'alice', password: 'secret', access: (repo) => (repo === 'team/public' ? ['pull'] : []) });
    const client = await connect(fake, { credentials: alice });
    const pull = await failure(client.blobExists({ registry: 'registry.test', repository: 'team/private' }, digestOf(Buffer.from('x'))));
    expect(pull).toMatchObject({
      code: OciErrorCode.AccessDenied,
      category: 'input',
      status: 401,
      message: 'registry.test denied the configured account pull access to team/private (401)',
    });
    expect(await client.blobExists({ registry: 'registry.test', repository: 'team/public' }, digestOf(Buffer.from('x')))).toBe(false);
    const push = await failure(client.putBlob({ registry: 'registry.test', repository: 'team/public' }, Buffer.from('x')));
    expect(push).toMatchObject({ code: OciErrorCode.AccessDenied, message: expect.stringContaining('push access to team/public') });
  });

  it('says a 403 (DENIED) is about access for a logged-in account, and about missing credentials for an anonymous one', async () => {
    const fake = fakeWith({ kind: 'none' });
    fake.faults.status = () => 403;
    const location = { registry: 'registry.test', repository: 'team/app' };
    expect(await failure((await connect(fake, { credentials: alice })).blobExists(location, digestOf(Buffer.from('x'))))).toMatchObject({
      code: OciErrorCode.AccessDenied,
      status: 403,
    });
    expect(await failure((await connect(fake)).blobExists(location, digestOf(Buffer.from('x'))))).toMatchObject({
      code: OciErrorCode.Unauthorized,
      hint: expect.stringContaining('or check that the repository exists'),
    });
  });

  it('says wrong credentials were refused, without suggesting the repository might not exist', async () => {
    const wrong = new StaticCredentials({ 'registry.test': { username: 'alice', password: 'wrong' } });
    for (const auth of [
      { kind: 'bearer', username: 'alice', password: 'secret' },
      { kind: 'basic', username: 'alice', password: 'secret' },
    ] as const) {
      const error = await failure(
        (await connect(fakeWith(auth), { credentials: wrong })).blobExists({ registry: 'registry.test', repository: 'a' }, digestOf(Buffer.from('x'))),
      );
      expect(error).toMatchObject({ code: OciErrorCode.Unauthorized, category: 'input', hint: expect.stringContaining('docker login registry.test') });
      expect(error.message).toMatch(/refused the configured credentials|the configured credentials were rejected/);
      expect(error.hint).not.toContain('repository exists');
    }
    const anonymous = await failure(
      (await connect(fakeWith({ kind: 'bearer', username: 'alice', password: 'secret' }))).blobExists(
        { registry: 'registry.test', repository: 'a' },
        digestOf(Buffer.from('x')),
      ),
    );
    expect(anonymous).toMatchObject({ code: OciErrorCode.Unauthorized, hint: expect.stringContaining('or check that the repository exists') });
  });
});

describe('bearer tokens that expire', () => {
  const location = { registry: 'registry.test', repository: 'team/app' };

  it('renews a token that stops working mid-run once, and goes on', async () => {
    const fake = fakeWith({ kind: 'bearer', username: 'alice', password: 'secret', tokenUses: 3 });
    const client = await connect(fake, { credentials: alice });
    await pushAndPull(client, location);
    expect(fake.tokensIssued()).toBeGreaterThan(2);
    // Each expired token cost one 401, one token and one retry: never two 401s for one request.
    const refusals = fake.log.filter((r) => r.status === 401).length;
    expect(refusals).toBe(fake.tokensIssued());
  });

  it('renews once for requests refused together', async () => {
    const fake = fakeWith({ kind: 'bearer', username: 'alice', password: 'secret' });
    const client = await connect(fake, { credentials: alice });
    expect(await client.blobExists(location, digestOf(Buffer.from('first')))).toBe(false);
    fake.expireTokens();
    const digests = ['a', 'b', 'c', 'd', 'e'].map((x) => digestOf(Buffer.from(x)));
    expect(await Promise.all(digests.map((d) => client.blobExists(location, d)))).toEqual([false, false, false, false, false]);
    expect(fake.tokensIssued()).toBe(2);
  });

  it('fails clearly when a fresh token is refused too, after asking for exactly one', async () => {
    const fake = fakeWith({ kind: 'bearer', username: 'alice', password: 'secret', tokenUses: 0 });
    const client = await connect(fake, { credentials: alice });
    const error = await failure(client.blobExists(location, digestOf(Buffer.from('x'))));
    expect(error).toMatchObject({
      code: OciErrorCode.Unauthorized,
      status: 401,
      message: 'registry.test refused access to team/app: it refused the token its token server had just issued (invalid_token)',
    });
    expect(fake.log.filter((r) => r.path === '/token')).toHaveLength(1);
    expect(fake.log.filter((r) => r.method === 'HEAD')).toHaveLength(2);
  });
});

describe('credential helpers and host spellings against the fake registry', () => {
  let root: string;
  let path: string | undefined;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'oci-auth-'));
    await mkdir(join(root, 'bin'));
    path = process.env.PATH;
    process.env.PATH = `${join(root, 'bin')}:${path}`;
  });
  afterAll(async () => {
    process.env.PATH = path;
    await rm(root, { recursive: true, force: true });
  });

  /** `docker-credential-<name>` answering `get` for one server, logging every server it is asked about. */
  async function helper(name: string, server: string, user: string, secret: string): Promise<string> {
    const log = join(root, `${name}.log`);
    const script = `#!/bin/sh\nread -r server\nprintf '%s\\n' "$server" >> '${log}'\n[ "$server" = '${server}' ] || { echo "credentials not found in native keychain"; exit 1; }\necho '{"Username":"${user}","Secret":"${secret}"}'\n`;
    await writeFile(join(root, 'bin', `docker-credential-${name}`), script);
    await chmod(join(root, 'bin', `docker-credential-${name}`), 0o755);
    return log;
  }

  async function dockerConfig(name: string, config: unknown): Promise<string> {
    const dir = join(root, name);
    await mkdir(dir);
    await writeFile(join(dir, 'config.json'), JSON.stringify(config));
    return dir;
  }

  it("answers ECR's Basic challenge with what the credHelpers entry's helper hands out", async () => {
    const fake = fakeWith(
      { kind: 'basic', username: 'AWS', password: 'ecr-token', challenge: `Basic realm="https://${ECR}/",service="ecr.amazonaws.com"` },
      ECR,
    );
    const log = await helper('ecr-fixture', ECR, 'AWS', 'ecr-token');
    const dockerConfigDir = await dockerConfig('ecr', { credHelpers: { [ECR]: 'ecr-fixture' }, credsStore: 'absent-store' });
    const client = await connect(fake, { dockerConfigDir });
    await pushAndPull(client, { registry: ECR, repository: 'falco/falco' });
    expect((await readFile(log, 'utf8')).trim().split('\n')).toEqual([ECR]);
  });

  it('pulls through short-lived bearer tokens with credentials from a helper, asking the helper once', async () => {
    const fake = fakeWith({ kind: 'bearer', username: 'robot', password: 'helper-secret', tokenUses: 2 });
    const log = await helper('token-fixture', 'registry.test', 'robot', 'helper-secret');
    const dockerConfigDir = await dockerConfig('bearer', { credHelpers: { 'https://Registry.Test:443': 'token-fixture' } });
    const client = await connect(fake, { dockerConfigDir });
    await pushAndPull(client, { registry: 'REGISTRY.test', repository: 'team/app' });
    expect(fake.tokensIssued()).toBeGreaterThan(3);
    expect((await readFile(log, 'utf8')).trim().split('\n')).toEqual(['registry.test']);
  });

  it('reaches Docker Hub at registry-1.docker.io under any alias, with its official images under library/', async () => {
    const fake = fakeWith({ kind: 'basic', username: 'hub', password: 'pw' }, 'registry-1.docker.io');
    const dockerConfigDir = await dockerConfig('hub', { auths: { 'https://index.docker.io/v1/': { auth: Buffer.from('hub:pw').toString('base64') } } });
    const client = await connect(fake, { dockerConfigDir });
    await pushAndPull(client, { registry: 'index.docker.io', repository: 'alpine' });
    expect(await client.headManifest({ registry: 'docker.io', repository: 'library/alpine' }, '1.0.0')).toBeDefined();
    expect(fake.log.every((r) => r.path === '/v2/' || r.path.startsWith('/v2/library/alpine/'))).toBe(true);
  });

  it('keeps one token and one answer per registry however its host is spelled', async () => {
    const fake = fakeWith({ kind: 'bearer', username: 'alice', password: 'secret' });
    const client = await connect(fake, { credentials: new StaticCredentials({ 'https://registry.test/v2/': { username: 'alice', password: 'secret' } }) });
    for (const registry of ['registry.test', 'REGISTRY.TEST', 'registry.test:443', 'https://Registry.test']) {
      expect(await client.blobExists({ registry, repository: 'team/app' }, digestOf(Buffer.from('x')))).toBe(false);
    }
    expect(fake.tokensIssued()).toBe(1);
  });
});

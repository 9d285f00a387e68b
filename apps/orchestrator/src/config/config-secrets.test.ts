import { OciError, OciErrorCode, type CredentialSource } from '@falco-airgap/oci';
import { S3StoreError, S3StoreErrorCode } from '@falco-airgap/s3-plugin-store';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runInMemory } from '../testing/run-in-memory.ts';
import { ConfigError } from './config-error.ts';
import { parseConfig } from './config-file.ts';
import { registryLoginFor, resolveSecret, storeKeysFor, type WrittenSecret } from './config-secrets.ts';
import { ConfiguredCredentials, LITERAL_SECRET_WARNING } from './configured-credentials.ts';

const at = { file: 'ci.yaml', line: 6, column: 50 };
const secret = (written: string): WrittenSecret => ({ field: 'environments.ci.registry.password', written, position: at });
const variables =
  (values: Record<string, string>) =>
  (name: string): string | undefined =>
    values[name];

function refusal(run: () => unknown): { code: string; message: string; hint: string | undefined; position: unknown } {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    const { code, message, hint, position, category } = error as ConfigError;
    expect(category).toBe('input');
    return { code, message, hint, position };
  }
  throw new Error('expected a refusal');
}

describe('resolveSecret', () => {
  it('takes a literal as it is written', () => {
    expect(resolveSecret(secret('s3cr3t-${'), variables({}))).toEqual({ value: 's3cr3t-${', variables: [] });
  });

  it('replaces ${NAME} with the variable, also inside other text', () => {
    expect(resolveSecret(secret('${REGISTRY_PASSWORD}'), variables({ REGISTRY_PASSWORD: 'from-ci' }))).toEqual({
      value: 'from-ci',
      variables: ['REGISTRY_PASSWORD'],
    });
    expect(resolveSecret(secret('${A}:${B}'), variables({ A: 'one', B: 'two' })).value).toBe('one:two');
  });

  it('refuses an unset variable, naming the field, the variable and what to do, at the field', () => {
    const refused = refusal(() => resolveSecret(secret('${REGISTRY_PASSWORD}'), variables({})));
    expect(refused).toEqual({
      code: 'CONFIG_SECRET_UNSET',
      message: 'environments.ci.registry.password refers to ${REGISTRY_PASSWORD}, but REGISTRY_PASSWORD is not set',
      hint: expect.stringContaining('set REGISTRY_PASSWORD in the environment falco-airgap runs in'),
      position: at,
    });
  });

  it('refuses an empty variable as well', () => {
    const refused = refusal(() => resolveSecret(secret('${REGISTRY_PASSWORD}'), variables({ REGISTRY_PASSWORD: '' })));
    expect(refused.code).toBe('CONFIG_SECRET_UNSET');
    expect(refused.message).toContain('REGISTRY_PASSWORD is empty');
  });
});

const config = parseConfig(
  [
    'apiVersion: falco-airgap/v1',
    'kind: Config',
    'environments:',
    '  ci:',
    '    registry: { host: "Registry.Internal:443/falco", username: ci, password: "${CI_PASSWORD}" }',
    '    cluster: { kubeContext: ci }',
    '    store: { bucket: plugins, endpoint: "http://minio:9000/", accessKeyId: ci-key, secretAccessKey: "${CI_SECRET}" }',
    '  qa:',
    '    registry: { host: registry.internal, username: ci, password: "${CI_PASSWORD}" }',
    '    cluster: { kubeContext: qa }',
    '    store: { accessKeyId: qa-key, secretAccessKey: literal-qa-secret }',
    '  other:',
    '    registry: { host: registry.internal, username: other, password: "${OTHER_PASSWORD}" }',
    '    cluster: { kubeContext: other }',
    '  open:',
    '    registry: { host: localhost:5000 }',
    '    cluster: { kubeContext: open }',
  ].join('\n'),
  'ci.yaml',
);

describe('which credentials a command gets', () => {
  it('matches registry hosts however they are spelled, as the registry client asks for them', () => {
    expect(registryLoginFor(config, 'registry.internal:443', 'ci')).toMatchObject({ environment: 'ci', host: 'registry.internal', username: 'ci' });
    expect(registryLoginFor(config, 'REGISTRY.internal', 'qa')?.password.field).toBe('environments.qa.registry.password');
    expect(registryLoginFor(config, 'localhost:5000', 'open')).toBeUndefined();
    expect(registryLoginFor(config, 'ghcr.io', 'ci')).toBeUndefined();
  });

  it('without --env, refuses environments that give different credentials for one host', () => {
    const refused = refusal(() => registryLoginFor(config, 'registry.internal'));
    expect(refused.code).toBe('CONFIG_AMBIGUOUS_CREDENTIALS');
    expect(refused.message).toBe('environments ci, qa, other give different credentials for registry registry.internal');
  });

  it('gives store keys only to the bucket and endpoint the environment names', () => {
    expect(storeKeysFor(config, { bucket: 'plugins', endpoint: 'http://MINIO:9000' })).toMatchObject({ environment: 'ci', accessKeyId: 'ci-key' });
    expect(storeKeysFor(config, { bucket: 'plugins', endpoint: 'http://elsewhere:9000' })).toBeUndefined();
    expect(storeKeysFor(config, { bucket: 'plugins' })).toBeUndefined();
    expect(storeKeysFor(config, { bucket: 'other', endpoint: 'http://minio:9000' }, 'ci')).toBeUndefined();
    // A selected environment whose store names no bucket gives its keys to the bucket the command uses.
    expect(storeKeysFor(config, { bucket: 'any' }, 'qa')).toMatchObject({ environment: 'qa', accessKeyId: 'qa-key' });
    expect(storeKeysFor(config, { bucket: 'any' })).toBeUndefined();
  });
});

describe('ConfiguredCredentials', () => {
  const create = (values: Record<string, string>) => {
    const warnings: { code: string; message: string; location?: string | undefined }[] = [];
    let reads = 0;
    const credentials = new ConfiguredCredentials({
      readConfig: async () => {
        reads++;
        return config;
      },
      variable: variables(values),
      warn: (warning) => warnings.push(warning),
    });
    return { credentials, warnings, reads: () => reads };
  };

  it('resolves nothing until a registry asks for the host', async () => {
    const { credentials, reads } = create({});
    const source: CredentialSource = credentials.registry('ci');
    expect(reads()).toBe(0);
    expect(await source.lookup('ghcr.io')).toBeUndefined();
    await expect(source.lookup('registry.internal')).rejects.toMatchObject({ code: 'CONFIG_SECRET_UNSET' });
  });

  it('answers the host with the user and the variable; a literal secret warns once, with where it is written', async () => {
    const { credentials, warnings } = create({ CI_PASSWORD: 'from-ci' });
    expect(await credentials.registry('ci').lookup('registry.internal')).toEqual({ username: 'ci', password: 'from-ci' });
    expect(warnings).toEqual([]);
    expect(await credentials.storeKeys({ bucket: 'plugins' }, 'qa')).toEqual({ accessKeyId: 'qa-key', secretAccessKey: 'literal-qa-secret' });
    expect(await credentials.storeKeys({ bucket: 'plugins' }, 'qa')).toBeDefined();
    expect(warnings).toEqual([
      expect.objectContaining({ code: LITERAL_SECRET_WARNING, message: 'environments.qa.store.secretAccessKey is written into the configuration file itself' }),
    ]);
    expect(warnings[0]!.location).toMatch(/^ci\.yaml:11:\d+$/);
    expect(JSON.stringify(warnings)).not.toContain('literal-qa-secret');
  });

  it('finds an unresolvable secret inside the error of the client that asked for it', async () => {
    const { credentials } = create({});
    const raised = await credentials
      .registry('ci')
      .lookup('registry.internal')
      .catch((error: unknown) => error);
    const wrapped = new OciError(OciErrorCode.RegistryUnreachable, 'registry.internal: HEAD /v2/ failed', 'check the network', raised);
    expect(await credentials.explain(wrapped)).toBe(raised);
  });

  it('names the user and where the credentials are written when the registry refuses them, never the password', async () => {
    const { credentials } = create({ CI_PASSWORD: 'from-ci' });
    await credentials.registry('ci').lookup('registry.internal');
    const refused = new OciError(
      OciErrorCode.Unauthorized,
      'registry.internal refused pushing to falco: the configured credentials were rejected',
      'log in',
      undefined,
      { status: 401, registry: 'registry.internal' },
    );
    const explained = (await credentials.explain(refused)) as OciError;
    expect(explained).toMatchObject({ code: 'OCI_UNAUTHORIZED', category: 'input', status: 401 });
    expect(explained.message).toBe(
      'registry.internal refused pushing to falco: the configured credentials were rejected (user ci of environments.ci.registry in ci.yaml)',
    );
    expect(explained.hint).toBe('check registry.username and registry.password of environments.ci in ci.yaml (read from CI_PASSWORD)');
    expect(await credentials.explain(explained)).toBe(explained);
    const elsewhere = new OciError(
      OciErrorCode.Unauthorized,
      'ghcr.io refused access to x: it requires credentials and none are configured',
      'log in',
      undefined,
      {
        registry: 'ghcr.io',
      },
    );
    expect(await credentials.explain(elsewhere)).toBe(elsewhere);
  });

  it('names the access key and where the keys are written when the bucket refuses them', async () => {
    const { credentials } = create({ CI_SECRET: 'from-ci' });
    await credentials.storeKeys({ bucket: 'plugins', endpoint: 'http://minio:9000' });
    const denied = new S3StoreError(S3StoreErrorCode.AccessDenied, 'access denied to list releases/ in s3://plugins (InvalidAccessKeyId)');
    const explained = (await credentials.explain(denied)) as S3StoreError;
    expect(explained.code).toBe('S3STORE_ACCESS_DENIED');
    expect(explained.message).toContain('with access key ci-key of environments.ci.store in ci.yaml');
    expect(explained.hint).toContain('check store.accessKeyId and store.secretAccessKey of environments.ci in ci.yaml (read from CI_SECRET)');
    expect(`${explained.message} ${explained.hint}`).not.toContain('from-ci');
  });
});

describe('secrets on the command line', () => {
  const file = [
    'apiVersion: falco-airgap/v1',
    'kind: Config',
    'environments:',
    '  ci:',
    '    registry: { host: registry.internal:5443, username: ci, password: "${REGISTRY_PASSWORD}" }',
    '    cluster: { kubeContext: ci }',
    '    strategy: s3',
    '    store: { bucket: plugins, endpoint: "http://127.0.0.1:1", accessKeyId: ci, secretAccessKey: "${S3_SECRET}" }',
    '',
  ].join('\n');
  const workspace = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cli-secrets-'));
    await writeFile(join(dir, 'ci.yaml'), file);
    return dir;
  };

  it('plans a pipeline without the secrets it would use', async () => {
    const repo = join(import.meta.dirname, '../../../..');
    const result = await runInMemory(['--config', join(await workspace(), 'ci.yaml'), '--json', 'pipeline', '--env', 'ci', '--dry-run'], { cwd: repo });
    expect(result.stderr).not.toContain('error[');
    expect(result.code).toBe(0);
  });

  it('refuses publish with exit 2 at the field when its variable is unset, before S3 is asked', async () => {
    const cwd = await workspace();
    const result = await runInMemory(['--config', 'ci.yaml', 'publish', '--bucket', 'plugins', '--endpoint', 'http://127.0.0.1:1'], { cwd });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      'error[CONFIG_SECRET_UNSET]: ci.yaml:8:97: environments.ci.store.secretAccessKey refers to ${S3_SECRET}, but S3_SECRET is not set — set S3_SECRET',
    );
  });
});

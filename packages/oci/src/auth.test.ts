import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseWwwAuthenticate } from './auth.ts';
import { dockerConfigCredentials, parseDockerConfig, runDockerCredentialHelper } from './docker-config.ts';

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

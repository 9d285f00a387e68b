import { describe, expect, it } from 'vitest';
import { ecrRegistryHost, parseAuthorizationData } from './ecr-credentials.ts';
import { planRepositories, type RepositoryState } from './ecr-repositories.ts';
import { DeployErrorCode, isDeployError } from './errors.ts';

const repo = (name: string, settings: Partial<RepositoryState> = {}): RepositoryState => ({
  name,
  uri: `123456789012.dkr.ecr.eu-west-1.amazonaws.com/${name}`,
  tagMutability: 'IMMUTABLE',
  scanOnPush: true,
  encryptionType: 'AES256',
  kmsKey: undefined,
  ...settings,
});

describe('ECR credentials', () => {
  it('decodes the authorization token into the AWS user and password for the registry host', () => {
    const credentials = parseAuthorizationData({
      authorizationToken: Buffer.from('AWS:eyJwYXlsb2FkIjoi:with:colons').toString('base64'),
      proxyEndpoint: 'https://123456789012.dkr.ecr.eu-west-1.amazonaws.com',
      expiresAt: new Date('2026-01-01T12:00:00Z'),
    });
    expect(credentials).toEqual({
      registry: '123456789012.dkr.ecr.eu-west-1.amazonaws.com',
      username: 'AWS',
      password: 'eyJwYXlsb2FkIjoi:with:colons',
      expiresAt: new Date('2026-01-01T12:00:00Z'),
    });
  });

  it('refuses an answer without a token', () => {
    const error = (() => {
      try {
        return parseAuthorizationData({ proxyEndpoint: 'https://x' });
      } catch (e) {
        return e;
      }
    })();
    expect(isDeployError(error, DeployErrorCode.AwsFailed)).toBe(true);
  });

  it('names the registry host of an account and region', () => {
    expect(ecrRegistryHost('123456789012', 'eu-west-1')).toBe('123456789012.dkr.ecr.eu-west-1.amazonaws.com');
    expect(ecrRegistryHost('123456789012', 'cn-north-1', 'aws-cn')).toBe('123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn');
  });
});

describe('planRepositories', () => {
  it('creates what is missing, leaves what is right, updates tag mutability and scan-on-push', () => {
    const plan = planRepositories(
      [{ name: 'falco-airgap/falco' }, { name: 'falco-airgap/falco-s3-loader', kmsKey: 'alias/falco' }, { name: 'falco-airgap/falco-plugin-loader' }],
      [repo('falco-airgap/falco'), repo('falco-airgap/falco-plugin-loader', { tagMutability: 'MUTABLE', scanOnPush: false })],
    );
    expect(plan).toEqual([
      { action: 'unchanged', name: 'falco-airgap/falco', warnings: [] },
      { action: 'create', name: 'falco-airgap/falco-s3-loader', kmsKey: 'alias/falco' },
      { action: 'update', name: 'falco-airgap/falco-plugin-loader', changes: ['immutable-tags', 'scan-on-push'], warnings: [] },
    ]);
  });

  it('warns when the encryption differs, since it cannot change', () => {
    const [step] = planRepositories([{ name: 'falco', kmsKey: 'alias/falco' }], [repo('falco')]);
    expect(step).toMatchObject({ action: 'unchanged', warnings: [expect.stringContaining('encryption cannot change after creation')] });
    const [same] = planRepositories(
      [{ name: 'falco', kmsKey: 'alias/falco' }],
      [repo('falco', { encryptionType: 'KMS', kmsKey: 'arn:aws:kms:eu-west-1:123456789012:alias/falco' })],
    );
    expect(same).toEqual({ action: 'unchanged', name: 'falco', warnings: [] });
  });

  it('refuses names ECR refuses', () => {
    for (const name of ['Falco', 'falco//x', '-falco', 'f']) {
      expect(() => planRepositories([{ name }], []), name).toThrow(expect.objectContaining({ code: DeployErrorCode.EcrRepositoryName }));
    }
  });
});

import { STSClient } from '@aws-sdk/client-sts';
import { definedFields } from '@falco-airgap/core';
import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CLUSTER_ID_HEADER, createEksToken, decodeEksToken, EKS_TOKEN_PREFIX, EksTokenProvider } from './eks-token.ts';

const KEYS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const AT = new Date('2026-03-01T12:00:00Z');

const sts = (options: { region?: string; sessionToken?: string; endpoint?: string } = {}) =>
  new STSClient(
    definedFields({
      region: options.region ?? 'eu-west-1',
      endpoint: options.endpoint,
      credentials: definedFields({ ...KEYS, sessionToken: options.sessionToken }),
    }),
  );

// SigV4 computed here from the specification, independently of the signer the library uses.
function expectedSignature(url: URL, clusterName: string): string {
  const query = [...url.searchParams.entries()]
    .filter(([key]) => key !== 'X-Amz-Signature')
    .map(([key, value]) => [encodeRfc3986(key), encodeRfc3986(value)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => `${key}=${value}`)
    .join('&');
  const canonicalRequest = [
    'GET',
    '/',
    query,
    `host:${url.host}\n${CLUSTER_ID_HEADER}:${clusterName}\n`,
    `host;${CLUSTER_ID_HEADER}`,
    createHash('sha256').update('').digest('hex'),
  ].join('\n');
  const date = url.searchParams.get('X-Amz-Date')!;
  const scope = url.searchParams.get('X-Amz-Credential')!.split('/').slice(1).join('/');
  const stringToSign = ['AWS4-HMAC-SHA256', date, scope, createHash('sha256').update(canonicalRequest).digest('hex')].join('\n');
  const [day, region, service] = scope.split('/');
  const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();
  const key = hmac(hmac(hmac(hmac(`AWS4${KEYS.secretAccessKey}`, day!), region!), service!), 'aws4_request');
  return createHmac('sha256', key).update(stringToSign).digest('hex');
}

function encodeRfc3986(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

describe('createEksToken', () => {
  it('is a presigned STS GetCallerIdentity URL, base64url after k8s-aws-v1., that signs x-k8s-aws-id', async () => {
    const { token, expiresAt } = await createEksToken({ sts: sts(), clusterName: 'prod-eu', now: AT });
    expect(token.startsWith(EKS_TOKEN_PREFIX)).toBe(true);
    expect(token.slice(EKS_TOKEN_PREFIX.length)).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(token.length).toBeLessThan(4096);

    const url = decodeEksToken(token)!;
    expect(`${url.protocol}//${url.host}${url.pathname}`).toBe('https://sts.eu-west-1.amazonaws.com/');
    const query = Object.fromEntries(url.searchParams);
    expect(query).toMatchObject({
      Action: 'GetCallerIdentity',
      Version: '2011-06-15',
      'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
      'X-Amz-Credential': 'AKIDEXAMPLE/20260301/eu-west-1/sts/aws4_request',
      'X-Amz-Date': '20260301T120000Z',
      'X-Amz-Expires': '60',
      'X-Amz-SignedHeaders': 'host;x-k8s-aws-id',
    });
    expect(query['X-Amz-Security-Token']).toBeUndefined();
    expect(query['X-Amz-Signature']).toBe(expectedSignature(url, 'prod-eu'));
    expect(expiresAt.toISOString()).toBe('2026-03-01T12:15:00.000Z');
  });

  it('is signed for one cluster: the signature for another name does not match', async () => {
    const url = decodeEksToken((await createEksToken({ sts: sts(), clusterName: 'prod-eu', now: AT })).token)!;
    expect(url.searchParams.get('X-Amz-Signature')).not.toBe(expectedSignature(url, 'prod-us'));
  });

  it('carries the session token of temporary credentials, and signs the client endpoint it is given', async () => {
    const client = sts({ sessionToken: 'FwoGZXIvYXdzEXAMPLE/token+with=chars', endpoint: 'https://sts.vpce.internal:8443', region: 'eu-central-1' });
    const url = decodeEksToken((await createEksToken({ sts: client, clusterName: 'c1', now: AT })).token)!;
    expect(url.host).toBe('sts.vpce.internal:8443');
    expect(url.searchParams.get('X-Amz-Security-Token')).toBe('FwoGZXIvYXdzEXAMPLE/token+with=chars');
    expect(url.searchParams.get('X-Amz-Credential')).toBe('AKIDEXAMPLE/20260301/eu-central-1/sts/aws4_request');
    expect(url.searchParams.get('X-Amz-Signature')).toBe(expectedSignature(url, 'c1'));
  });

  it('decodes only tokens of the EKS kind', () => {
    expect(decodeEksToken('eyJhbGciOi.jwt.token')).toBeUndefined();
    expect(decodeEksToken(`${EKS_TOKEN_PREFIX}not base64!`)).toBeUndefined();
  });
});

describe('EksTokenProvider', () => {
  it('keeps a token until it is close to expiry, then signs a new one', async () => {
    let now = AT.getTime();
    const provider = new EksTokenProvider({ sts: sts(), clusterName: 'prod-eu', clock: () => new Date(now), refreshBeforeMs: 5 * 60_000 });
    const first = await provider.token();
    now += 9 * 60_000;
    expect((await provider.token()).token).toBe(first.token);
    now += 60_001;
    const second = await provider.token();
    expect(second.token).not.toBe(first.token);
    expect(second.expiresAt.getTime()).toBe(now + 15 * 60_000);
  });

  it('signs once for callers that ask at the same time', async () => {
    const provider = new EksTokenProvider({ sts: sts(), clusterName: 'prod-eu', clock: () => AT });
    const tokens = await Promise.all([provider.token(), provider.token(), provider.token()]);
    expect(new Set(tokens.map((t) => t.token)).size).toBe(1);
  });
});

import { definedFields } from '@falco-airgap/core';
import { SignatureV4 } from '@smithy/signature-v4';
import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signS3Request, type SigningCredentials } from './sigv4.ts';

type HashInput = string | ArrayBuffer | ArrayBufferView;
const bytes = (d: HashInput) => (typeof d === 'string' ? d : ArrayBuffer.isView(d) ? new Uint8Array(d.buffer, d.byteOffset, d.byteLength) : new Uint8Array(d));
class Sha256 {
  private readonly hash;
  constructor(secret?: HashInput) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: HashInput) {
    this.hash.update(bytes(data));
  }
  async digest() {
    return new Uint8Array(this.hash.digest());
  }
  reset() {}
}

// The SDK's own signer is the reference: the loader's signer must produce the same Authorization header.
async function reference(
  method: string,
  host: string,
  path: string,
  headers: Record<string, string>,
  credentials: SigningCredentials,
  region: string,
  now: Date,
) {
  const signer = new SignatureV4({
    service: 's3',
    region,
    credentials: definedFields(credentials),
    sha256: Sha256,
    uriEscapePath: false,
    applyChecksum: false,
  });
  const [hostname, port] = host.split(':');
  const signed = await signer.sign(
    definedFields({
      method,
      protocol: 'https:',
      hostname: hostname!,
      port: port ? Number(port) : undefined,
      path,
      query: {},
      headers: { ...headers, host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
    }),
    { signingDate: now },
  );
  return signed.headers.authorization;
}

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const now = new Date('2026-03-04T05:06:07.000Z');

describe('signS3Request', () => {
  it.each([
    ['GET', 'bucket.s3.eu-west-1.amazonaws.com', '/falco/plugins/channels/prod.json', {}, credentials, 'eu-west-1'],
    ['HEAD', '127.0.0.1:9000', '/bucket/blobs/sha256/abc', { 'x-amz-checksum-mode': 'ENABLED' }, credentials, 'us-east-1'],
    [
      'GET',
      's3.us-gov-west-1.amazonaws.com',
      '/corp.bucket/releases/falco-0.44.1-0123456789abcdef.json',
      {},
      { ...credentials, sessionToken: 'FwoGZXIvYXdzEXAMPLETOKEN' },
      'us-gov-west-1',
    ],
  ] as const)('signs %s %s%s as the SDK does', async (method, host, path, headers, creds, region) => {
    const ours = signS3Request({ method, host, path, headers: { ...headers } }, creds, region, now);
    expect(ours.authorization).toBe(await reference(method, host, path, { ...headers }, creds, region, now));
    expect(ours['x-amz-date']).toBe('20260304T050607Z');
    if ('sessionToken' in creds) expect(ours['x-amz-security-token']).toBe(creds.sessionToken);
  });
});

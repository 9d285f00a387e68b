import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireTestbed } from '../env.ts';

const env = requireTestbed('TESTBED_S3_ENDPOINT', 'TESTBED_S3_ACCESS_KEY', 'TESTBED_S3_SECRET_KEY', 'TESTBED_S3_REGION');
const client = new S3Client({
  endpoint: env.TESTBED_S3_ENDPOINT!,
  region: env.TESTBED_S3_REGION!,
  forcePathStyle: true,
  credentials: { accessKeyId: env.TESTBED_S3_ACCESS_KEY!, secretAccessKey: env.TESTBED_S3_SECRET_KEY! },
});
const bucket = `testbed-integ-${randomBytes(4).toString('hex')}`;
const sha256Base64 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('base64');

/** The rejection of a promised S3 call, so tests can assert its name and HTTP status. */
async function s3Failure(call: Promise<unknown>): Promise<S3ServiceException> {
  try {
    await call;
  } catch (err) {
    if (err instanceof S3ServiceException) return err;
    throw err;
  }
  throw new Error('the S3 call succeeded, but the test expected it to be rejected');
}

beforeAll(async () => {
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
});

afterAll(async () => {
  const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
  for (const o of listed.Contents ?? []) await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: o.Key }));
  await client.send(new DeleteBucketCommand({ Bucket: bucket }));
  client.destroy();
});

describe('S3 server', () => {
  const blob = randomBytes(4096);
  const key = `plugins/blobs/sha256/${createHash('sha256').update(blob).digest('hex')}`;

  it('stores an object with a SHA-256 checksum and returns the checksum on read', async () => {
    const put = await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: blob, ChecksumSHA256: sha256Base64(blob) }));
    expect(put.ChecksumSHA256).toBe(sha256Base64(blob));

    const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: 'ENABLED' }));
    expect(got.ChecksumSHA256).toBe(sha256Base64(blob));
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(blob)).toBe(true);
  });

  it('lists what it stores', async () => {
    const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'plugins/blobs/' }));
    expect(listed.Contents?.map((o) => [o.Key, o.Size])).toEqual([[key, blob.length]]);
  });

  it('rejects a body that does not match its SHA-256 checksum, and stores nothing', async () => {
    const wrongKey = 'plugins/tampered';
    const err = await s3Failure(
      client.send(new PutObjectCommand({ Bucket: bucket, Key: wrongKey, Body: blob, ChecksumSHA256: sha256Base64(Buffer.from('something else')) })),
    );
    expect(err.$metadata.httpStatusCode).toBe(400);
    expect(err.name).toMatch(/BadDigest|XAmzContentChecksumMismatch|InvalidDigest/);
    expect((await s3Failure(client.send(new GetObjectCommand({ Bucket: bucket, Key: wrongKey })))).name).toBe('NoSuchKey');
  });

  it('refuses a create-only write (If-None-Match: *) over an existing object with 412', async () => {
    const err = await s3Failure(client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: Buffer.from('overwrite'), IfNoneMatch: '*' })));
    expect(err.$metadata.httpStatusCode).toBe(412);
    expect(err.name).toBe('PreconditionFailed');
  });

  it('applies a compare-and-swap write (If-Match) only against the current ETag', async () => {
    const pointer = 'channels/prod.json';
    const first = await client.send(new PutObjectCommand({ Bucket: bucket, Key: pointer, Body: '{"release":"r1"}', IfNoneMatch: '*' }));
    const second = await client.send(new PutObjectCommand({ Bucket: bucket, Key: pointer, Body: '{"release":"r2"}', IfMatch: first.ETag }));
    expect(second.ETag).not.toBe(first.ETag);

    // A writer still holding the first ETag lost the race.
    const stale = await s3Failure(client.send(new PutObjectCommand({ Bucket: bucket, Key: pointer, Body: '{"release":"r3"}', IfMatch: first.ETag })));
    expect(stale.$metadata.httpStatusCode).toBe(412);
    const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: pointer }));
    expect(await got.Body!.transformToString()).toBe('{"release":"r2"}');
  });
});

import {
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { createS3Client, ReleaseReader, S3ObjectStore, type IamPolicyDocument, type StorePolicies } from '@falco-airgap/s3-plugin-store';
import {
  openTestbedBucket,
  scopedCredentials,
  writeFixtureLock,
  type FixtureLock,
  type ScopedCredentials,
  type TestbedBucket,
} from '@falco-airgap/test-support';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runInMemory } from '../testing/run-in-memory.ts';

// Each role's printed policy is applied on MinIO as the session policy of STS credentials, so the
// keys can do exactly what the policy allows. MinIO has no s3:if-none-match / s3:if-match condition
// keys, so the policies are printed with --no-condition-keys, as an operator on MinIO would.
const PREFIX = 'falco/plugins';
let testbed: TestbedBucket;
let dir: string;
let policies: StorePolicies;
const roles: Record<'publisher' | 'gc' | 'reader', ScopedCredentials> = {} as never;
let first: string;

beforeAll(async () => {
  testbed = await openTestbedBucket('cli-iam');
  dir = await mkdtemp(join(tmpdir(), 'cli-iam-'));
  const printed = await runInMemory([
    '--json',
    'releases',
    'policy',
    '--bucket',
    testbed.bucket,
    '--prefix',
    PREFIX,
    '--channel',
    'prod',
    '--no-condition-keys',
  ]);
  policies = JSON.parse(printed.stdout.trim().split('\n').at(-1)!).data as StorePolicies;
  for (const role of ['publisher', 'gc', 'reader'] as const) roles[role] = await scopedCredentials(policies[role]);
});
afterAll(async () => {
  await testbed?.destroy();
  await rm(dir, { recursive: true, force: true });
});

let fixtures = 0;
const fixture = (version: string): Promise<FixtureLock> =>
  writeFixtureLock(join(dir, `f${fixtures++}`), {
    plugins: [
      { name: 'json', version, platforms: ['linux/amd64'] },
      { name: 'k8saudit', version, platforms: ['linux/amd64'] },
    ],
  });
const storeFlags = () => ['--bucket', testbed.bucket, '--prefix', PREFIX, '--endpoint', testbed.endpoint];

async function cli(role: keyof typeof roles, argv: string[]) {
  const { code, stdout } = await runInMemory(['--json', ...argv, ...storeFlags()], { env: roles[role].env });
  return { code, result: JSON.parse(stdout.trim().split('\n').at(-1)!) as { data?: Record<string, unknown>; error?: { code: string } } };
}

const clientOf = (role: keyof typeof roles): S3Client =>
  createS3Client({ endpoint: testbed.endpoint, region: testbed.region, credentials: roles[role], maxAttempts: 1 });

/** The S3 error name a request gets, or 'ok'. */
async function attempt(request: Promise<unknown>): Promise<string> {
  return request.then(
    () => 'ok',
    (error: Error) => error.name,
  );
}

describe('the publisher role', () => {
  it('publishes, promotes and rolls back', async () => {
    const one = await fixture('1.0.0');
    const two = await fixture('2.0.0');
    const published = await cli('publisher', ['publish', '--channel', 'prod', '--lock', one.lockPath, '--extracted', one.extractedDir]);
    expect(published.code).toBe(0);
    first = String(published.result.data!.release);
    const second = String((await cli('publisher', ['publish', '--lock', two.lockPath, '--extracted', two.extractedDir])).result.data!.release);
    expect((await cli('publisher', ['releases', 'promote', second, '--channel', 'prod'])).code).toBe(0);
    expect((await cli('publisher', ['releases', 'rollback', '--channel', 'prod'])).result.data).toMatchObject({ to: first });
  });

  it('cannot delete a release, a channel or a blob, nor run gc', async () => {
    const publisher = clientOf('publisher');
    const release = await new ReleaseReader({ objects: new S3ObjectStore({ client: testbed.client, bucket: testbed.bucket }), prefix: PREFIX }).getRelease(
      first,
    );
    for (const key of [`${PREFIX}/releases/${first}.json`, `${PREFIX}/channels/prod.json`, `${PREFIX}/${release.plugins[0]!.blob}`]) {
      expect(await attempt(publisher.send(new DeleteObjectCommand({ Bucket: testbed.bucket, Key: key })))).toBe('AccessDenied');
    }
    const gc = await cli('publisher', ['releases', 'gc', '--apply']);
    expect(gc.code).toBe(1);
    expect(gc.result.error).toMatchObject({ code: 'S3STORE_ACCESS_DENIED' });
    publisher.destroy();
  });

  it('cannot overwrite a release through a create-only write; a plain overwrite, which MinIO cannot deny, is refused by every reader', async () => {
    const publisher = clientOf('publisher');
    const key = `${PREFIX}/releases/${first}.json`;
    const original = await (await testbed.client.send(new GetObjectCommand({ Bucket: testbed.bucket, Key: key }))).Body!.transformToString();
    expect(await attempt(publisher.send(new PutObjectCommand({ Bucket: testbed.bucket, Key: key, Body: '{}', IfNoneMatch: '*' })))).toBe('PreconditionFailed');

    const altered = JSON.parse(original);
    altered.plugins[0].version = '9.9.9';
    expect(await attempt(publisher.send(new PutObjectCommand({ Bucket: testbed.bucket, Key: key, Body: JSON.stringify(altered) })))).toBe('ok');
    const reader = new ReleaseReader({ objects: new S3ObjectStore({ client: clientOf('reader'), bucket: testbed.bucket }), prefix: PREFIX });
    await expect(reader.getRelease(first)).rejects.toMatchObject({ code: 'S3STORE_RELEASE_TAMPERED' });
    await testbed.client.send(new PutObjectCommand({ Bucket: testbed.bucket, Key: key, Body: original }));
    publisher.destroy();
  });

  it('with the condition keys, as for AWS S3, is refused by MinIO, which does not know them', async () => {
    const aws = JSON.parse(
      (await runInMemory(['--json', 'releases', 'policy', '--bucket', testbed.bucket, '--prefix', PREFIX])).stdout.trim().split('\n').at(-1)!,
    ).data.publisher as IamPolicyDocument;
    expect(JSON.stringify(aws)).toContain('s3:if-none-match');
    // MinIO names the first unknown key it meets, in no fixed order.
    await expect(scopedCredentials(aws)).rejects.toThrow(/invalid condition key 's3:(if-(none-)?match|ObjectCreationOperation)'/);
  });
});

describe('the gc role', () => {
  it('deletes unreferenced blobs and aborts unfinished uploads', async () => {
    const orphan = `${PREFIX}/blobs/sha256/${'0'.repeat(64)}`;
    await testbed.client.send(new PutObjectCommand({ Bucket: testbed.bucket, Key: orphan, Body: 'left by an interrupted publish' }));
    // A release that lacks a blob, with the upload that was meant to put it there left unfinished.
    const three = await fixture('3.0.0');
    const lacking = String((await cli('publisher', ['publish', '--lock', three.lockPath, '--extracted', three.extractedDir])).result.data!.release);
    const release = await new ReleaseReader({ objects: new S3ObjectStore({ client: testbed.client, bucket: testbed.bucket }), prefix: PREFIX }).getRelease(
      lacking,
    );
    const blobKey = `${PREFIX}/${release.plugins[0]!.blob}`;
    await testbed.client.send(new DeleteObjectCommand({ Bucket: testbed.bucket, Key: blobKey }));
    await testbed.client.send(new CreateMultipartUploadCommand({ Bucket: testbed.bucket, Key: blobKey }));

    const gc = await cli('gc', ['releases', 'gc', '--apply', '--min-age', '0s']);
    expect(gc.code).toBe(0);
    expect(gc.result.data).toMatchObject({ deleted: 1, abortedUploads: 1, complete: true });
    const uploads = await testbed.client.send(new ListMultipartUploadsCommand({ Bucket: testbed.bucket, Prefix: blobKey }));
    expect(uploads.Uploads ?? []).toEqual([]);
  });

  it('cannot touch releases or channels', async () => {
    const gc = clientOf('gc');
    const release = `${PREFIX}/releases/${first}.json`;
    expect(await attempt(gc.send(new DeleteObjectCommand({ Bucket: testbed.bucket, Key: release })))).toBe('AccessDenied');
    expect(await attempt(gc.send(new PutObjectCommand({ Bucket: testbed.bucket, Key: release, Body: '{}' })))).toBe('AccessDenied');
    expect(await attempt(gc.send(new PutObjectCommand({ Bucket: testbed.bucket, Key: `${PREFIX}/releases/new.json`, Body: '{}' })))).toBe('AccessDenied');
    expect(await attempt(gc.send(new PutObjectCommand({ Bucket: testbed.bucket, Key: `${PREFIX}/channels/prod.json`, Body: '{}' })))).toBe('AccessDenied');
    expect(await attempt(gc.send(new DeleteObjectCommand({ Bucket: testbed.bucket, Key: `${PREFIX}/channels/prod.json` })))).toBe('AccessDenied');
    gc.destroy();
  });
});

describe('the reader role', () => {
  it('reads its channel, the release and its blobs, and cannot list, write or read another channel', async () => {
    const client = clientOf('reader');
    const reader = new ReleaseReader({ objects: new S3ObjectStore({ client, bucket: testbed.bucket }), prefix: PREFIX });
    const { release } = await reader.resolveChannel('prod');
    expect(release.id).toBe(first);
    expect(await attempt(client.send(new GetObjectCommand({ Bucket: testbed.bucket, Key: `${PREFIX}/${release.plugins[0]!.blob}` })))).toBe('ok');
    expect(await attempt(client.send(new ListObjectsV2Command({ Bucket: testbed.bucket, Prefix: `${PREFIX}/` })))).toBe('AccessDenied');
    await testbed.client.send(new PutObjectCommand({ Bucket: testbed.bucket, Key: `${PREFIX}/channels/staging.json`, Body: '{}' }));
    expect(await attempt(client.send(new GetObjectCommand({ Bucket: testbed.bucket, Key: `${PREFIX}/channels/staging.json` })))).toBe('AccessDenied');
    expect(await attempt(client.send(new PutObjectCommand({ Bucket: testbed.bucket, Key: `${PREFIX}/blobs/sha256/${'1'.repeat(64)}`, Body: 'x' })))).toBe(
      'AccessDenied',
    );
    client.destroy();
  });
});

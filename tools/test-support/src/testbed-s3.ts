import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { createS3Client } from '@falco-airgap/s3-plugin-store';
import { requireTestbed } from '@falco-airgap/testbed/env';

export interface TestbedBucket {
  client: S3Client;
  bucket: string;
  endpoint: string;
  region: string;
  /** What a child process needs to reach the bucket with the default credential chain. */
  env: Record<string, string>;
  /** Empties and removes the bucket, then closes the client. */
  destroy(): Promise<void>;
}

/** A fresh bucket on the testbed's S3 server, so test files never see each other's objects. */
export async function openTestbedBucket(name: string): Promise<TestbedBucket> {
  const env = requireTestbed('TESTBED_S3_ENDPOINT', 'TESTBED_S3_ACCESS_KEY', 'TESTBED_S3_SECRET_KEY', 'TESTBED_S3_REGION');
  const credentials = { accessKeyId: env.TESTBED_S3_ACCESS_KEY!, secretAccessKey: env.TESTBED_S3_SECRET_KEY! };
  const client = createS3Client({ endpoint: env.TESTBED_S3_ENDPOINT, region: env.TESTBED_S3_REGION, credentials });
  const bucket = `${name}-${randomBytes(4).toString('hex')}`;
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  return {
    client,
    bucket,
    endpoint: env.TESTBED_S3_ENDPOINT!,
    region: env.TESTBED_S3_REGION!,
    env: { AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey, AWS_REGION: env.TESTBED_S3_REGION! },
    async destroy() {
      await emptyBucket(client, bucket);
      await client.send(new DeleteBucketCommand({ Bucket: bucket }));
      client.destroy();
    },
  };
}

/** Removes every object and every unfinished multipart upload. */
export async function emptyBucket(client: S3Client, bucket: string): Promise<void> {
  const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
  for (const upload of uploads.Uploads ?? []) {
    await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: upload.Key!, UploadId: upload.UploadId! }));
  }
  for (;;) {
    const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
    const keys = (listed.Contents ?? []).map((o) => ({ Key: o.Key! }));
    if (keys.length === 0) return;
    await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } }));
  }
}

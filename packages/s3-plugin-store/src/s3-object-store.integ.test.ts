import { CreateMultipartUploadCommand } from '@aws-sdk/client-s3';
import { describeObjectStoreContract, openTestbedBucket } from '@falco-airgap/test-support';
import { S3ObjectStore } from './s3-object-store.ts';

describeObjectStoreContract('S3ObjectStore against the testbed S3 server', async () => {
  const testbed = await openTestbedBucket('contract');
  return {
    store: new S3ObjectStore({ client: testbed.client, bucket: testbed.bucket }),
    prefix: 'contract/',
    leaveUnfinishedUpload: async (key: string) => (await testbed.client.send(new CreateMultipartUploadCommand({ Bucket: testbed.bucket, Key: key }))).UploadId!,
    close: () => testbed.destroy(),
  };
});

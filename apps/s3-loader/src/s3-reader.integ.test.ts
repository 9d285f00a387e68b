import { S3ObjectStore } from '@falco-airgap/s3-plugin-store';
import { describeObjectReaderContract } from '../../../packages/s3-plugin-store/src/object-store.contract.ts';
import { openTestbedBucket } from '../../../packages/s3-plugin-store/src/test-support/testbed-s3.ts';
import { credentialSource, S3Reader } from './s3-reader.ts';

describeObjectReaderContract("the loader's S3Reader against the testbed S3 server", async () => {
  const testbed = await openTestbedBucket('reader');
  const reader = new S3Reader({
    bucket: testbed.bucket,
    region: testbed.region,
    endpoint: testbed.endpoint,
    credentials: credentialSource(testbed.env),
    timeoutMs: 10_000,
    maxSockets: 4,
  });
  return {
    reader,
    writer: new S3ObjectStore({ client: testbed.client, bucket: testbed.bucket }),
    prefix: 'reader/',
    close: async () => {
      reader.close();
      await testbed.destroy();
    },
  };
});

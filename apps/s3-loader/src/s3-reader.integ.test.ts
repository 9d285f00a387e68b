import { S3ObjectStore } from '@falco-airgap/s3-plugin-store';
import { describeObjectReaderContract } from '@falco-airgap/test-support';
import { openTestbedBucket } from '@falco-airgap/test-support';
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

import { describeObjectStoreContract } from '@falco-airgap/test-support';
import { S3ObjectStore } from './s3-object-store.ts';
import { openTestbedBucket } from '@falco-airgap/test-support';

describeObjectStoreContract('S3ObjectStore against the testbed S3 server', async () => {
  const testbed = await openTestbedBucket('contract');
  return { store: new S3ObjectStore({ client: testbed.client, bucket: testbed.bucket }), prefix: 'contract/', close: () => testbed.destroy() };
});

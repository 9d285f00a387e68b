import { randomBytes } from 'node:crypto';
import { requireTestbed } from '@falco-airgap/testbed/env';
import { describe, expect, it } from 'vitest';
import { createRegistryClient } from './create-registry-client.ts';
import { StaticCredentials } from './docker-config.ts';
import { digestOf } from './digest.ts';
import { OciErrorCode } from './errors.ts';
import { describeRegistryContract } from './registry.contract.ts';
import { startFaultProxy } from './test-support/fault-proxy.ts';

const env = requireTestbed('TESTBED_REGISTRY', 'TESTBED_REGISTRY_AUTH', 'TESTBED_REGISTRY_AUTH_USER', 'TESTBED_REGISTRY_AUTH_PASSWORD', 'TESTBED_CA_FILE');
const PLAIN = env.TESTBED_REGISTRY!;
const AUTH = env.TESTBED_REGISTRY_AUTH!;
const FAST = { attempts: 4, baseDelayMs: 10, maxDelayMs: 50 };

describeRegistryContract('testbed plain-HTTP registry', async () => ({
  registry: PLAIN,
  requiresCredentials: false,
  connect: ({ cacheDir }) => createRegistryClient({ plainHttp: [PLAIN], cacheDir, retry: FAST }),
}));

describeRegistryContract('testbed TLS + basic-auth registry', async () => ({
  registry: AUTH,
  requiresCredentials: true,
  connect: ({ cacheDir, credentials = 'valid' }) =>
    createRegistryClient({
      caFile: env.TESTBED_CA_FILE,
      cacheDir,
      retry: FAST,
      credentials:
        credentials === 'none'
          ? undefined
          : new StaticCredentials({
              [AUTH]: { username: env.TESTBED_REGISTRY_AUTH_USER, password: credentials === 'valid' ? env.TESTBED_REGISTRY_AUTH_PASSWORD : 'wrong' },
            }),
    }),
}));

describe('the HTTP stack against the testbed registries', () => {
  const repository = `oci-integ/${process.pid}-${Date.now().toString(36)}`;

  it('pushes through a connection that answers 500 twice, then succeeds', async () => {
    const proxy = await startFaultProxy(PLAIN, { failFirst: 2 });
    const client = await createRegistryClient({ plainHttp: [proxy.address], retry: FAST });
    try {
      const bytes = randomBytes(1000);
      await client.putBlob({ registry: proxy.address, repository }, bytes);
      expect(await client.readBlob({ registry: proxy.address, repository }, { digest: digestOf(bytes), size: bytes.length })).toEqual(bytes);
      expect(proxy.requests.filter((r) => r.startsWith('POST')).length).toBeGreaterThanOrEqual(2);
    } finally {
      await client.close();
      await proxy.close();
    }
  });

  it('says which option to set: caFile for an untrusted certificate, plainHttp for a registry without TLS', async () => {
    const client = await createRegistryClient({ retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 } });
    try {
      await expect(client.blobExists({ registry: AUTH, repository }, digestOf(Buffer.from('x')))).rejects.toMatchObject({
        code: OciErrorCode.RegistryUnreachable,
        hint: expect.stringContaining('`caFile`'),
      });
      await expect(client.blobExists({ registry: PLAIN, repository }, digestOf(Buffer.from('x')))).rejects.toMatchObject({
        code: OciErrorCode.RegistryUnreachable,
        hint: `${PLAIN} does not speak TLS: pass \`plainHttp\` ${PLAIN} if it is a plain-HTTP registry you trust`,
      });
    } finally {
      await client.close();
    }
  });
});

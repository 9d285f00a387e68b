import { requireTestbed } from '@falco-airgap/testbed/env';
import { describeContainerEngineContract } from './container-engine.contract.ts';
import { createDockerEngine } from './docker-engine.ts';

const env = requireTestbed('TESTBED_DOCKER_HOST', 'TESTBED_REGISTRY', 'TESTBED_REGISTRY_AUTH', 'TESTBED_REGISTRY_AUTH_USER', 'TESTBED_REGISTRY_AUTH_PASSWORD');

describeContainerEngineContract('dockerode on the testbed engine', async () => ({
  engine: createDockerEngine({ host: env.TESTBED_DOCKER_HOST }),
  registry: env.TESTBED_REGISTRY!,
  authRegistry: {
    host: env.TESTBED_REGISTRY_AUTH!,
    auth: { serverAddress: env.TESTBED_REGISTRY_AUTH!, username: env.TESTBED_REGISTRY_AUTH_USER, password: env.TESTBED_REGISTRY_AUTH_PASSWORD },
  },
}));

import { homedir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { resolveEnvironment } from './environment.ts';

describe('resolveEnvironment', () => {
  it('takes docker, cache, store and AWS settings from the variables', () => {
    const resolved = resolveEnvironment({
      HOME: '/home/ci',
      DOCKER_CONFIG: '/run/docker-auth',
      DOCKER_HOST: 'unix:///run/docker.sock',
      HTTPS_PROXY: 'http://proxy.corp:3128',
      http_proxy: 'http://plain-proxy.corp:8080',
      HTTP_PROXY: 'http://ignored.corp:8080',
      NO_PROXY: 'localhost,.corp.example',
      XDG_CACHE_HOME: '/var/cache/ci',
      FALCO_AIRGAP_S3_BUCKET: 'corp-falco',
      FALCO_AIRGAP_S3_PREFIX: 'falco/plugins',
      FALCO_AIRGAP_S3_ENDPOINT: 'http://minio:9000',
      AWS_DEFAULT_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'AKIA',
      AWS_SECRET_ACCESS_KEY: 'secret',
      CI: 'true',
    });
    expect(resolved).toEqual({
      dockerConfigDir: '/run/docker-auth',
      dockerHost: 'unix:///run/docker.sock',
      proxy: { httpsProxy: 'http://proxy.corp:3128', httpProxy: 'http://plain-proxy.corp:8080', noProxy: 'localhost,.corp.example' },
      cacheDir: '/var/cache/ci/falco-airgap/oci',
      store: { bucket: 'corp-falco', prefix: 'falco/plugins', endpoint: 'http://minio:9000' },
      awsRegion: 'eu-west-1',
      awsKeys: { accessKeyId: 'AKIA', secretAccessKey: 'secret', sessionToken: undefined },
      noColor: false,
      liveOutput: false,
    });
  });

  it('falls back to the home directory, us-east-1 and the SDK default chain; empty variables count as unset', () => {
    const resolved = resolveEnvironment({ HOME: '/home/dev', AWS_REGION: '', AWS_ACCESS_KEY_ID: 'AKIA', NO_COLOR: '1' });
    expect(resolved).toMatchObject({
      dockerConfigDir: '/home/dev/.docker',
      cacheDir: '/home/dev/.cache/falco-airgap/oci',
      awsRegion: 'us-east-1',
      awsKeys: undefined,
      noColor: true,
      liveOutput: true,
    });
    expect(resolveEnvironment({}).dockerConfigDir).toBe(`${homedir()}/.docker`);
    expect(resolveEnvironment({ https_proxy: '', HTTPS_PROXY: 'http://proxy.corp:3128' }).proxy).toEqual({
      httpsProxy: 'http://proxy.corp:3128',
      httpProxy: undefined,
      noProxy: undefined,
    });
  });
});

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
      lockDir: '/var/cache/ci/falco-airgap/locks',
      optionVariables: { FALCO_AIRGAP_S3_BUCKET: 'corp-falco', FALCO_AIRGAP_S3_PREFIX: 'falco/plugins', FALCO_AIRGAP_S3_ENDPOINT: 'http://minio:9000' },
      awsRegion: 'eu-west-1',
      awsKeys: { accessKeyId: 'AKIA', secretAccessKey: 'secret', sessionToken: undefined },
      variable: expect.any(Function),
      awsEndpoints: {},
      kubeconfig: ['/home/ci/.kube/config'],
      helmBinary: 'helm',
      helmEnv: {
        PATH: undefined,
        HOME: '/home/ci',
        HELM_CACHE_HOME: undefined,
        HELM_CONFIG_HOME: undefined,
        HELM_DATA_HOME: undefined,
        HTTPS_PROXY: 'http://proxy.corp:3128',
        HTTP_PROXY: 'http://plain-proxy.corp:8080',
        NO_PROXY: 'localhost,.corp.example',
        AWS_PROFILE: undefined,
        AWS_REGION: 'eu-west-1',
        AWS_ACCESS_KEY_ID: 'AKIA',
        AWS_SECRET_ACCESS_KEY: 'secret',
        AWS_SESSION_TOKEN: undefined,
      },
      tmpDir: expect.any(String),
      noColor: false,
      liveOutput: false,
    });
  });

  it('takes the kubeconfig files, the helm binary and what helm runs with from the variables', () => {
    const resolved = resolveEnvironment({
      HOME: '/home/ci',
      KUBECONFIG: '/etc/kube/a.yaml:/etc/kube/b.yaml',
      FALCO_AIRGAP_HELM: '/opt/helm/bin/helm',
      PATH: '/usr/bin',
      HELM_CACHE_HOME: '/var/cache/helm',
      TMPDIR: '/scratch',
      FALCO_AIRGAP_S3_BUCKET: 'never passed to helm',
    });
    expect(resolved).toMatchObject({ kubeconfig: ['/etc/kube/a.yaml', '/etc/kube/b.yaml'], helmBinary: '/opt/helm/bin/helm', tmpDir: '/scratch' });
    expect(resolved.helmEnv).toMatchObject({ PATH: '/usr/bin', HOME: '/home/ci', HELM_CACHE_HOME: '/var/cache/helm' });
    expect(Object.values(resolved.helmEnv)).not.toContain('never passed to helm');
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
    expect(resolveEnvironment({ FALCO_AIRGAP_LOCKED: '', FALCO_AIRGAP_VIA: 'docker', OTHER: 'x' }).optionVariables).toEqual({ FALCO_AIRGAP_VIA: 'docker' });
    expect(resolveEnvironment({ https_proxy: '', HTTPS_PROXY: 'http://proxy.corp:3128' }).proxy).toEqual({
      httpsProxy: 'http://proxy.corp:3128',
      httpProxy: undefined,
      noProxy: undefined,
    });
  });

  it('reads any variable as it was at start, an empty one as empty: what ${NAME} references of the configuration file read', () => {
    const env: NodeJS.ProcessEnv = { REGISTRY_PASSWORD: 'from-ci', EMPTY: '' };
    const resolved = resolveEnvironment(env);
    env.REGISTRY_PASSWORD = 'changed later';
    expect(resolved.variable('REGISTRY_PASSWORD')).toBe('from-ci');
    expect(resolved.variable('EMPTY')).toBe('');
    expect(resolved.variable('UNSET')).toBeUndefined();
    expect(resolved.variable('toString')).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import { dockerOptionsForHost } from './docker-host.ts';
import { EngineErrorCode } from './errors.ts';

describe('dockerOptionsForHost', () => {
  it('reads a unix socket and spells out every other connection setting', () => {
    const options = dockerOptionsForHost('unix:///run/user/1000/docker.sock');
    expect(options).toMatchObject({ socketPath: '/run/user/1000/docker.sock', protocol: 'http' });
    // Explicit undefined keys override what the client would otherwise take from the environment.
    for (const key of ['host', 'port', 'ca', 'cert', 'key', 'timeout']) expect(Object.hasOwn(options, key)).toBe(true);
  });

  it('reads tcp://host:port, with 2375 as the default port and IPv6 literals', () => {
    expect(dockerOptionsForHost('tcp://10.0.0.5:2377')).toMatchObject({ host: '10.0.0.5', port: 2377, protocol: 'http', socketPath: undefined });
    expect(dockerOptionsForHost('tcp://docker.internal')).toMatchObject({ host: 'docker.internal', port: 2375 });
    expect(dockerOptionsForHost('tcp://[::1]:2375')).toMatchObject({ host: '::1', port: 2375 });
  });

  it.each(['/var/run/docker.sock', 'unix://relative.sock', 'ssh://me@host', 'tcp://', 'tcp://host:2375/path', 'npipe:////./pipe/docker_engine'])(
    'refuses %s with ENGINE_BAD_HOST, an input error',
    (host) => {
      expect(() => dockerOptionsForHost(host)).toThrow(expect.objectContaining({ code: EngineErrorCode.BadHost, category: 'input' }));
    },
  );
});

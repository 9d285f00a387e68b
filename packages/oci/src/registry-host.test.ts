import { describe, expect, it } from 'vitest';
import { canonicalRegistryHost, registryApiHost, sameRegistry } from './registry-host.ts';

describe('canonicalRegistryHost', () => {
  it.each([
    ['ghcr.io', 'ghcr.io'],
    ['GHCR.IO', 'ghcr.io'],
    ['ghcr.io:443', 'ghcr.io'],
    ['https://ghcr.io', 'ghcr.io'],
    ['https://ghcr.io:443/v2/', 'ghcr.io'],
    ['LOCALHOST:5102', 'localhost:5102'],
    ['http://localhost:5000/v2/', 'localhost:5000'],
    ['http://registry.corp:80', 'registry.corp'],
    ['registry.corp:80', 'registry.corp:80'],
    ['127.0.0.1:5443', '127.0.0.1:5443'],
    ['[::1]:443', '[::1]'],
    ['[::1]:5000', '[::1]:5000'],
    ['https://user@registry.corp/', 'registry.corp'],
    ['  quay.io  ', 'quay.io'],
  ])('%s is %s', (input, expected) => {
    expect(canonicalRegistryHost(input)).toBe(expected);
  });

  it.each(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'https://index.docker.io/v1/', 'Docker.IO:443', 'https://registry-1.docker.io/v2/'])(
    'unifies Docker Hub alias %s as docker.io',
    (alias) => {
      expect(canonicalRegistryHost(alias)).toBe('docker.io');
    },
  );

  it('keeps other ports and other hosts apart', () => {
    expect(sameRegistry('ghcr.io', 'GHCR.io:443')).toBe(true);
    expect(sameRegistry('localhost:5000', 'localhost:5001')).toBe(false);
    expect(sameRegistry('localhost', '127.0.0.1')).toBe(false);
    expect(sameRegistry('docker.io', 'quay.io')).toBe(false);
  });

  it('sends Docker Hub API requests to registry-1.docker.io and every other registry to itself', () => {
    expect(registryApiHost('docker.io')).toBe('registry-1.docker.io');
    expect(registryApiHost('ghcr.io')).toBe('ghcr.io');
  });
});

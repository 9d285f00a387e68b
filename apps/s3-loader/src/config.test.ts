import { describe, expect, it } from 'vitest';
import { parseLoaderArgs, usage, type LoaderConfig } from './config.ts';
import { LoaderError } from './errors.ts';

function config(argv: string[], env: Record<string, string> = {}, arch = 'x64'): LoaderConfig {
  const parsed = parseLoaderArgs(argv, env, arch);
  if (parsed.kind !== 'run') throw new Error(`expected a run, got ${parsed.kind}`);
  return parsed.config;
}

function refusal(argv: string[], env: Record<string, string> = {}): LoaderError {
  try {
    parseLoaderArgs(argv, env, 'x64');
  } catch (error) {
    if (error instanceof LoaderError) return error;
    throw error;
  }
  throw new Error('accepted');
}

describe('parseLoaderArgs', () => {
  it('applies the defaults a Falco image expects', () => {
    expect(config(['--bucket', 'corp-falco', '--channel', 'prod'])).toEqual({
      bucket: 'corp-falco',
      prefix: '',
      channel: 'prod',
      release: undefined,
      region: undefined,
      endpoint: undefined,
      forcePathStyle: undefined,
      platform: 'linux/amd64',
      destination: '/usr/share/falco/plugins',
      rulesDestination: undefined,
      cacheDir: undefined,
      stateFile: '/usr/share/falco/plugins/.falco-s3-loader.json',
      onUnavailable: 'fail',
      timeoutMs: 30_000,
      retries: 3,
      retryForMs: 120_000,
      concurrency: 4,
    });
  });

  it('reads everything from FALCO_S3_LOADER_* variables, and flags win over them', () => {
    const env = {
      FALCO_S3_LOADER_BUCKET: 'from-env',
      FALCO_S3_LOADER_PREFIX: '/falco/plugins/',
      FALCO_S3_LOADER_RELEASE: 'falco-0.44.1-0123456789abcdef',
      FALCO_S3_LOADER_ENDPOINT: 'http://minio.storage:9000',
      FALCO_S3_LOADER_PATH_STYLE: 'false',
      FALCO_S3_LOADER_CACHE_DIR: '/var/cache/falco-s3-loader',
      FALCO_S3_LOADER_ON_UNAVAILABLE: 'use-cached',
      FALCO_S3_LOADER_TIMEOUT: '1500ms',
      FALCO_S3_LOADER_RETRIES: '0',
      FALCO_S3_LOADER_RETRY_FOR: '0s',
      AWS_REGION: 'eu-central-1',
    };
    expect(config([], env, 'arm64')).toMatchObject({
      bucket: 'from-env',
      prefix: 'falco/plugins',
      release: 'falco-0.44.1-0123456789abcdef',
      channel: undefined,
      endpoint: 'http://minio.storage:9000',
      forcePathStyle: false,
      region: 'eu-central-1',
      platform: 'linux/arm64',
      cacheDir: '/var/cache/falco-s3-loader',
      onUnavailable: 'use-cached',
      timeoutMs: 1500,
      retries: 0,
      retryForMs: 0,
    });
    expect(config(['--bucket', 'from-flag', '--timeout', '2m'], env)).toMatchObject({ bucket: 'from-flag', timeoutMs: 120_000 });
  });

  it.each([
    [[], 'no bucket'],
    [['--bucket', 'bkt'], 'exactly one of --channel'],
    [['--bucket', 'bkt', '--channel', 'prod', '--release', 'r1'], 'exactly one of --channel'],
    [['--bucket', 'bkt', '--channel', 'Prod'], 'not a valid channel name'],
    [['--bucket', 'bkt', '--channel', 'prod', '--dest', 'plugins'], 'must be an absolute path'],
    [['--bucket', 'bkt', '--channel', 'prod', '--on-unavailable', 'ignore'], 'must be fail or use-cached'],
    [['--bucket', 'bkt', '--channel', 'prod', '--on-unavailable', 'use-cached'], 'needs --cache-dir'],
    [['--bucket', 'bkt', '--channel', 'prod', '--timeout', 'soon'], 'not a duration'],
    [['--bucket', 'bkt', '--channel', 'prod', '--timeout', '0.0001s'], '--timeout "0.0001s" must be from 100ms to 1h'],
    [['--bucket', 'bkt', '--channel', 'prod', '--timeout', '9999999s'], '--timeout "9999999s" must be from 100ms to 1h'],
    [['--bucket', 'bkt', '--channel', 'prod', '--retry-for', '2d'], 'not a duration'],
    [['--bucket', 'bkt', '--channel', 'prod', '--region', 'eu-west-1\r\nX-Injected: 1'], 'is not a valid region'],
    [['--bucket', 'bkt', '--channel', 'prod', '--retries', '99'], 'whole number'],
    [['--bucket', 'bkt', '--channel', 'prod', '--platform', 'linux/s390x'], 'not supported'],
    [['--bucket', 'bkt', '--channel', 'prod', '--endpoint', 'minio:9000'], 'not an http(s) URL'],
    [['--bucket', 'bkt', '--channel', 'prod', '--bogus'], "Unknown option '--bogus'"],
  ])('refuses %j: %s', (argv, message) => {
    const error = refusal(argv);
    expect(error.code).toBe('LOADER_CONFIG');
    expect(error.message).toContain(message);
  });

  it('names the flag in the hint of a name the store refuses', () => {
    expect(refusal(['--bucket', 'bkt', '--channel', 'prod', '--region', 'eu west']).hint).toContain('set --region to the region of the bucket');
  });

  it('answers --help and --version without a configuration', () => {
    expect(parseLoaderArgs(['--help'], {}, 'x64')).toEqual({ kind: 'help' });
    expect(parseLoaderArgs(['--version'], {}, 'x64')).toEqual({ kind: 'version' });
    expect(usage('1.2.3')).toMatch(/Exit codes: 0 installed/);
  });
});

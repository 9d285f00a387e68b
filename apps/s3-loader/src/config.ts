import { isSupportedPlatform, type Platform } from '@falco-airgap/core';
import { assertBucketName, assertChannelName, assertRegion, assertReleaseId, normalizePrefix } from '@falco-airgap/s3-plugin-store';
import { isAbsolute, join } from 'node:path';
import { parseArgs } from 'node:util';
import { LoaderError, LoaderErrorCode } from './errors.ts';

export type OnUnavailable = 'fail' | 'use-cached';

export interface LoaderConfig {
  bucket: string;
  prefix: string;
  /** Exactly one of channel and release is set. */
  channel: string | undefined;
  release: string | undefined;
  region: string | undefined;
  endpoint: string | undefined;
  forcePathStyle: boolean | undefined;
  platform: Platform;
  destination: string;
  rulesDestination: string | undefined;
  cacheDir: string | undefined;
  stateFile: string;
  onUnavailable: OnUnavailable;
  timeoutMs: number;
  /** Retries at least this many times what a retry can fix (an unavailable S3, a broken download)... */
  retries: number;
  /** ...and keeps retrying with backoff for this long, so S3 coming back after a short outage is waited for. */
  retryForMs: number;
  concurrency: number;
}

export const DEFAULT_DESTINATION = '/usr/share/falco/plugins';
export const ENV_PREFIX = 'FALCO_S3_LOADER_';

interface FlagSpec {
  env: string;
  type: 'string' | 'boolean';
  help: string;
}

/** Every flag has an environment variable, so a pod spec can configure the loader without touching the entrypoint. */
export const FLAGS: Record<string, FlagSpec> = {
  bucket: { env: 'BUCKET', type: 'string', help: 'S3 bucket of the plugin store (required)' },
  prefix: { env: 'PREFIX', type: 'string', help: 'key prefix of the store inside the bucket' },
  channel: { env: 'CHANNEL', type: 'string', help: 'channel to follow, e.g. prod (or --release)' },
  release: { env: 'RELEASE', type: 'string', help: 'pin one release id instead of following a channel' },
  region: { env: 'REGION', type: 'string', help: 'AWS region (default: AWS_REGION, then us-east-1)' },
  endpoint: { env: 'ENDPOINT', type: 'string', help: 'S3-compatible endpoint URL, e.g. http://minio.storage:9000' },
  'path-style': { env: 'PATH_STYLE', type: 'boolean', help: 'path-style addressing (default: on with --endpoint)' },
  platform: { env: 'PLATFORM', type: 'string', help: 'linux/amd64 or linux/arm64 (default: this machine)' },
  dest: { env: 'DEST', type: 'string', help: `where plugins are installed (default ${DEFAULT_DESTINATION})` },
  'rules-dest': { env: 'RULES_DEST', type: 'string', help: "also install the release's rules files here, e.g. /etc/falco/rules.d" },
  'cache-dir': { env: 'CACHE_DIR', type: 'string', help: 'persistent cache of verified files, reused when S3 is unavailable' },
  'state-file': { env: 'STATE_FILE', type: 'string', help: 'record of what was installed (default <dest>/.falco-s3-loader.json)' },
  'on-unavailable': { env: 'ON_UNAVAILABLE', type: 'string', help: 'fail | use-cached: what to do when S3 cannot be reached (default fail)' },
  timeout: { env: 'TIMEOUT', type: 'string', help: 'connect and inactivity timeout per request, from 100ms to 1h, e.g. 10s, 500ms (default 30s)' },
  retries: { env: 'RETRIES', type: 'string', help: 'retries per request and per download, at least (default 3)' },
  'retry-for': { env: 'RETRY_FOR', type: 'string', help: 'keep retrying an unavailable S3 with backoff this long, e.g. 2m, 0s (default 2m)' },
  concurrency: { env: 'CONCURRENCY', type: 'string', help: 'files downloaded at once (default 4)' },
};

export type ParsedCommand = { kind: 'run'; config: LoaderConfig } | { kind: 'help' } | { kind: 'version' };

const bad = (message: string, hint = 'see falco-s3-loader --help') => new LoaderError(LoaderErrorCode.Config, message, { hint });

/** Flags win over FALCO_S3_LOADER_* variables, which win over defaults; pure, so it is tested without a process. */
export function parseLoaderArgs(argv: readonly string[], env: Record<string, string | undefined>, arch: string): ParsedCommand {
  let values: Record<string, string | boolean | undefined>;
  try {
    const options = Object.fromEntries(Object.entries(FLAGS).map(([name, spec]) => [name, { type: spec.type }]));
    ({ values } = parseArgs({
      args: [...argv],
      options: { ...options, help: { type: 'boolean', short: 'h' }, version: { type: 'boolean' } },
      allowPositionals: false,
      strict: true,
    }));
  } catch (cause) {
    throw bad((cause as Error).message);
  }
  if (values.help) return { kind: 'help' };
  if (values.version) return { kind: 'version' };

  const read = (name: keyof typeof FLAGS): string | undefined => {
    const flag = values[name];
    if (typeof flag === 'string') return flag;
    const fromEnv = env[ENV_PREFIX + FLAGS[name]!.env];
    return fromEnv === undefined || fromEnv === '' ? undefined : fromEnv;
  };
  const readBoolean = (name: keyof typeof FLAGS): boolean | undefined => {
    if (typeof values[name] === 'boolean') return values[name] as boolean;
    const fromEnv = read(name);
    if (fromEnv === undefined) return undefined;
    if (/^(1|true|yes|on)$/i.test(fromEnv)) return true;
    if (/^(0|false|no|off)$/i.test(fromEnv)) return false;
    throw bad(`${ENV_PREFIX}${FLAGS[name]!.env}="${fromEnv}" is not a boolean`);
  };

  const bucket = read('bucket');
  if (!bucket) throw bad(`no bucket: set --bucket or ${ENV_PREFIX}BUCKET`);
  const channel = read('channel');
  const release = read('release');
  if ((channel === undefined) === (release === undefined))
    throw bad(`set exactly one of --channel (${ENV_PREFIX}CHANNEL) and --release (${ENV_PREFIX}RELEASE)`);
  const destination = absolute('dest', read('dest') ?? DEFAULT_DESTINATION);
  const onUnavailable = read('on-unavailable') ?? 'fail';
  if (onUnavailable !== 'fail' && onUnavailable !== 'use-cached') throw bad(`--on-unavailable must be fail or use-cached, not "${onUnavailable}"`);
  const cacheDir = optionalAbsolute('cache-dir', read('cache-dir'));
  if (onUnavailable === 'use-cached' && !cacheDir) throw bad('--on-unavailable use-cached needs --cache-dir on a volume that outlives the container');
  const endpoint = read('endpoint');
  if (endpoint !== undefined && !/^https?:\/\/[^/]+/.test(endpoint)) throw bad(`--endpoint "${endpoint}" is not an http(s) URL`);

  try {
    return {
      kind: 'run',
      config: {
        bucket: assertBucketName(bucket),
        prefix: normalizePrefix(read('prefix')),
        channel: channel === undefined ? undefined : assertChannelName(channel),
        release: release === undefined ? undefined : assertReleaseId(release),
        region: optionalRegion(read('region') ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION),
        endpoint,
        forcePathStyle: readBoolean('path-style'),
        platform: platformOf(read('platform'), arch),
        destination,
        rulesDestination: optionalAbsolute('rules-dest', read('rules-dest')),
        cacheDir,
        stateFile: absolute('state-file', read('state-file') ?? join(destination, '.falco-s3-loader.json')),
        onUnavailable,
        timeoutMs: duration('timeout', read('timeout') ?? '30s', { min: 100, max: 60 * 60_000 }),
        retries: count('retries', read('retries') ?? '3', 0, 20),
        retryForMs: duration('retry-for', read('retry-for') ?? '2m', { min: 0, max: 60 * 60_000 }),
        concurrency: count('concurrency', read('concurrency') ?? '4', 1, 64),
      },
    };
  } catch (error) {
    // Name errors from the store are configuration errors here: the flag or variable is what to fix.
    if (error instanceof LoaderError) throw error;
    const hint = (error as { hint?: string }).hint?.replace(/`([a-z][\w-]*)`/g, (whole, name: string) => (Object.hasOwn(FLAGS, name) ? `--${name}` : whole));
    throw bad((error as Error).message, hint);
  }
}

function platformOf(value: string | undefined, arch: string): Platform {
  const platform = value ?? (arch === 'x64' ? 'linux/amd64' : arch === 'arm64' ? 'linux/arm64' : `linux/${arch}`);
  if (!isSupportedPlatform(platform)) throw bad(`platform ${platform} is not supported`, 'use --platform linux/amd64 or linux/arm64');
  return platform;
}

function absolute(flag: string, path: string): string {
  if (!isAbsolute(path)) throw bad(`--${flag} must be an absolute path, not "${path}"`);
  return path;
}

function optionalAbsolute(flag: string, path: string | undefined): string | undefined {
  return path === undefined ? undefined : absolute(flag, path);
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `10s`, `500ms`, `2m`, `1h`, or a bare number of seconds, within `min` and `max` milliseconds. */
export function duration(flag: string, text: string, limits: { min: number; max: number }): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw bad(`--${flag} "${text}" is not a duration like 10s, 500ms or 2m`);
  const ms = Math.round(Number(m[1]) * UNITS[m[2] ?? 's']!);
  // A timeout that rounds to 0 would disable it, and one past Node's timer range would fire at once.
  if (ms < limits.min || ms > limits.max) throw bad(`--${flag} "${text}" must be from ${formatMs(limits.min)} to ${formatMs(limits.max)}`);
  return ms;
}

function formatMs(ms: number): string {
  if (ms === 0) return '0s';
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

function optionalRegion(region: string | undefined): string | undefined {
  return region === undefined ? undefined : assertRegion(region);
}

function count(flag: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max) throw bad(`--${flag} must be a whole number from ${min} to ${max}, not "${text}"`);
  return n;
}

export function usage(version: string): string {
  const lines = Object.entries(FLAGS).map(
    ([name, spec]) => `  --${(name + (spec.type === 'string' ? ' <value>' : '')).padEnd(24)} ${spec.help}  [${ENV_PREFIX}${spec.env}]`,
  );
  return [
    `falco-s3-loader ${version}: install the Falco plugins of a release from S3, verified, before Falco starts.`,
    '',
    'usage: falco-s3-loader --bucket B (--channel C | --release ID) [options]',
    '',
    ...lines,
    '  -h, --help                 this text',
    '  --version                  print the version',
    '',
    'Credentials: the AWS default chain (AWS_* variables, profiles/SSO, IRSA web identity, instance role).',
    'Logs: one JSON object per line on stderr.',
    'Exit codes: 0 installed or already up to date; 1 unexpected failure (disk, permissions);',
    '  2 bad configuration; 3 verification failed (sha256, size, tampered release), nothing installed;',
    '  4 channel, release or file not found (or the role may not read it); 5 S3 unavailable and no usable cache;',
    '  130 interrupted.',
  ].join('\n');
}

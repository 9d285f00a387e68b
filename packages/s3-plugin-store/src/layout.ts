import { S3StoreError, S3StoreErrorCode } from './errors.ts';

const SHA256_HEX = /^[a-f0-9]{64}$/;
// Channel names end up in object keys, IAM resource ARNs and Kubernetes values: keep them plain.
const CHANNEL_NAME = /^[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?$/;
const RELEASE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const PREFIX_SEGMENT = /^[A-Za-z0-9._-]+$/;
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export function isSha256Hex(value: string): boolean {
  return SHA256_HEX.test(value);
}

export function isChannelName(value: string): boolean {
  return CHANNEL_NAME.test(value);
}

export function isReleaseId(value: string): boolean {
  return RELEASE_ID.test(value) && !value.includes('..');
}

export function assertChannelName(value: string): string {
  if (!isChannelName(value)) {
    throw new S3StoreError(S3StoreErrorCode.BadName, `"${value}" is not a valid channel name`, {
      hint: 'use lowercase letters, digits, ".", "_" and "-" (at most 63), e.g. prod, staging, cluster-eu-1',
    });
  }
  return value;
}

export function assertReleaseId(value: string): string {
  if (!isReleaseId(value)) {
    throw new S3StoreError(S3StoreErrorCode.BadName, `"${value}" is not a valid release id`, { hint: 'list the release ids with falco-airgap releases list' });
  }
  return value;
}

export function assertBucketName(value: string): string {
  if (!BUCKET_NAME.test(value) || value.includes('..')) {
    throw new S3StoreError(S3StoreErrorCode.BadName, `"${value}" is not a valid S3 bucket name`, {
      hint: 'bucket names have 3 to 63 lowercase letters, digits, "." and "-"',
    });
  }
  return value;
}

/** `a/b/` and `/a/b` and `a/b` all mean the same prefix; the empty prefix is the bucket root. */
export function normalizePrefix(prefix: string | undefined): string {
  const trimmed = (prefix ?? '').replace(/^\/+|\/+$/g, '');
  if (trimmed === '') return '';
  for (const segment of trimmed.split('/')) {
    if (!PREFIX_SEGMENT.test(segment) || segment === '.' || segment === '..') {
      throw new S3StoreError(S3StoreErrorCode.BadName, `"${prefix}" is not a usable key prefix`, {
        hint: 'use path segments of letters, digits, ".", "_" and "-", e.g. falco/plugins',
      });
    }
  }
  return trimmed;
}

/**
 * Where everything lives in the bucket:
 *   <prefix>/blobs/sha256/<hex>, <prefix>/releases/<id>.json, <prefix>/channels/<channel>.json
 */
export class StoreLayout {
  readonly prefix: string;

  constructor(prefix?: string) {
    this.prefix = normalizePrefix(prefix);
  }

  private join(path: string): string {
    return this.prefix ? `${this.prefix}/${path}` : path;
  }

  get blobsPrefix(): string {
    return this.join('blobs/sha256/');
  }

  get releasesPrefix(): string {
    return this.join('releases/');
  }

  get channelsPrefix(): string {
    return this.join('channels/');
  }

  blobKey(sha256: string): string {
    if (!isSha256Hex(sha256)) throw new S3StoreError(S3StoreErrorCode.BadName, `"${sha256}" is not a lowercase hex sha256`);
    return `${this.blobsPrefix}${sha256}`;
  }

  releaseKey(id: string): string {
    return `${this.releasesPrefix}${assertReleaseId(id)}.json`;
  }

  channelKey(channel: string): string {
    return `${this.channelsPrefix}${assertChannelName(channel)}.json`;
  }

  /** The sha256 a blob key names, or undefined for anything else found under blobs/. */
  sha256OfBlobKey(key: string): string | undefined {
    if (!key.startsWith(this.blobsPrefix)) return undefined;
    const hex = key.slice(this.blobsPrefix.length);
    return isSha256Hex(hex) ? hex : undefined;
  }

  releaseIdOfKey(key: string): string | undefined {
    return idOfKey(key, this.releasesPrefix, isReleaseId);
  }

  channelOfKey(key: string): string | undefined {
    return idOfKey(key, this.channelsPrefix, isChannelName);
  }
}

function idOfKey(key: string, prefix: string, valid: (id: string) => boolean): string | undefined {
  if (!key.startsWith(prefix) || !key.endsWith('.json')) return undefined;
  const id = key.slice(prefix.length, -'.json'.length);
  return valid(id) ? id : undefined;
}

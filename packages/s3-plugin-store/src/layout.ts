import { S3StoreError, S3StoreErrorCode } from './errors.ts';

const SHA256_HEX = /^[a-f0-9]{64}$/;
// Channel names end up in object keys, IAM resource ARNs and Kubernetes values: keep them plain.
const CHANNEL_NAME = /^[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?$/;
const RELEASE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const PREFIX_SEGMENT = /^[A-Za-z0-9._-]+$/;
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
// AWS regions (eu-west-1) and the names S3-compatible servers use (us-east-1, garage): it becomes part of a signed header.
const REGION = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

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

export function assertRegion(value: string): string {
  if (!REGION.test(value)) {
    throw new S3StoreError(S3StoreErrorCode.BadName, `${JSON.stringify(value)} is not a valid region`, {
      hint: 'set `region` to the region of the bucket, e.g. eu-west-1 (letters, digits and "-" only)',
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

const MARKER_ID = /^[0-9]{8}T[0-9]{6}Z-[a-f0-9]{16}$/;

/**
 * Where everything lives in the bucket:
 *   <prefix>/blobs/sha256/<hex>, <prefix>/releases/<id>.json, <prefix>/channels/<channel>.json,
 *   <prefix>/leases/<id>.json (running publishes and promotions), <prefix>/gc-runs/<id>.json (running gc)
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

  get leasesPrefix(): string {
    return this.join('leases/');
  }

  get gcRunsPrefix(): string {
    return this.join('gc-runs/');
  }

  leaseKey(id: string): string {
    return `${this.leasesPrefix}${assertMarkerId(id)}.json`;
  }

  gcRunKey(id: string): string {
    return `${this.gcRunsPrefix}${assertMarkerId(id)}.json`;
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

  leaseIdOfKey(key: string): string | undefined {
    return idOfKey(key, this.leasesPrefix, isMarkerId);
  }

  gcRunIdOfKey(key: string): string | undefined {
    return idOfKey(key, this.gcRunsPrefix, isMarkerId);
  }
}

/** Lease and gc-run ids: when they were taken, then random, so a listing reads oldest first. */
export function isMarkerId(value: string): boolean {
  return MARKER_ID.test(value);
}

function assertMarkerId(value: string): string {
  if (!isMarkerId(value)) throw new S3StoreError(S3StoreErrorCode.BadName, `"${value}" is not a lease id`);
  return value;
}

function idOfKey(key: string, prefix: string, valid: (id: string) => boolean): string | undefined {
  if (!key.startsWith(prefix) || !key.endsWith('.json')) return undefined;
  const id = key.slice(prefix.length, -'.json'.length);
  return valid(id) ? id : undefined;
}

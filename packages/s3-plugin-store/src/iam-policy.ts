import { assertBucketName, assertChannelName, normalizePrefix } from './layout.ts';

export interface IamStatement {
  Sid: string;
  Effect: 'Allow' | 'Deny';
  Action: string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string[]>>;
}

export interface IamPolicyDocument {
  Version: '2012-10-17';
  Statement: IamStatement[];
}

export interface StorePolicyOptions {
  bucket: string;
  prefix?: string | undefined;
  /** Limit the cluster reader to this channel's pointer; without it the reader may follow any channel. */
  channel?: string | undefined;
  /** `aws`, `aws-us-gov` or `aws-cn`. */
  partition?: string | undefined;
  /** The KMS key of a bucket encrypted with SSE-KMS. */
  kmsKeyArn?: string | undefined;
  /**
   * Deny the publisher any write to a blob or release that is not create-only, and any channel write
   * that is not compare-and-swap, with S3's `s3:if-none-match` / `s3:if-match` condition keys
   * (default true). S3-compatible servers without these keys (MinIO) refuse such a policy.
   */
  conditionKeys?: boolean | undefined;
  /** Let the gc role retire releases (`keepReleases`): adds delete on releases. */
  retireReleases?: boolean | undefined;
}

export interface StorePolicies {
  /** For the role that runs publish, promote and rollback (e.g. the Jenkins role): creates blobs and releases, moves channels. */
  publisher: IamPolicyDocument;
  /** For the role that runs gc: deletes unreferenced blobs, unfinished uploads and stale leases; cannot touch releases or channels. */
  gc: IamPolicyDocument;
  /** For the role the Falco pods' loader runs as (e.g. an IRSA role): read-only, its prefix and channel only, no listing. */
  reader: IamPolicyDocument;
}

/** The three least-privilege IAM policies of a store; pure, so `releases policy` can print them offline. */
export function storePolicies(options: StorePolicyOptions): StorePolicies {
  const bucket = assertBucketName(options.bucket);
  const prefix = normalizePrefix(options.prefix);
  const partition = options.partition ?? 'aws';
  const bucketArn = `arn:${partition}:s3:::${bucket}`;
  const under = (path: string) => `${bucketArn}/${prefix ? `${prefix}/` : ''}${path}`;
  const channelResource = options.channel ? under(`channels/${assertChannelName(options.channel)}.json`) : under('channels/*');
  const blobs = under('blobs/sha256/*');
  const releases = under('releases/*');
  const channels = under('channels/*');
  const leases = under('leases/*');
  const gcRuns = under('gc-runs/*');

  const list: IamStatement = { Sid: 'ListPluginStore', Effect: 'Allow', Action: ['s3:ListBucket'], Resource: bucketArn };
  if (prefix) list.Condition = { StringLike: { 's3:prefix': [`${prefix}/*`] } };

  const publisher: IamStatement[] = [
    list,
    { Sid: 'ReadPluginStore', Effect: 'Allow', Action: ['s3:GetObject'], Resource: under('*') },
    // Publish and promote write leases that gc honours, and remove them when done.
    { Sid: 'WritePluginStore', Effect: 'Allow', Action: ['s3:PutObject'], Resource: [blobs, releases, channels, leases] },
    { Sid: 'EndOwnWork', Effect: 'Allow', Action: ['s3:DeleteObject'], Resource: leases },
    { Sid: 'AbortFailedUploads', Effect: 'Allow', Action: ['s3:AbortMultipartUpload'], Resource: blobs },
  ];
  if (options.conditionKeys !== false) {
    const creating = { 's3:ObjectCreationOperation': ['true'] };
    publisher.push(
      // Blobs and releases are immutable: only a create-only write (If-None-Match: *) may make one.
      {
        Sid: 'DenyOverwritingBlobsAndReleases',
        Effect: 'Deny',
        Action: ['s3:PutObject'],
        Resource: [blobs, releases],
        Condition: { Null: { 's3:if-none-match': ['true'] }, Bool: creating },
      },
      // A channel moves by compare-and-swap (If-Match) or is created (If-None-Match), never blindly.
      {
        Sid: 'DenyBlindChannelWrites',
        Effect: 'Deny',
        Action: ['s3:PutObject'],
        Resource: channels,
        Condition: { Null: { 's3:if-none-match': ['true'], 's3:if-match': ['true'] }, Bool: creating },
      },
    );
  }

  const gcDeletes = options.retireReleases ? [blobs, releases, leases, gcRuns] : [blobs, leases, gcRuns];
  const gc: IamStatement[] = [
    list,
    { Sid: 'ListUnfinishedUploads', Effect: 'Allow', Action: ['s3:ListBucketMultipartUploads'], Resource: bucketArn },
    // Releases, channels and leases say what is in use; gc runs are how gc tells a running publish it is there.
    { Sid: 'ReadWhatIsInUse', Effect: 'Allow', Action: ['s3:GetObject'], Resource: [releases, channels, leases, gcRuns] },
    { Sid: 'AnnounceGcRun', Effect: 'Allow', Action: ['s3:PutObject'], Resource: gcRuns },
    { Sid: 'DeleteGarbage', Effect: 'Allow', Action: ['s3:DeleteObject'], Resource: gcDeletes },
    { Sid: 'AbortUnfinishedUploads', Effect: 'Allow', Action: ['s3:AbortMultipartUpload'], Resource: blobs },
  ];

  const reader: IamStatement[] = [{ Sid: 'ReadPluginStore', Effect: 'Allow', Action: ['s3:GetObject'], Resource: [channelResource, releases, blobs] }];
  if (options.kmsKeyArn) {
    const useKey = (actions: string[]): IamStatement => ({ Sid: 'UsePluginStoreKey', Effect: 'Allow', Action: actions, Resource: options.kmsKeyArn! });
    publisher.push(useKey(['kms:Decrypt', 'kms:GenerateDataKey']));
    gc.push(useKey(['kms:Decrypt', 'kms:GenerateDataKey']));
    reader.push(useKey(['kms:Decrypt']));
  }
  const document = (statements: IamStatement[]): IamPolicyDocument => ({ Version: '2012-10-17', Statement: statements });
  return { publisher: document(publisher), gc: document(gc), reader: document(reader) };
}

export interface LifecycleConfiguration {
  Rules: {
    ID: string;
    Status: 'Enabled';
    Filter: { Prefix: string };
    AbortIncompleteMultipartUpload: { DaysAfterInitiation: number };
  }[];
}

/**
 * The bucket lifecycle rule that aborts multipart uploads a killed publish left under the store's
 * blobs, for `aws s3api put-bucket-lifecycle-configuration`: S3 frees their parts even when gc never runs.
 */
export function storeLifecycleConfiguration(options: { prefix?: string | undefined; days?: number | undefined }): LifecycleConfiguration {
  const prefix = normalizePrefix(options.prefix);
  return {
    Rules: [
      {
        ID: 'falco-airgap-abort-incomplete-uploads',
        Status: 'Enabled',
        Filter: { Prefix: `${prefix ? `${prefix}/` : ''}blobs/` },
        AbortIncompleteMultipartUpload: { DaysAfterInitiation: options.days ?? 1 },
      },
    ],
  };
}

import { assertBucketName, assertChannelName, normalizePrefix } from './layout.ts';

export interface IamStatement {
  Sid: string;
  Effect: 'Allow';
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
}

export interface StorePolicies {
  /** For the role that runs publish, promote, rollback and gc (e.g. the Jenkins role). */
  publisher: IamPolicyDocument;
  /** For the role the Falco pods' loader runs as (e.g. an IRSA role): read-only, its prefix and channel only. */
  reader: IamPolicyDocument;
}

/** The two least-privilege IAM policies of a store; pure, so `releases policy` can print them offline. */
export function storePolicies(options: StorePolicyOptions): StorePolicies {
  const bucket = assertBucketName(options.bucket);
  const prefix = normalizePrefix(options.prefix);
  const partition = options.partition ?? 'aws';
  const bucketArn = `arn:${partition}:s3:::${bucket}`;
  const under = (path: string) => `${bucketArn}/${prefix ? `${prefix}/` : ''}${path}`;
  const channelResource = options.channel ? under(`channels/${assertChannelName(options.channel)}.json`) : under('channels/*');

  const list: IamStatement = { Sid: 'ListPluginStore', Effect: 'Allow', Action: ['s3:ListBucket'], Resource: bucketArn };
  if (prefix) list.Condition = { StringLike: { 's3:prefix': [`${prefix}/*`] } };
  const publisher: IamStatement[] = [
    list,
    {
      Sid: 'WritePluginStore',
      Effect: 'Allow',
      // Delete is for gc; the multipart actions let an interrupted large upload be cleaned up.
      Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
      Resource: under('*'),
    },
  ];
  // No ListBucket for the reader: it only follows keys it is told, and learns nothing else about the bucket.
  const reader: IamStatement[] = [
    { Sid: 'ReadPluginStore', Effect: 'Allow', Action: ['s3:GetObject'], Resource: [channelResource, under('releases/*'), under('blobs/sha256/*')] },
  ];
  if (options.kmsKeyArn) {
    publisher.push({ Sid: 'UsePluginStoreKey', Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: options.kmsKeyArn });
    reader.push({ Sid: 'UsePluginStoreKey', Effect: 'Allow', Action: ['kms:Decrypt'], Resource: options.kmsKeyArn });
  }
  return { publisher: { Version: '2012-10-17', Statement: publisher }, reader: { Version: '2012-10-17', Statement: reader } };
}

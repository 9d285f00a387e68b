import { describe, expect, it } from 'vitest';
import { storeLifecycleConfiguration, storePolicies } from './iam-policy.ts';

const arn = (path: string) => `arn:aws:s3:::corp-falco/falco/plugins/${path}`;

describe('storePolicies', () => {
  it('lets the publisher create blobs and releases and move channels, only with conditional writes, and delete nothing but its leases', () => {
    const { publisher } = storePolicies({ bucket: 'corp-falco', prefix: 'falco/plugins' });
    expect(publisher.Statement).toEqual([
      {
        Sid: 'ListPluginStore',
        Effect: 'Allow',
        Action: ['s3:ListBucket'],
        Resource: 'arn:aws:s3:::corp-falco',
        Condition: { StringLike: { 's3:prefix': ['falco/plugins/*'] } },
      },
      { Sid: 'ReadPluginStore', Effect: 'Allow', Action: ['s3:GetObject'], Resource: arn('*') },
      {
        Sid: 'WritePluginStore',
        Effect: 'Allow',
        Action: ['s3:PutObject'],
        Resource: [arn('blobs/sha256/*'), arn('releases/*'), arn('channels/*'), arn('leases/*')],
      },
      { Sid: 'EndOwnWork', Effect: 'Allow', Action: ['s3:DeleteObject'], Resource: arn('leases/*') },
      { Sid: 'AbortFailedUploads', Effect: 'Allow', Action: ['s3:AbortMultipartUpload'], Resource: arn('blobs/sha256/*') },
      {
        Sid: 'DenyOverwritingBlobsAndReleases',
        Effect: 'Deny',
        Action: ['s3:PutObject'],
        Resource: [arn('blobs/sha256/*'), arn('releases/*')],
        Condition: { Null: { 's3:if-none-match': ['true'] }, Bool: { 's3:ObjectCreationOperation': ['true'] } },
      },
      {
        Sid: 'DenyBlindChannelWrites',
        Effect: 'Deny',
        Action: ['s3:PutObject'],
        Resource: arn('channels/*'),
        Condition: { Null: { 's3:if-none-match': ['true'], 's3:if-match': ['true'] }, Bool: { 's3:ObjectCreationOperation': ['true'] } },
      },
    ]);
  });

  it('leaves the condition keys out for servers that do not know them', () => {
    const { publisher } = storePolicies({ bucket: 'corp-falco', prefix: 'falco/plugins', conditionKeys: false });
    expect(publisher.Statement.every((s) => s.Effect === 'Allow')).toBe(true);
    expect(JSON.stringify(publisher)).not.toContain('if-none-match');
  });

  it('lets gc delete blobs, stale leases and its own runs and abort uploads, but not touch releases or channels', () => {
    const { gc } = storePolicies({ bucket: 'corp-falco', prefix: 'falco/plugins' });
    const allowed = (action: string) => gc.Statement.filter((s) => s.Action.includes(action)).flatMap((s) => [s.Resource].flat());
    expect(allowed('s3:DeleteObject')).toEqual([arn('blobs/sha256/*'), arn('leases/*'), arn('gc-runs/*')]);
    expect(allowed('s3:PutObject')).toEqual([arn('gc-runs/*')]);
    expect(allowed('s3:AbortMultipartUpload')).toEqual([arn('blobs/sha256/*')]);
    expect(allowed('s3:ListBucketMultipartUploads')).toEqual(['arn:aws:s3:::corp-falco']);
    expect(allowed('s3:GetObject')).toEqual([arn('releases/*'), arn('channels/*'), arn('leases/*'), arn('gc-runs/*')]);
    const retiring = storePolicies({ bucket: 'corp-falco', prefix: 'falco/plugins', retireReleases: true }).gc;
    expect(retiring.Statement.find((s) => s.Sid === 'DeleteGarbage')!.Resource).toContain(arn('releases/*'));
  });

  it('gives the cluster reader read access to one channel, the releases and the blobs, and nothing else', () => {
    const { reader } = storePolicies({ bucket: 'corp-falco', prefix: 'falco/plugins', channel: 'prod' });
    expect(reader.Statement).toEqual([
      {
        Sid: 'ReadPluginStore',
        Effect: 'Allow',
        Action: ['s3:GetObject'],
        Resource: [arn('channels/prod.json'), arn('releases/*'), arn('blobs/sha256/*')],
      },
    ]);
    expect(JSON.stringify(reader)).not.toMatch(/Put|Delete|List/);
  });

  it('covers every channel without --channel, the bucket root without a prefix, other partitions and a KMS key', () => {
    const { publisher, gc, reader } = storePolicies({ bucket: 'b-1', partition: 'aws-us-gov', kmsKeyArn: 'arn:aws-us-gov:kms:us-gov-west-1:1:key/k' });
    expect(reader.Statement[0]!.Resource).toContain('arn:aws-us-gov:s3:::b-1/channels/*');
    expect(publisher.Statement[0]).not.toHaveProperty('Condition');
    expect(reader.Statement[1]).toMatchObject({ Action: ['kms:Decrypt'], Resource: 'arn:aws-us-gov:kms:us-gov-west-1:1:key/k' });
    expect(gc.Statement.at(-1)).toMatchObject({ Action: ['kms:Decrypt', 'kms:GenerateDataKey'] });
  });

  it('refuses a bucket or channel name that would widen the resource', () => {
    expect(() => storePolicies({ bucket: 'corp*' })).toThrow(/not a valid S3 bucket name/);
    expect(() => storePolicies({ bucket: 'corp', channel: '*' })).toThrow(/not a valid channel name/);
  });
});

describe('storeLifecycleConfiguration', () => {
  it('aborts unfinished uploads under the blobs of the store after a day', () => {
    expect(storeLifecycleConfiguration({ prefix: 'falco/plugins' })).toEqual({
      Rules: [
        {
          ID: 'falco-airgap-abort-incomplete-uploads',
          Status: 'Enabled',
          Filter: { Prefix: 'falco/plugins/blobs/' },
          AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
        },
      ],
    });
  });
});

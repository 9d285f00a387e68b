import { describe, expect, it } from 'vitest';
import { storePolicies } from './iam-policy.ts';

describe('storePolicies', () => {
  it('gives the publisher write access to its prefix only', () => {
    const { publisher } = storePolicies({ bucket: 'corp-falco', prefix: 'falco/plugins' });
    expect(publisher.Statement).toEqual([
      {
        Sid: 'ListPluginStore',
        Effect: 'Allow',
        Action: ['s3:ListBucket'],
        Resource: 'arn:aws:s3:::corp-falco',
        Condition: { StringLike: { 's3:prefix': ['falco/plugins/*'] } },
      },
      {
        Sid: 'WritePluginStore',
        Effect: 'Allow',
        Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
        Resource: 'arn:aws:s3:::corp-falco/falco/plugins/*',
      },
    ]);
  });

  it('gives the cluster reader read access to one channel, the releases and the blobs, and nothing else', () => {
    const { reader } = storePolicies({ bucket: 'corp-falco', prefix: 'falco/plugins', channel: 'prod' });
    expect(reader.Statement).toEqual([
      {
        Sid: 'ReadPluginStore',
        Effect: 'Allow',
        Action: ['s3:GetObject'],
        Resource: [
          'arn:aws:s3:::corp-falco/falco/plugins/channels/prod.json',
          'arn:aws:s3:::corp-falco/falco/plugins/releases/*',
          'arn:aws:s3:::corp-falco/falco/plugins/blobs/sha256/*',
        ],
      },
    ]);
    expect(JSON.stringify(reader)).not.toMatch(/Put|Delete|List/);
  });

  it('covers every channel without --channel, the bucket root without a prefix, other partitions and a KMS key', () => {
    const { publisher, reader } = storePolicies({ bucket: 'b-1', partition: 'aws-us-gov', kmsKeyArn: 'arn:aws-us-gov:kms:us-gov-west-1:1:key/k' });
    expect(reader.Statement[0]!.Resource).toContain('arn:aws-us-gov:s3:::b-1/channels/*');
    expect(publisher.Statement[0]).not.toHaveProperty('Condition');
    expect(reader.Statement[1]).toMatchObject({ Action: ['kms:Decrypt'], Resource: 'arn:aws-us-gov:kms:us-gov-west-1:1:key/k' });
  });

  it('refuses a bucket or channel name that would widen the resource', () => {
    expect(() => storePolicies({ bucket: 'corp*' })).toThrow(/not a valid S3 bucket name/);
    expect(() => storePolicies({ bucket: 'corp', channel: '*' })).toThrow(/not a valid channel name/);
  });
});

import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { IamPolicyDocument } from '@falco-airgap/s3-plugin-store';
import { requireTestbed } from '@falco-airgap/testbed/env';

export interface ScopedCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  /** The same as AWS_* variables, for a child process or the CLI's environment. */
  env: Record<string, string>;
}

/**
 * Credentials on the testbed's MinIO that can do exactly what `policy` allows: MinIO's STS
 * AssumeRole with the policy as the session policy, which bounds what the temporary keys may do.
 * Nothing is created in MinIO's IAM store, so the shared server keeps no users behind.
 */
export async function scopedCredentials(policy: IamPolicyDocument, durationSeconds = 3600): Promise<ScopedCredentials> {
  const env = requireTestbed('TESTBED_S3_ENDPOINT', 'TESTBED_S3_ACCESS_KEY', 'TESTBED_S3_SECRET_KEY', 'TESTBED_S3_REGION');
  const sts = new STSClient({
    endpoint: env.TESTBED_S3_ENDPOINT!,
    region: env.TESTBED_S3_REGION!,
    credentials: { accessKeyId: env.TESTBED_S3_ACCESS_KEY!, secretAccessKey: env.TESTBED_S3_SECRET_KEY! },
  });
  try {
    const out = await sts.send(
      // MinIO ignores the role ARN of AssumeRole; the session policy is what scopes the keys.
      new AssumeRoleCommand({
        RoleArn: 'arn:aws:iam::000000000000:role/falco-airgap-test',
        RoleSessionName: 'falco-airgap-test',
        Policy: JSON.stringify(policy),
        DurationSeconds: durationSeconds,
      }),
    );
    const c = out.Credentials!;
    const credentials = { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! };
    return {
      ...credentials,
      env: {
        AWS_ACCESS_KEY_ID: credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
        AWS_SESSION_TOKEN: credentials.sessionToken,
        AWS_REGION: env.TESTBED_S3_REGION!,
      },
    };
  } finally {
    sts.destroy();
  }
}

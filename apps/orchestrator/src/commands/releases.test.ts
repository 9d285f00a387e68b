import { describe, expect, it } from 'vitest';
import { runInMemory } from '../testing/run-in-memory.ts';

async function run(argv: string[], env: NodeJS.ProcessEnv = {}) {
  return runInMemory(argv, { env });
}

const lastJson = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!);

describe('falco-airgap releases policy', () => {
  it('prints the publisher, gc and reader policies and the lifecycle rule for a prefix and channel', async () => {
    const result = await run(['--json', 'releases', 'policy', '--bucket', 'corp-falco', '--prefix', 'falco/plugins', '--channel', 'prod']);
    expect(result.code).toBe(0);
    const { data } = lastJson(result.stdout);
    expect(Object.keys(data)).toEqual(['publisher', 'gc', 'reader', 'lifecycle']);
    expect(data.publisher.Statement.map((s: { Sid: string }) => s.Sid)).toContain('DenyOverwritingBlobsAndReleases');
    expect(data.gc.Statement.find((s: { Sid: string }) => s.Sid === 'DeleteGarbage').Resource).not.toContain(
      'arn:aws:s3:::corp-falco/falco/plugins/releases/*',
    );
    expect(data.reader.Statement[0].Resource).toEqual([
      'arn:aws:s3:::corp-falco/falco/plugins/channels/prod.json',
      'arn:aws:s3:::corp-falco/falco/plugins/releases/*',
      'arn:aws:s3:::corp-falco/falco/plugins/blobs/sha256/*',
    ]);
    expect(data.lifecycle.Rules[0]).toMatchObject({ Filter: { Prefix: 'falco/plugins/blobs/' }, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } });
  });

  it('prints every document as JSON a human can paste, each under a comment saying where it goes', async () => {
    const result = await run(['releases', 'policy', '--bucket', 'corp-falco', '--no-condition-keys', '--retire-releases']);
    expect(result.code).toBe(0);
    const comments = result.stdout.match(/^# .*$/gm)!;
    expect(comments.map((c) => c.split(':')[0])).toEqual(['# publisher', '# gc', '# reader', '# bucket lifecycle rule']);
    const documents = result.stdout
      .split(/^# .*$/m)
      .slice(1)
      .map((part) => JSON.parse(part));
    expect(documents).toHaveLength(4);
    expect(JSON.stringify(documents[0])).not.toContain('if-none-match');
    expect(documents[1].Statement.find((s: { Sid: string }) => s.Sid === 'DeleteGarbage').Resource).toContain('arn:aws:s3:::corp-falco/releases/*');
    expect(documents[2].Statement[0].Action).toEqual(['s3:GetObject']);
  });

  it('exits 2 with a stable code on a bucket name that would widen the policy', async () => {
    const result = await run(['releases', 'policy', '--bucket', 'corp*']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('error[S3STORE_BAD_NAME]: "corp*" is not a valid S3 bucket name');
  });
});

describe('store commands without a usable store', () => {
  it.each([
    [['publish'], "required option '--bucket <name>' not specified"],
    [['releases', 'promote', 'r1', '--bucket', 'b-1'], "required option '--channel <name>' not specified"],
    [['releases', 'gc', '--bucket', 'b-1', '--min-age', 'soon'], '--min-age "soon" is not a duration'],
    [['releases', 'list', '--bucket', 'b-1', '--endpoint', 'minio:9000'], '--endpoint "minio:9000" is not an http(s) URL'],
    [['publish', '--bucket', 'b-1', '--platform', 'linux/s390x'], 'unsupported --platform "linux/s390x"'],
    [['releases', 'list', '--bucket', '../etc'], 'error[S3STORE_BAD_NAME]: "../etc" is not a valid S3 bucket name'],
    [['releases', 'promote', 'r1', '--channel', 'prod', '--bucket', 'B_1'], 'error[S3STORE_BAD_NAME]: "B_1" is not a valid S3 bucket name'],
    [
      ['releases', 'list', '--bucket', 'b-1', '--region', 'eu-west-1\r\nX-Injected: 1'],
      'error[S3STORE_BAD_NAME]: "eu-west-1\\r\\nX-Injected: 1" is not a valid region',
    ],
    [['releases', 'list', '--bucket', 'b-1', '--timeout', 'forever'], '--timeout "forever" is not a duration'],
    [['releases', 'list', '--bucket', 'b-1', '--timeout', '0s'], '--timeout must be more than 0s'],
    [['releases', 'gc', '--bucket', 'b-1', '--keep-releases', 'all'], '--keep-releases must be a whole number'],
  ])('exits 2 on %j', async (argv, message) => {
    const result = await run(argv);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
  });

  it('exits 2 on a region with a line break from AWS_REGION, before any request', async () => {
    const result = await run(['releases', 'list', '--bucket', 'b-1', '--endpoint', 'http://127.0.0.1:1'], { AWS_REGION: 'us-east-1\n' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('error[S3STORE_BAD_NAME]');
  });

  it('takes the bucket from FALCO_AIRGAP_S3_BUCKET, then fails on the missing lock with exit 2', async () => {
    const result = await run(['--json', 'publish', '--lock', 'does/not/exist.yaml'], { FALCO_AIRGAP_S3_BUCKET: 'from-env' });
    expect(result.code).toBe(2);
    expect(lastJson(result.stdout).error.code).toBe('MANIFEST_READ_FAILED');
  });

  it('lists publish and releases in the help', async () => {
    const result = await run(['--help']);
    expect(result.stdout).toMatch(/publish \[options\]/);
    expect(result.stdout).toMatch(/releases/);
  });
});

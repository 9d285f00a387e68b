import { describe, expect, it } from 'vitest';
import { runInMemory } from '../testing/run-in-memory.ts';

async function run(argv: string[], env: NodeJS.ProcessEnv = {}) {
  return runInMemory(argv, { env });
}

const lastJson = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!);

describe('falco-airgap releases policy', () => {
  it('prints the publisher and reader policies for a prefix and channel', async () => {
    const result = await run(['--json', 'releases', 'policy', '--bucket', 'corp-falco', '--prefix', 'falco/plugins', '--channel', 'prod']);
    expect(result.code).toBe(0);
    const { data } = lastJson(result.stdout);
    expect(data.publisher.Statement.map((s: { Sid: string }) => s.Sid)).toEqual(['ListPluginStore', 'WritePluginStore']);
    expect(data.reader.Statement[0].Resource).toEqual([
      'arn:aws:s3:::corp-falco/falco/plugins/channels/prod.json',
      'arn:aws:s3:::corp-falco/falco/plugins/releases/*',
      'arn:aws:s3:::corp-falco/falco/plugins/blobs/sha256/*',
    ]);
  });

  it('prints both documents as JSON a human can paste', async () => {
    const result = await run(['releases', 'policy', '--bucket', 'corp-falco']);
    expect(result.code).toBe(0);
    const documents = result.stdout
      .split(/^# .*$/m)
      .slice(1)
      .map((part) => JSON.parse(part));
    expect(documents).toHaveLength(2);
    expect(documents[1].Statement[0].Action).toEqual(['s3:GetObject']);
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
  ])('exits 2 on %j', async (argv, message) => {
    const result = await run(argv);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
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

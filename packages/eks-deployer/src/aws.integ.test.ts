import { CreateRepositoryCommand, DescribeRepositoriesCommand, ECRClient } from '@aws-sdk/client-ecr';
import { CreateClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { requireTestbed } from '@falco-airgap/testbed/env';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectEks, describeEksCluster, type KubeconfigDocument } from './cluster-connection.ts';
import { EcrCredentialSource, ecrRegistryHost, getEcrCredentials } from './ecr-credentials.ts';
import { ensureRepositories } from './ecr-repositories.ts';
import { decodeEksToken, EKS_TOKEN_PREFIX } from './eks-token.ts';
import { DeployErrorCode, isDeployError } from './errors.ts';

// ECR, EKS and STS answered by moto on the testbed. moto keeps its state in memory for everyone, so names carry a run id.
const testbed = requireTestbed(
  'TESTBED_AWS_ENDPOINT',
  'TESTBED_AWS_REGION',
  'TESTBED_AWS_ACCOUNT_ID',
  'TESTBED_AWS_ACCESS_KEY_ID',
  'TESTBED_AWS_SECRET_ACCESS_KEY',
);
const run = randomBytes(4).toString('hex');
const region = testbed.TESTBED_AWS_REGION!;
const account = testbed.TESTBED_AWS_ACCOUNT_ID!;
const config = {
  region,
  endpoint: testbed.TESTBED_AWS_ENDPOINT!,
  credentials: { accessKeyId: testbed.TESTBED_AWS_ACCESS_KEY_ID!, secretAccessKey: testbed.TESTBED_AWS_SECRET_ACCESS_KEY! },
  maxAttempts: 2,
};
const ecr = new ECRClient(config);
const eks = new EKSClient(config);
const sts = new STSClient(config);
afterAll(() => {
  ecr.destroy();
  eks.destroy();
  sts.destroy();
});

describe('ECR on moto', () => {
  it('turns the authorization token into AWS credentials for the account registry', async () => {
    const credentials = await getEcrCredentials({ ecr });
    expect(credentials.registry).toBe(ecrRegistryHost(account, region));
    expect(credentials.username).toBe('AWS');
    expect(credentials.password.length).toBeGreaterThan(0);
  });

  it('hands the credentials to a registry client by host, reusing them until they near expiry', async () => {
    // moto's tokens expired in 2015: a clock before that makes its token fresh.
    const source = new EcrCredentialSource({ ecr, clock: () => new Date('2014-12-31T00:00:00Z') });
    const first = await source.credentials();
    expect(await source.credentials()).toBe(first);
    expect(await source.lookup(ecrRegistryHost(account, region))).toEqual({ username: 'AWS', password: first.password });
    expect(await source.lookup('ghcr.io')).toBeUndefined();
    expect(await source.lookup(ecrRegistryHost('210987654321', region))).toBeUndefined();
  });

  it('creates missing repositories with immutable tags, scan-on-push and the KMS key; a second run changes nothing', async () => {
    const specs = [
      { name: `falco-airgap-${run}/falco` },
      { name: `falco-airgap-${run}/falco-s3-loader`, kmsKey: `arn:aws:kms:${region}:${account}:key/${run}` },
    ];
    const first = await ensureRepositories(specs, { ecr });
    expect(first.map((r) => [r.name, r.status])).toEqual([
      [specs[0]!.name, 'created'],
      [specs[1]!.name, 'created'],
    ]);
    expect(first[0]!.uri).toBe(`${ecrRegistryHost(account, region)}/${specs[0]!.name}`);
    const described = await ecr.send(new DescribeRepositoriesCommand({ repositoryNames: specs.map((s) => s.name) }));
    const byName = Object.fromEntries((described.repositories ?? []).map((r) => [r.repositoryName, r]));
    for (const spec of specs) {
      expect(byName[spec.name]).toMatchObject({ imageTagMutability: 'IMMUTABLE', imageScanningConfiguration: { scanOnPush: true } });
    }
    expect(byName[specs[1]!.name]!.encryptionConfiguration).toEqual({ encryptionType: 'KMS', kmsKey: specs[1]!.kmsKey });

    const second = await ensureRepositories(specs, { ecr });
    expect(second.map((r) => [r.status, r.warnings])).toEqual([
      ['unchanged', []],
      ['unchanged', []],
    ]);
  });

  it('brings an existing mutable repository without scan-on-push to the policy', async () => {
    const name = `falco-airgap-${run}/legacy`;
    await ecr.send(new CreateRepositoryCommand({ repositoryName: name, imageTagMutability: 'MUTABLE', imageScanningConfiguration: { scanOnPush: false } }));
    const [reported] = await ensureRepositories([{ name }], { ecr, updateExisting: false });
    expect(reported).toMatchObject({ status: 'unchanged', warnings: [`repository ${name} lacks immutable-tags and scan-on-push`] });
    const [updated] = await ensureRepositories([{ name }], { ecr });
    expect(updated!.status).toBe('updated');
    const described = await ecr.send(new DescribeRepositoriesCommand({ repositoryNames: [name] }));
    expect(described.repositories![0]).toMatchObject({ imageTagMutability: 'IMMUTABLE', imageScanningConfiguration: { scanOnPush: true } });
  });
});

describe('EKS and STS on moto', () => {
  const clusterName = `falco-${run}`;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'eks-deployer-aws-'));
    await eks.send(
      new CreateClusterCommand({ name: clusterName, roleArn: `arn:aws:iam::${account}:role/eks`, resourcesVpcConfig: { subnetIds: ['subnet-1'] } }),
    );
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('describes the cluster: endpoint, CA and status', async () => {
    const cluster = await describeEksCluster({ eks, clusterName });
    expect(cluster).toMatchObject({ name: clusterName, arn: `arn:aws:eks:${region}:${account}:cluster/${clusterName}`, status: 'ACTIVE' });
    expect(cluster.endpoint).toMatch(/^https:\/\/.+\.eks\.amazonaws\.com/);
    expect(cluster.certificateAuthorityData.length).toBeGreaterThan(0);
  });

  it('refuses a cluster that does not exist', async () => {
    const error = await describeEksCluster({ eks, clusterName: `missing-${run}` }).catch((e: unknown) => e);
    expect(isDeployError(error, DeployErrorCode.EksClusterNotFound), String(error)).toBe(true);
  });

  it('connects with an in-memory kubeconfig and writes helm a private kubeconfig carrying a token for this cluster', async () => {
    const connection = await connectEks({ eks, sts, clusterName, workDir: dir });
    const cluster = await describeEksCluster({ eks, clusterName });
    expect(connection.server).toBe(cluster.endpoint);
    expect(connection.kubeConfig.getCurrentCluster()).toMatchObject({ server: cluster.endpoint, caData: cluster.certificateAuthorityData });

    const { files, context } = await connection.helmKubeconfig(10 * 60_000);
    expect((await stat(files[0]!)).mode & 0o777).toBe(0o600);
    const document = JSON.parse(await readFile(files[0]!, 'utf8')) as KubeconfigDocument;
    expect(document.clusters).toEqual([
      { name: cluster.arn, cluster: { server: cluster.endpoint, 'certificate-authority-data': cluster.certificateAuthorityData } },
    ]);
    expect(context).toBe(cluster.arn);
    const token = document.users[0]!.user.token!;
    expect(token.startsWith(EKS_TOKEN_PREFIX)).toBe(true);
    const url = decodeEksToken(token)!;
    // Signed with the STS client the test made: its endpoint, region and key.
    expect(url.origin).toBe(testbed.TESTBED_AWS_ENDPOINT);
    expect(url.searchParams.get('Action')).toBe('GetCallerIdentity');
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('host;x-k8s-aws-id');
    expect(url.searchParams.get('X-Amz-Credential')).toMatch(new RegExp(`^${testbed.TESTBED_AWS_ACCESS_KEY_ID}/\\d{8}/${region}/sts/aws4_request$`));

    // The identity the token stands for is the one STS reports for the same credentials.
    const identity = await sts.send(new GetCallerIdentityCommand({}));
    expect(identity.Account).toBe(account);

    await connection.close();
    await expect(stat(files[0]!)).rejects.toThrow();
  });

  it('refuses a helm run longer than an EKS token lives', async () => {
    const connection = await connectEks({ eks, sts, clusterName, workDir: dir });
    const error = await connection.helmKubeconfig(20 * 60_000).catch((e: unknown) => e);
    await connection.close();
    expect(isDeployError(error, DeployErrorCode.Timeout), String(error)).toBe(true);
  });

  it('reports credentials STS does not accept as DEPLOY_AWS_CREDENTIALS', async () => {
    const anonymous = new EKSClient({
      ...config,
      credentials: async () => Promise.reject(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' })),
    });
    const error = await describeEksCluster({ eks: anonymous, clusterName }).catch((e: unknown) => e);
    anonymous.destroy();
    expect(isDeployError(error, DeployErrorCode.AwsCredentials), String(error)).toBe(true);
  });

  it('reports an endpoint that does not answer within the timeout', async () => {
    const silent = new EKSClient({ ...config, endpoint: 'http://127.0.0.1:1', maxAttempts: 1 });
    const error = await describeEksCluster({ eks: silent, clusterName, timeoutMs: 2_000 }).catch((e: unknown) => e);
    silent.destroy();
    expect(isDeployError(error, DeployErrorCode.AwsFailed), String(error)).toBe(true);
  });
});

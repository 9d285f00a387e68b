import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connectKubeconfig, eksKubeconfig } from './cluster-connection.ts';
import { DeployErrorCode } from './errors.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'eks-deployer-kubeconfig-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function kubeconfig(name: string, contexts: { name: string; server: string }[], current?: string): Promise<string> {
  const file = join(dir, name);
  const text = [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    ...contexts.flatMap((c) => [`  - name: ${c.name}`, '    cluster:', `      server: ${c.server}`]),
    'users:',
    ...contexts.flatMap((c) => [`  - name: ${c.name}`, '    user:', '      token: t']),
    'contexts:',
    ...contexts.flatMap((c) => [`  - name: ${c.name}`, '    context:', `      cluster: ${c.name}`, `      user: ${c.name}`]),
    ...(current ? [`current-context: ${current}`] : []),
  ].join('\n');
  await writeFile(file, text);
  return file;
}

describe('connectKubeconfig', () => {
  it("uses the file's current context, and hands helm the same file and context", async () => {
    const file = await kubeconfig('config', [{ name: 'minikube', server: 'https://192.168.49.2:8443' }], 'minikube');
    const connection = connectKubeconfig({ kubeconfig: [file] });
    expect(connection.description).toBe('kube context minikube');
    expect(connection.server).toBe('https://192.168.49.2:8443');
    expect(await connection.helmKubeconfig(60_000)).toEqual({ files: [file], context: 'minikube' });
  });

  it('merges several files like KUBECONFIG: the first that names a context wins', async () => {
    const a = await kubeconfig('a', [{ name: 'dev', server: 'https://dev:6443' }], 'dev');
    const b = await kubeconfig('b', [
      { name: 'dev', server: 'https://other:6443' },
      { name: 'kind', server: 'https://127.0.0.1:41000' },
    ]);
    expect(connectKubeconfig({ kubeconfig: [a, b] }).server).toBe('https://dev:6443');
    const kind = connectKubeconfig({ kubeconfig: [a, b], context: 'kind' });
    expect(kind.server).toBe('https://127.0.0.1:41000');
    expect(await kind.helmKubeconfig(1)).toEqual({ files: [a, b], context: 'kind' });
  });

  it('names the contexts there are when the one asked for is missing', async () => {
    const file = await kubeconfig('config', [
      { name: 'minikube', server: 'https://m' },
      { name: 'kind', server: 'https://k' },
    ]);
    expect(() => connectKubeconfig({ kubeconfig: [file], context: 'prod' })).toThrow(
      expect.objectContaining({ code: DeployErrorCode.UnknownContext, hint: 'set `context` to one of: minikube, kind' }),
    );
    expect(() => connectKubeconfig({ kubeconfig: [file] })).toThrow(expect.objectContaining({ code: DeployErrorCode.UnknownContext }));
  });

  it('refuses a file that does not exist or is not a kubeconfig', async () => {
    expect(() => connectKubeconfig({ kubeconfig: [join(dir, 'missing')] })).toThrow(expect.objectContaining({ code: DeployErrorCode.Kubeconfig }));
    const broken = join(dir, 'broken');
    await writeFile(broken, 'clusters: [unclosed');
    expect(() => connectKubeconfig({ kubeconfig: [broken] })).toThrow(expect.objectContaining({ code: DeployErrorCode.Kubeconfig }));
    expect(() => connectKubeconfig({ kubeconfig: [] })).toThrow(expect.objectContaining({ code: DeployErrorCode.Kubeconfig }));
  });
});

describe('eksKubeconfig', () => {
  it('is the cluster endpoint and CA, with the token as the bearer token', () => {
    const cluster = {
      name: 'prod',
      arn: 'arn:aws:eks:eu-west-1:123456789012:cluster/prod',
      endpoint: 'https://ABC.gr7.eu-west-1.eks.amazonaws.com',
      certificateAuthorityData: 'LS0tLS1CRUdJTg==',
      status: 'ACTIVE',
      version: '1.31',
    };
    expect(eksKubeconfig(cluster, 'k8s-aws-v1.abc')).toEqual({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: cluster.arn, cluster: { server: cluster.endpoint, 'certificate-authority-data': 'LS0tLS1CRUdJTg==' } }],
      users: [{ name: cluster.arn, user: { token: 'k8s-aws-v1.abc' } }],
      contexts: [{ name: cluster.arn, context: { cluster: cluster.arn, user: cluster.arn } }],
      'current-context': cluster.arn,
    });
  });
});

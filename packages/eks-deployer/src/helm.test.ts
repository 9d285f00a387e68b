import { describe, expect, it } from 'vitest';
import { DeployErrorCode } from './errors.ts';
import { classifyHelmFailure, parseHistoryJson, parseReleaseJson, parseTestOutput } from './helm.ts';

// What helm 3 prints on stderr for each kind of failure, as the CLI wrote it.
const STDERR = {
  timeout: 'Error: UPGRADE FAILED: release falco failed, and has been rolled back due to atomic being set: context deadline exceeded\n',
  locked: 'Error: UPGRADE FAILED: another operation (install/upgrade/rollback) is in progress\n',
  unreachable: 'Error: Kubernetes cluster unreachable: Get "https://127.0.0.1:1/version": dial tcp 127.0.0.1:1: connect: connection refused\n',
  rejected:
    'Error: execution error at (falco-airgap/templates/validate.yaml:4:4): values rejected:\nVALUES_S3_BUCKET_REQUIRED: s3.bucket: pluginStrategy s3 needs the bucket\n',
  forbidden: 'Error: UPGRADE FAILED: daemonsets.apps "falco" is forbidden: User "ci" cannot patch resource "daemonsets"\n',
  other: 'Error: UPGRADE FAILED: something new\n',
};

describe('classifyHelmFailure', () => {
  it.each([
    ['timeout', DeployErrorCode.HelmTimeout, 'timed out: the pods did not become ready in time (the failed revision was rolled back)'],
    ['locked', DeployErrorCode.HelmLocked, 'another helm operation is in progress'],
    ['unreachable', DeployErrorCode.ClusterUnreachable, 'the cluster cannot be reached'],
    ['rejected', DeployErrorCode.ChartRejected, 'VALUES_S3_BUCKET_REQUIRED: s3.bucket'],
    ['forbidden', DeployErrorCode.KubeApi, 'the cluster refused it'],
    ['other', DeployErrorCode.HelmFailed, 'failed: UPGRADE FAILED: something new'],
  ] as const)('%s → %s', (kind, code, text) => {
    const error = classifyHelmFailure('upgrade --install', STDERR[kind], 'falco');
    expect(error.code).toBe(code);
    expect(error.message).toContain(text);
    expect((error.cause as Error).message).toBe(STDERR[kind].trim());
  });

  it('input for a chart that refuses the values, operational otherwise', () => {
    expect(classifyHelmFailure('upgrade', STDERR.rejected, 'r').category).toBe('input');
    expect(classifyHelmFailure('upgrade', STDERR.timeout, 'r').category).toBe('operational');
  });
});

describe('helm output', () => {
  it('reads a release from helm status -o json', () => {
    const release = parseReleaseJson(
      JSON.stringify({
        name: 'falco',
        namespace: 'falco',
        version: 3,
        info: { status: 'deployed', description: 'falco-airgap x', last_deployed: '2026-01-01T00:00:00Z', notes: 'n' },
        chart: { metadata: { name: 'falco-airgap', version: '0.1.0', appVersion: '0.44.1' }, templates: [] },
        config: { pluginStrategy: 's3' },
      }),
    );
    expect(release).toEqual({
      name: 'falco',
      namespace: 'falco',
      revision: 3,
      status: 'deployed',
      chart: 'falco-airgap-0.1.0',
      appVersion: '0.44.1',
      updated: '2026-01-01T00:00:00Z',
      description: 'falco-airgap x',
      values: { pluginStrategy: 's3' },
      notes: 'n',
    });
  });

  it('reads helm history -o json oldest first', () => {
    const rows = [
      { revision: 2, updated: 'b', status: 'deployed', chart: 'falco-airgap-0.1.0', app_version: '0.44.1', description: 'Upgrade complete' },
      { revision: 1, updated: 'a', status: 'superseded', chart: 'falco-airgap-0.1.0', app_version: '0.44.1', description: 'Install complete' },
    ];
    expect(parseHistoryJson(JSON.stringify(rows)).map((r) => [r.revision, r.status, r.appVersion])).toEqual([
      [1, 'superseded', '0.44.1'],
      [2, 'deployed', '0.44.1'],
    ]);
  });

  it('reads the test suites of helm test', () => {
    const out =
      'NAME: falco\nSTATUS: deployed\nTEST SUITE:     falco-test-health\nLast Started:   x\nPhase:          Succeeded\nTEST SUITE:     falco-test-2\nPhase:          Failed\n';
    expect(parseTestOutput(out)).toEqual([
      { name: 'falco-test-health', phase: 'Succeeded' },
      { name: 'falco-test-2', phase: 'Failed' },
    ]);
    expect(parseTestOutput('NAME: falco\nTEST SUITE: None\n')).toEqual([]);
  });
});

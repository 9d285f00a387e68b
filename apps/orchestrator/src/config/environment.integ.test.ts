import { requireTestbed } from '@falco-airgap/testbed/env';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runInMemory } from '../testing/run-in-memory.ts';

// status --env against the testbed's API server: the cluster, namespace and release come from the file alone.
const testbed = requireTestbed('TESTBED_HELM', 'TESTBED_KUBECONFIG');
const dir = mkdtempSync(join(tmpdir(), 'falco-airgap-env-'));
const namespace = `falco-airgap-env-${randomBytes(3).toString('hex')}`;
// No KUBECONFIG: only the file can lead the command to the testbed.
const env = { HOME: dir, PATH: process.env.PATH, FALCO_AIRGAP_HELM: testbed.TESTBED_HELM };

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('status --env', () => {
  it('reaches the cluster the environment names and reads its release', async () => {
    writeFileSync(
      join(dir, 'falco-airgap.config.yaml'),
      [
        'apiVersion: falco-airgap/v1',
        'kind: Config',
        'environments:',
        '  testbed:',
        '    registry: { host: 127.0.0.1:5000 }',
        `    cluster: { kubeconfig: ${JSON.stringify(testbed.TESTBED_KUBECONFIG)} }`,
        `    namespace: ${namespace}`,
        '    release: absent',
      ].join('\n'),
    );
    const result = await runInMemory(['--json', 'status', '--env', 'testbed'], { cwd: dir, env });
    expect(result.stderr).not.toContain('error[');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout.trim().split('\n').at(-1)!).data).toMatchObject({ installed: false, namespace, release: 'absent' });

    const flagged = await runInMemory(['--json', 'status', '--env', 'testbed', '--release', 'other'], { cwd: dir, env });
    expect(JSON.parse(flagged.stdout.trim().split('\n').at(-1)!).data).toMatchObject({ namespace, release: 'other' });
  });
});

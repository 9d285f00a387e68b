import { PLUGIN_STRATEGIES } from '@falco-airgap/helm-values-schema';
import { DEFAULT_LOCK_PATH, DEFAULT_MANIFEST_PATH } from '@falco-airgap/manifest';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LOCK_FILE, DEFAULT_MANIFEST_FILE } from './command-definitions.ts';
import { runInMemory } from './testing/run-in-memory.ts';

describe('command definitions', () => {
  it('default to the manifest and lock paths the libraries use', () => {
    expect([DEFAULT_MANIFEST_FILE, DEFAULT_LOCK_FILE]).toEqual([DEFAULT_MANIFEST_PATH, DEFAULT_LOCK_PATH]);
  });

  it('offer the plugin strategies the chart defines', async () => {
    const { stdout } = await runInMemory(['pipeline', '--help']);
    expect(stdout.replace(/\s+/g, ' ')).toContain(`choices: ${PLUGIN_STRATEGIES.map((s) => `"${s}"`).join(', ')}`);
  });

  it('show the variables behind the store flags in --help, and take their values from the environment given', async () => {
    const help = await runInMemory(['publish', '--help']);
    expect(help.stdout.replace(/\s+/g, ' ')).toContain('--bucket <name> S3 bucket of the plugin store (env: FALCO_AIRGAP_S3_BUCKET)');
    const policy = await runInMemory(['--json', 'releases', 'policy'], { env: { FALCO_AIRGAP_S3_BUCKET: 'corp-falco', FALCO_AIRGAP_S3_PREFIX: 'team' } });
    expect(policy.code).toBe(0);
    expect(policy.stdout).toContain('arn:aws:s3:::corp-falco/team/');
    const flagWins = await runInMemory(['--json', 'releases', 'policy', '--bucket', 'from-flag'], { env: { FALCO_AIRGAP_S3_BUCKET: 'corp-falco' } });
    expect(flagWins.stdout).toContain('arn:aws:s3:::from-flag/');
    expect(flagWins.stdout).not.toContain('corp-falco');
  });
});

import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { repoRoot, requireTestbed } from '@falco-airgap/testbed/env';
import { ENV_PREFIX, FLAGS, parseLoaderArgs } from '../src/config.ts';

const run = promisify(execFile);
const env = requireTestbed('TESTBED_HELM', 'TESTBED_KUBE_VERSION');

// The chart configures the loader only through FALCO_S3_LOADER_* variables: both sides must agree on every name and value format.
describe('the chart and falco-s3-loader agree on the loader environment', () => {
  it('every variable the chart sets is one the loader reads, and the loader accepts the values', async () => {
    const { stdout } = await run(env.TESTBED_HELM!, [
      'template',
      'falco',
      join(repoRoot, 'helm/falco-airgap'),
      '--kube-version',
      env.TESTBED_KUBE_VERSION!,
      '--set',
      'pluginStrategy=s3',
      '--set',
      's3.bucket=acme-falco-plugins',
      '--set',
      's3.channel=prod',
      '--set',
      's3.endpoint=http://minio.storage:9000',
      '--set',
      's3.region=eu-west-1',
      '--set',
      's3.cacheHostPath=/var/lib/falco-airgap',
      '--set',
      's3.onUnavailable=use-cached',
    ]);
    const workload = parseAllDocuments(stdout)
      .map((d) => d.toJS())
      .find((o) => o?.kind === 'DaemonSet');
    const containers = [...(workload.spec.template.spec.initContainers ?? []), ...workload.spec.template.spec.containers];
    const loaderEnv: Record<string, string> = {};
    for (const container of containers) for (const e of container.env ?? []) if (e.name.startsWith(ENV_PREFIX)) loaderEnv[e.name] = e.value;

    const known = new Set(Object.values(FLAGS).map((flag) => ENV_PREFIX + flag.env));
    expect(Object.keys(loaderEnv).length).toBeGreaterThan(5);
    expect(Object.keys(loaderEnv).filter((name) => !known.has(name))).toEqual([]);

    const parsed = parseLoaderArgs([], loaderEnv, 'x64');
    expect(parsed.kind).toBe('run');
    if (parsed.kind !== 'run') return;
    expect(parsed.config).toMatchObject({
      bucket: 'acme-falco-plugins',
      channel: 'prod',
      endpoint: 'http://minio.storage:9000',
      region: 'eu-west-1',
      destination: '/usr/share/falco/plugins',
      // The rules files of the release go where the chart lists them in falco.yaml (lockedRules).
      rulesDestination: '/etc/falco/locked-rules.d',
      onUnavailable: 'use-cached',
      timeoutMs: 30_000,
    });
  });
});

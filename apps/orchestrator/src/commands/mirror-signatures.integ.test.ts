import { buildPluginArtifact, buildRulesfileArtifact, compilePlugin, publishArtifactTo } from '@falco-airgap/fixtures';
import { parseLock } from '@falco-airgap/manifest';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runInMemory } from '../testing/run-in-memory.ts';

// Loaded by path: tools/ sits outside this app's tsconfig rootDir.
const testbedEnv = join(import.meta.dirname, '../../../../tools/testbed/env.ts');
const { requireTestbed } = (await import(testbedEnv)) as { requireTestbed: (...keys: string[]) => Record<string, string> };
const env = requireTestbed('TESTBED_REGISTRY', 'TESTBED_COSIGN');
const PLAIN = env.TESTBED_REGISTRY!;
const run = promisify(execFile);

const runId = randomBytes(4).toString('hex');
const source = `mirror-signed-${runId}`;
const prefix = `mirror-signed-copy-${runId}`;
const plugin = buildPluginArtifact({
  name: 'demo',
  version: '0.1.0',
  requiredApiVersion: '3.10.0',
  builds: compilePlugin({ name: 'demo', version: '0.0.0', apiVersion: '3.10.0' }),
});
const rules = buildRulesfileArtifact({ name: 'demo-rules', version: '0.1.0', files: [{ name: 'demo_rules.yaml', content: '- rule: demo\n' }] });
let root: string;

async function cosign(args: string[], extraEnv: Record<string, string> = {}): Promise<string> {
  try {
    const { stdout } = await run(env.TESTBED_COSIGN!, args, {
      cwd: root,
      env: { ...process.env, HOME: root, COSIGN_PASSWORD: 'testbed', ...extraEnv },
      timeout: 120_000,
    });
    return stdout;
  } catch (error) {
    throw new Error(`cosign ${args.join(' ')} failed: ${(error as { stderr?: string }).stderr ?? String(error)}`, { cause: error });
  }
}

const insecure = ['--allow-insecure-registry', '--allow-http-registry'];

/** `mirror --json` of the lock into this run's copy prefix. */
function mirrorToCopy() {
  const args = [
    '--to',
    `${PLAIN}/${prefix}`,
    '--lock',
    'plugins/plugins-lock.yaml',
    '--plain-http',
    PLAIN,
    '--cache-dir',
    'cache',
    '--index-out',
    'index.yaml',
  ];
  return runInMemory(['--json', 'mirror', ...args], { cwd: root });
}

function manifest(registryPath: string): string {
  return [
    'apiVersion: falco-airgap/v1alpha1',
    'kind: PluginsManifest',
    'falco:',
    '  version: 0.44.1',
    'platforms: [linux/amd64]',
    'plugins:',
    '  - name: demo',
    '    version: 0.1.0',
    '    from:',
    `      artifact: ${registryPath}/plugins/plugin/demo:0.1.0`,
    'rulesfiles:',
    '  - name: demo-rules',
    '    version: 0.1.0',
    '    from:',
    `      artifact: ${registryPath}/rules/demo-rules:0.1.0`,
    '',
  ].join('\n');
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'cli-mirror-signatures-'));
  await cosign(['generate-key-pair', '--output-key-prefix', 'signer']);
  await publishArtifactTo({ registry: PLAIN, plainHttp: true }, `${source}/plugins/plugin/demo`, plugin, ['0.1.0']);
  await publishArtifactTo({ registry: PLAIN, plainHttp: true }, `${source}/rules/demo-rules`, rules, ['0.1.0']);
  // The plugin signed the default way (the .sig tag), the rules as an OCI 1.1 referrer (this registry keeps the tag schema's index).
  await cosign([
    'sign',
    '--key',
    'signer.key',
    '--tlog-upload=false',
    '--yes',
    ...insecure,
    `${PLAIN}/${source}/plugins/plugin/demo@${plugin.root.descriptor.digest}`,
  ]);
  await cosign(
    [
      'sign',
      '--key',
      'signer.key',
      '--tlog-upload=false',
      '--yes',
      ...insecure,
      '--registry-referrers-mode',
      'oci-1-1',
      `${PLAIN}/${source}/rules/demo-rules@${rules.root.descriptor.digest}`,
    ],
    { COSIGN_EXPERIMENTAL: '1' },
  );
  await writeFile(join(root, 'source.yaml'), manifest(`${PLAIN}/${source}`));
  const extracted = await runInMemory(['extract', '--manifest', 'source.yaml', '--out', 'plugins', '--plain-http', PLAIN, '--cache-dir', 'cache'], {
    cwd: root,
  });
  if (extracted.code !== 0) throw new Error(`extract failed: ${extracted.stderr}`);
}, 300_000);

afterAll(() => rm(root, { recursive: true, force: true }));

describe('falco-airgap mirror copies cosign signatures (testbed, real cosign)', () => {
  it('copies the .sig tag and referrer signatures; cosign and extract --verify-signatures verify the mirrored copies', async () => {
    const result = await mirrorToCopy();
    expect(result.stderr).not.toContain('error[');
    expect(result.code).toBe(0);
    const data = (JSON.parse(result.stdout.trim().split('\n').at(-1)!) as { data: { artifacts: { name: string; signatures: { foundVia: string }[] }[] } }).data;
    expect(data.artifacts.map((a) => [a.name, a.signatures.map((s) => s.foundVia)])).toEqual([
      ['demo', ['tag']],
      ['demo-rules', ['referrers']],
    ]);
    expect(result.stderr + result.stdout).toContain('2 signatures');

    // The real cosign verifies both copies against the signer's key, with nothing read from the source repositories.
    const copy = `${PLAIN}/${prefix}/${source}`;
    await cosign(['verify', '--key', 'signer.pub', '--insecure-ignore-tlog', ...insecure, `${copy}/plugins/plugin/demo@${plugin.root.descriptor.digest}`]);
    await cosign(
      [
        'verify',
        '--key',
        'signer.pub',
        '--insecure-ignore-tlog',
        ...insecure,
        '--experimental-oci11',
        `${copy}/rules/demo-rules@${rules.root.descriptor.digest}`,
      ],
      { COSIGN_EXPERIMENTAL: '1' },
    );

    // And the air-gapped side's own check: extract from the mirror with --verify-signatures.
    await writeFile(join(root, 'mirror.yaml'), manifest(copy));
    const verified = await runInMemory(
      [
        'extract',
        '--manifest',
        'mirror.yaml',
        '--out',
        'from-mirror',
        '--plain-http',
        PLAIN,
        '--cache-dir',
        'cache',
        '--verify-signatures',
        '--signature-key',
        'signer.pub',
      ],
      { cwd: root },
    );
    expect(verified.stderr).not.toContain('error[');
    expect(verified.code).toBe(0);
    const lock = parseLock(await readFile(join(root, 'from-mirror/plugins-lock.yaml'), 'utf8'));
    expect([lock.plugins[0]!.signature?.foundVia, lock.rulesfiles[0]!.signature?.foundVia]).toEqual(['tag', 'referrers']);

    // Nothing changed: the signatures are not sent again.
    const again = await mirrorToCopy();
    expect(again.code).toBe(0);
    const repeated = (JSON.parse(again.stdout.trim().split('\n').at(-1)!) as { data: { artifacts: { signatureBlobsUploaded: number }[] } }).data;
    expect(repeated.artifacts.map((a) => a.signatureBlobsUploaded)).toEqual([0, 0]);
  });
});

import { buildPluginArtifact, buildRulesfileArtifact, compilePlugin, openRegistry, publishArtifactTo, type OciArtifact } from '@falco-airgap/fixtures';
import { parseLock } from '@falco-airgap/manifest';
import { parseSignatureKey } from '@falco-airgap/plugin-extractor';
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
const COSIGN = env.TESTBED_COSIGN!;
const run = promisify(execFile);

let root: string;
/** Repositories of this run only: signatures of earlier runs cannot answer for it. */
const repo = (name: string) => `signatures-${runId}/${name}`;
const runId = randomBytes(4).toString('hex');
const plugin = buildPluginArtifact({
  name: 'demo',
  version: '0.1.0',
  requiredApiVersion: '3.10.0',
  builds: compilePlugin({ name: 'demo', version: '0.0.0', apiVersion: '3.10.0' }),
});
const rules = buildRulesfileArtifact({ name: 'demo-rules', version: '0.1.0', files: [{ name: 'demo_rules.yaml', content: '- rule: demo\n' }] });

async function cosign(args: string[], extraEnv: Record<string, string> = {}): Promise<void> {
  try {
    await run(COSIGN, args, { cwd: root, env: { ...process.env, HOME: root, COSIGN_PASSWORD: 'testbed', ...extraEnv }, timeout: 120_000 });
  } catch (error) {
    throw new Error(`cosign ${args.join(' ')} failed: ${(error as { stderr?: string }).stderr ?? String(error)}`, { cause: error });
  }
}

/** The real `cosign sign` with a key and no transparency log; `referrers` stores it the OCI 1.1 way. */
async function sign(repository: string, artifact: OciArtifact, key: string, referrers = false): Promise<void> {
  const mode = referrers ? ['--registry-referrers-mode', 'oci-1-1'] : [];
  await cosign(
    [
      'sign',
      '--key',
      key,
      '--tlog-upload=false',
      '--yes',
      '--allow-insecure-registry',
      '--allow-http-registry',
      ...mode,
      `${PLAIN}/${repository}@${artifact.root.descriptor.digest}`,
    ],
    referrers ? { COSIGN_EXPERIMENTAL: '1' } : {},
  );
}

async function publish(repository: string, artifact: OciArtifact): Promise<void> {
  await publishArtifactTo({ registry: PLAIN, plainHttp: true }, repository, artifact, ['0.1.0']);
}

/** A manifest naming the demo plugin from `pluginRepo` and, optionally, the demo rules from `rulesRepo`. */
async function manifestFor(file: string, pluginRepo: string, rulesRepo?: string): Promise<string> {
  const path = join(root, file);
  const lines = [
    'apiVersion: falco-airgap/v1alpha1',
    'kind: PluginsManifest',
    'falco:',
    '  version: 0.44.1',
    'platforms: [linux/amd64, linux/arm64]',
    'plugins:',
    '  - name: demo',
    '    version: 0.1.0',
    '    from:',
    `      artifact: ${PLAIN}/${pluginRepo}:0.1.0`,
    ...(rulesRepo ? ['rulesfiles:', '  - name: demo-rules', '    version: 0.1.0', '    from:', `      artifact: ${PLAIN}/${rulesRepo}:0.1.0`] : []),
    '',
  ];
  await writeFile(path, lines.join('\n'));
  return path;
}

function extract(manifest: string, out: string, key: string) {
  return runInMemory(
    ['extract', '--manifest', manifest, '--out', out, '--plain-http', PLAIN, '--cache-dir', 'cache', '--verify-signatures', '--signature-key', key],
    { cwd: root },
  );
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'cli-extract-signatures-'));
  // An ECDSA P-256 pair as cosign makes it, and an Ed25519 pair imported into cosign.
  await cosign(['generate-key-pair', '--output-key-prefix', 'ecdsa']);
  await run('openssl', ['genpkey', '-algorithm', 'ed25519', '-out', join(root, 'ed25519.pem')]);
  await cosign(['import-key-pair', '--key', 'ed25519.pem', '--output-key-prefix', 'ed25519']);
  for (const name of ['signed', 'ed25519', 'unsigned', 'other-key', 'tampered']) await publish(repo(`${name}/plugin`), plugin);
  await publish(repo('signed/rules'), rules);
  await sign(repo('signed/plugin'), plugin, 'ecdsa.key');
  await sign(repo('signed/rules'), rules, 'ecdsa.key', true);
  await sign(repo('ed25519/plugin'), plugin, 'ed25519.key');
  await sign(repo('other-key/plugin'), plugin, 'ed25519.key');
  await sign(repo('tampered/plugin'), plugin, 'ecdsa.key');
}, 300_000);

afterAll(() => rm(root, { recursive: true, force: true }));

describe('falco-airgap extract --verify-signatures (testbed, real cosign)', () => {
  it('passes signatures made by cosign sign, found by the .sig tag and as a referrer, and records the key in the lock', async () => {
    const manifest = await manifestFor('signed.yaml', repo('signed/plugin'), repo('signed/rules'));
    const result = await extract(manifest, 'signed', 'ecdsa.pub');
    expect(result.stderr).not.toContain('error[');
    expect(result.code).toBe(0);
    const fingerprint = parseSignatureKey(await readFile(join(root, 'ecdsa.pub')), 'ecdsa.pub').fingerprint;
    expect(result.stdout).toContain(`signatures of 2 artifacts verified with key ${fingerprint}`);
    const lock = parseLock(await readFile(join(root, 'signed/plugins-lock.yaml'), 'utf8'));
    expect(lock.plugins[0]!.signature).toMatchObject({ keyFingerprint: fingerprint, foundVia: 'tag' });
    // distribution 2.8 has no referrers API: cosign keeps the referrers tag schema's index, and extract reads it.
    expect(lock.rulesfiles[0]!.signature).toMatchObject({ keyFingerprint: fingerprint, foundVia: 'referrers' });
  });

  it('passes an Ed25519 signature (cosign signs images with Ed25519ph)', async () => {
    const result = await extract(await manifestFor('ed25519.yaml', repo('ed25519/plugin')), 'ed25519', 'ed25519.pub');
    expect(result.stderr).not.toContain('error[');
    expect(result.code).toBe(0);
  });

  it.each([
    ['an unsigned artifact', 'unsigned', 'EXTRACT_SIGNATURE_MISSING'],
    ['an artifact signed by another key', 'other-key', 'EXTRACT_SIGNATURE_INVALID'],
    ['a tampered signature', 'tampered', 'EXTRACT_SIGNATURE_INVALID'],
  ])('refuses %s with exit 3 and writes nothing', async (_name, name, code) => {
    if (name === 'tampered') await tamperSignature(repo('tampered/plugin'), plugin.root.descriptor.digest);
    const result = await extract(await manifestFor(`${name}.yaml`, repo(`${name}/plugin`)), name, 'ecdsa.pub');
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(`error[${code}]`);
    await expect(readFile(join(root, name, 'plugins-lock.yaml'))).rejects.toThrow(/ENOENT/);
  });

  it('refuses --verify-signatures without a key as invalid input (exit 2)', async () => {
    const result = await runInMemory(['extract', '--manifest', await manifestFor('nokey.yaml', repo('signed/plugin')), '--verify-signatures'], { cwd: root });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--verify-signatures needs --signature-key');
  });
});

/** Rewrites the signature annotation of cosign's .sig manifest with one byte of the signature changed. */
async function tamperSignature(repository: string, digest: string): Promise<void> {
  const client = await openRegistry({ registry: PLAIN, plainHttp: true });
  try {
    const location = { registry: PLAIN, repository };
    const tag = `${digest.replace(':', '-')}.sig`;
    const head = await client.headManifest(location, tag);
    const signed = await client.manifest(location, head!.digest, undefined);
    const document = JSON.parse(signed.bytes.toString('utf8')) as { layers: { annotations: Record<string, string> }[] };
    const annotations = document.layers[0]!.annotations;
    const signature = Buffer.from(annotations['dev.cosignproject.cosign/signature']!, 'base64');
    signature[signature.length - 8]! ^= 0x01;
    annotations['dev.cosignproject.cosign/signature'] = signature.toString('base64');
    await client.putManifest(location, tag, Buffer.from(JSON.stringify(document)), signed.document.mediaType);
  } finally {
    await client.close();
  }
}

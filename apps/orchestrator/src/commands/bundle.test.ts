import { readVerifyKey, signBytes, readSigningKey, verifyBytesSignature } from '@falco-airgap/bundle';
import { Command } from 'commander';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyLoadedBundle, LOADED_BUNDLE_FILE } from '../config/loaded-bundle.ts';
import { runInMemory } from '../testing/run-in-memory.ts';

let root: string;
const resultOf = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!);

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'cli-bundle-unit-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe('falco-airgap bundle keygen', () => {
  it('writes a private key only its owner reads and the public key that verifies its signatures; never overwrites without --force', async () => {
    const run = await runInMemory(['--json', 'bundle', 'keygen', '--out', 'keys/signer', '--algorithm', 'ed25519'], { cwd: root });
    expect(run.code).toBe(0);
    expect(resultOf(run.stdout).data).toMatchObject({ algorithm: 'ed25519', keyId: expect.stringMatching(/^sha256:[a-f0-9]{64}$/) });
    expect((await stat(join(root, 'keys/signer.key'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(root, 'keys/signer.pub'))).mode & 0o777).toBe(0o644);
    const signature = signBytes(Buffer.from('bundle'), readSigningKey(await readFile(join(root, 'keys/signer.key')), 'key'));
    expect(verifyBytesSignature(Buffer.from('bundle'), signature, readVerifyKey(await readFile(join(root, 'keys/signer.pub')), 'pub'))).toBe(true);

    const again = await runInMemory(['--json', 'bundle', 'keygen', '--out', 'keys/signer'], { cwd: root });
    expect(again.code).toBe(2);
    expect(resultOf(again.stdout).error.code).toBe('CLI_USAGE');
    expect((await runInMemory(['bundle', 'keygen', '--out', 'keys/signer', '--force'], { cwd: root })).code).toBe(0);
  });
});

describe('falco-airgap bundle verify and create refuse bad input before touching anything', () => {
  it('a bundle that does not exist is exit 2 (BUNDLE_NOT_FOUND); an unreadable key exit 2', async () => {
    const missing = await runInMemory(['--json', 'bundle', 'verify', 'nowhere.tar'], { cwd: root });
    expect(missing.code).toBe(2);
    expect(resultOf(missing.stdout).error.code).toBe('BUNDLE_NOT_FOUND');
    await writeFile(join(root, 'junk.pub'), 'not a key');
    const junk = await runInMemory(['--json', 'bundle', 'verify', 'nowhere.tar', '--key', 'junk.pub'], { cwd: root });
    expect(junk.code).toBe(2);
    expect(resultOf(junk.stdout).error.code).toBe('BUNDLE_KEY_UNREADABLE');
  });

  it('--split of a directory bundle, or a size that is not one, is exit 2', async () => {
    const base = ['--json', 'bundle', 'create', '--env', 'prod', '--registry', 'localhost:5000'];
    const dir = await runInMemory([...base, '--out', 'bundle-dir', '--split', '1GiB'], { cwd: root });
    expect(dir.code).toBe(2);
    expect(resultOf(dir.stdout).error.message).toContain('--split needs an archive');
    const size = await runInMemory([...base, '--out', 'b.tar', '--split', 'lots'], { cwd: root });
    expect(size.code).toBe(2);
  });
});

describe('deploy --env after bundle load', () => {
  it("defaults the chart to the loaded one and layers the bundle's values, then the environment's, then the overlay", async () => {
    const config = { file: join(root, 'falco-airgap.config.yaml') } as Parameters<typeof applyLoadedBundle>[2];
    const state = join(root, '.falco-airgap', 'isolated');
    await mkdir(state, { recursive: true });
    await writeFile(
      join(state, LOADED_BUNDLE_FILE),
      JSON.stringify({
        apiVersion: 'falco-airgap/v1alpha1',
        kind: 'LoadedBundle',
        bundle: 'sha256:x',
        chart: 'chart',
        values: ['values/01-prod.yaml'],
        overlay: 'values.yaml',
      }),
    );
    const deploy = new Command('deploy')
      .option('--chart <dir>', 'chart', 'helm/falco-airgap')
      .option('--values <file>', 'values', (v: string, p: string[]) => [...p, v], [] as string[]);
    deploy.setOptionValueWithSource('values', [join(root, 'env-values.yaml')], 'config');
    await applyLoadedBundle(deploy, 'isolated', config, root);
    expect(deploy.opts()).toEqual({
      chart: join(state, 'chart'),
      values: [join(state, 'values/01-prod.yaml'), join(root, 'env-values.yaml'), join(state, 'values.yaml')],
    });

    const other = new Command('deploy').option('--chart <dir>', 'chart', 'helm/falco-airgap').option('--values <file>', 'values');
    await applyLoadedBundle(other, 'never-loaded', config, root);
    expect(other.opts()).toEqual({ chart: 'helm/falco-airgap' });
  });
});

import { publishRealPlugins, type PublishedRealPlugins } from '@falco-airgap/fixtures';
import { parseLock } from '@falco-airgap/manifest';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runInMemory } from '../testing/run-in-memory.ts';

// Loaded by path: tools/ sits outside this app's tsconfig rootDir.
const testbedEnv = join(import.meta.dirname, '../../../../tools/testbed/env.ts');
const { requireTestbed } = (await import(testbedEnv)) as { requireTestbed: (...keys: string[]) => Record<string, string> };
const PLAIN = requireTestbed('TESTBED_REGISTRY').TESTBED_REGISTRY!;

let root: string;
let published: PublishedRealPlugins;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'cli-extract-real-'));
  published = await publishRealPlugins({ registry: PLAIN, plainHttp: true });
}, 3_600_000);

afterAll(() => rm(root, { recursive: true, force: true }));

describe('falco-airgap extract with real plugins (testbed)', () => {
  it('mirrors a falcoctl artifact pushed without requirements and a C++ plugin from an image: exit 0, a warning, the source in the lock', async () => {
    const k8saudit = published.set.plugins.find((p) => p.name === 'k8saudit')!;
    const manifest = join(root, 'plugins-manifest.yaml');
    await writeFile(
      manifest,
      [
        'apiVersion: falco-airgap/v1alpha1',
        'kind: PluginsManifest',
        'falco:',
        '  version: 0.44.1',
        'platforms: [linux/amd64, linux/arm64]',
        'plugins:',
        '  - name: k8saudit',
        `    version: ${k8saudit.version}`,
        '    from:',
        `      artifact: ${published.artifacts.k8saudit!.withoutRequires}`,
        '  - name: cppstyle',
        '    version: 0.1.0',
        '    from:',
        `      image: ${published.images.docker}`,
        '      path: /usr/share/falco/plugins/libcppstyle.so',
        '',
      ].join('\n'),
    );
    const result = await runInMemory(['extract', '--manifest', manifest, '--out', 'plugins', '--plain-http', PLAIN, '--cache-dir', 'cache'], { cwd: root });
    expect(result.stderr).not.toContain('error[');
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('warning[EXTRACT_NO_API_REQUIREMENT]');

    const lock = parseLock(await readFile(join(root, 'plugins/plugins-lock.yaml'), 'utf8'));
    const sources = lock.plugins.flatMap((p) => p.platforms.map((x) => `${p.name} ${x.platform} ${x.pluginApiVersion} ${x.pluginApiVersionSource}`));
    expect(sources).toEqual([
      'cppstyle linux/amd64 3.12.0 elf-literal',
      'cppstyle linux/arm64 3.12.0 elf-literal',
      `k8saudit linux/amd64 ${k8saudit.apiVersion} elf-sdk-default`,
      `k8saudit linux/arm64 ${k8saudit.apiVersion} elf-sdk-default`,
    ]);
    for (const plugin of published.set.plugins) {
      for (const platform of ['linux/amd64', 'linux/arm64'] as const) {
        const built = createHash('sha256')
          .update(await readFile(plugin.files[platform]))
          .digest('hex');
        expect(lock.plugins.find((p) => p.name === plugin.name)!.platforms.find((p) => p.platform === platform)!.sha256).toBe(built);
      }
    }
  });
});

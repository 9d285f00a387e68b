import { buildContainerImage, buildPluginArtifact, FIXTURE_CREATED } from '@falco-airgap/fixtures';
import { parseLock, type PluginEntry } from '@falco-airgap/manifest';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ExtractEvent } from './events.ts';
import { FakeRegistry, HOST, library, manifestOf, pluginBuilds, pluginRepo, runExtract, scratch, type Scratch } from './test-support/harness.ts';

// A plugin whose plugin_get_required_api_version returns something no static reading accepts as an API version.
const UNREADABLE = 'dynamic';

let registry: FakeRegistry;
let area: Scratch;
beforeEach(async () => {
  registry = new FakeRegistry(HOST);
  area = await scratch();
});
afterEach(() => area.cleanup());

function publishImage(): string {
  const image = buildContainerImage({
    created: FIXTURE_CREATED,
    platforms: (['linux/amd64', 'linux/arm64'] as const).map((platform) => ({
      platform,
      layers: [{ createdBy: 'x', entries: [{ type: 'file', path: 'plugins/libopaque.so', content: library('opaque', platform, UNREADABLE) }] }],
    })),
  });
  registry.push('falcosecurity/falco', image, ['opaque']);
  return `${HOST}/falcosecurity/falco:opaque`;
}

const imageEntry = (image: string, requiredApiVersion?: string): PluginEntry => ({
  name: 'opaque',
  version: '1.0.0',
  from: { image, path: '/plugins/libopaque.so' },
  requiredApiVersion,
});

async function lockedSources(): Promise<string[]> {
  const lock = parseLock(await readFile(join(area.out, 'plugins-lock.yaml'), 'utf8'));
  return lock.plugins.flatMap((p) => p.platforms.map((x) => `${p.name} ${x.platform} ${x.pluginApiVersion} ${x.pluginApiVersionSource}`));
}

describe('how extract establishes the plugin API version of a library it cannot read', () => {
  it('takes the manifest entry requiredApiVersion and records it as the source', async () => {
    const image = publishImage();
    const events: ExtractEvent[] = [];
    await runExtract(registry, area, manifestOf([imageEntry(image, '3.6.0')]), { onEvent: (e) => events.push(e) });
    expect(await lockedSources()).toEqual(['opaque linux/amd64 3.6.0 manifest', 'opaque linux/arm64 3.6.0 manifest']);
    expect(events.filter((e) => e.type === 'warning')).toEqual([]);
  });

  it('assumes the plugin API of the manifest Falco version, warns, and records that it assumed', async () => {
    const image = publishImage();
    const events: ExtractEvent[] = [];
    await runExtract(registry, area, manifestOf([imageEntry(image)]), { onEvent: (e) => events.push(e) });
    expect(await lockedSources()).toEqual(['opaque linux/amd64 3.12.0 falco-version', 'opaque linux/arm64 3.12.0 falco-version']);
    expect(events.filter((e) => e.type === 'warning').map((e) => e.type === 'warning' && e.code)).toEqual([
      'EXTRACT_API_VERSION_ASSUMED',
      'EXTRACT_API_VERSION_ASSUMED',
    ]);
  });

  it('accepts an artifact config without requirements, reading the version from the library instead', async () => {
    // As `falcoctl registry push` without --requires writes it: no requirements in the config.
    const rebuilt = buildPluginArtifact({
      name: 'k8saudit',
      version: '0.18.0',
      requiredApiVersion: undefined,
      builds: pluginBuilds({ name: 'k8saudit', version: '0.0.0', apiVersion: '3.10.0' }),
    });
    registry.push(pluginRepo('k8saudit'), rebuilt, ['0.18.0']);
    const events: ExtractEvent[] = [];
    const result = await runExtract(
      registry,
      area,
      manifestOf([{ name: 'k8saudit', version: '0.18.0', from: { artifact: `${HOST}/${pluginRepo('k8saudit')}:0.18.0` } }]),
      {
        onEvent: (e) => events.push(e),
      },
    );
    expect(result.lock.plugins[0]!.platforms.map((p) => p.pluginApiVersionSource)).toEqual(['elf-constant', 'elf-constant']);
    expect(events.flatMap((e) => (e.type === 'warning' ? [e.code] : []))).toEqual(['EXTRACT_NO_API_REQUIREMENT', 'EXTRACT_NO_API_REQUIREMENT']);
  });
});

import { buildRealPlugins, REAL_PLATFORMS, type RealPluginSet } from '@falco-airgap/fixtures';
import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseElf } from './elf.ts';
import { checkPluginFile, constantReturnedString, onlyApiVersionLiteral, pluginSdkGoDefault } from './plugin-check.ts';

// The static reading on libraries built by the real SDKs (cached by the testbed's `plugins` service; built here otherwise).
let set: RealPluginSet;
beforeAll(async () => {
  set = await buildRealPlugins();
}, 3_600_000);

const plugin = (name: string) => set.plugins.find((p) => p.name === name)!;

describe.each(REAL_PLATFORMS)('static API version reading on real plugins (%s)', (platform) => {
  it('follows plugin-sdk-go through the cgo trampoline to the SDK default, and passes the ELF checks', async () => {
    const k8saudit = plugin('k8saudit');
    const bytes = await readFile(k8saudit.files[platform]);
    const elf = parseElf(bytes, 'k8saudit');
    // The exported entry is cgo's trampoline, not a function returning a literal.
    expect(constantReturnedString(elf, 'plugin_get_required_api_version')).toBeUndefined();
    expect(pluginSdkGoDefault(elf)).toBe(k8saudit.apiVersion);
    expect(checkPluginFile(bytes, platform, 'k8saudit')).toEqual({
      elfMachine: platform === 'linux/amd64' ? 'x86-64' : 'aarch64',
      apiVersion: { version: k8saudit.apiVersion, source: 'elf-sdk-default' },
    });
  });

  it('finds the one API version literal a plugin-sdk-cpp-style plugin copies into its string storage', async () => {
    const cppstyle = plugin('cppstyle');
    const bytes = await readFile(cppstyle.files[platform]);
    const elf = parseElf(bytes, 'cppstyle');
    expect(constantReturnedString(elf, 'plugin_get_required_api_version')).toBeUndefined();
    expect(pluginSdkGoDefault(elf)).toBeUndefined();
    expect(onlyApiVersionLiteral(elf, 'plugin_get_required_api_version')).toBe(cppstyle.apiVersion);
    expect(checkPluginFile(bytes, platform, 'cppstyle').apiVersion).toEqual({ version: cppstyle.apiVersion, source: 'elf-literal' });
  });

  it('does not mistake the Go plugin for anything but what it is once its SDK helper is renamed', async () => {
    const bytes = Buffer.from(await readFile(plugin('k8saudit').files[platform]));
    // Rename the helper in the dynamic string table: the SDK fingerprint is gone, and no guess takes its place.
    const at = bytes.indexOf('get_default_required_api_version\0');
    expect(at).toBeGreaterThan(0);
    bytes.write('x', at, 'latin1');
    expect(pluginSdkGoDefault(parseElf(bytes, 'renamed'))).toBeUndefined();
    expect(checkPluginFile(bytes, platform, 'renamed').apiVersion).toBeUndefined();
  });
});

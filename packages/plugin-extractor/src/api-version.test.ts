import { describe, expect, it } from 'vitest';
import { establishApiVersion, falcoPluginApiVersion, type ApiVersionEvidence } from './api-version.ts';

const evidence = (over: Partial<ApiVersionEvidence>): ApiVersionEvidence => ({
  what: 'libx.so',
  configRequirement: undefined,
  library: undefined,
  manifestStatement: undefined,
  falcoVersion: '0.44.1',
  ...over,
});
const codes = (e: ApiVersionEvidence) => establishApiVersion(e).warnings.map((w) => w.code);

describe('establishing the plugin API version', () => {
  it('prefers the artifact config, checked against an exact library reading and an SDK upper bound', () => {
    expect(establishApiVersion(evidence({ configRequirement: '3.10.0', library: { version: '3.10.0', source: 'elf-constant' } }))).toEqual({
      version: '3.10.0',
      source: 'artifact-config',
      warnings: [],
    });
    expect(establishApiVersion(evidence({ configRequirement: '3.0.0', library: { version: '3.11.0', source: 'elf-sdk-default' } })).source).toBe(
      'artifact-config',
    );
    expect(() => establishApiVersion(evidence({ configRequirement: '3.9.0', library: { version: '3.10.0', source: 'elf-literal' } }))).toThrow(
      expect.objectContaining({ code: 'EXTRACT_PLUGIN_API_VERSION', category: 'verification' }),
    );
    // A plugin-sdk-go plugin cannot require more than its SDK's default.
    expect(() => establishApiVersion(evidence({ configRequirement: '3.12.0', library: { version: '3.11.0', source: 'elf-sdk-default' } }))).toThrow(
      /requires at most plugin API 3.11.0, but its config says 3.12.0/,
    );
  });

  it('falls back from the library to the manifest to the Falco version, saying so', () => {
    expect(establishApiVersion(evidence({ library: { version: '3.11.0', source: 'elf-sdk-default' } }))).toMatchObject({
      version: '3.11.0',
      source: 'elf-sdk-default',
    });
    expect(establishApiVersion(evidence({ manifestStatement: '3.6.0' }))).toEqual({ version: '3.6.0', source: 'manifest', warnings: [] });
    expect(establishApiVersion(evidence({}))).toMatchObject({ version: '3.12.0', source: 'falco-version' });
    expect(codes(evidence({}))).toEqual(['EXTRACT_API_VERSION_ASSUMED']);
  });

  it('warns when an artifact config states no requirement, whatever fills the gap', () => {
    expect(codes(evidence({ configRequirement: null, library: { version: '3.0.0', source: 'elf-sdk-default' } }))).toEqual(['EXTRACT_NO_API_REQUIREMENT']);
    expect(codes(evidence({ configRequirement: null }))).toEqual(['EXTRACT_NO_API_REQUIREMENT', 'EXTRACT_API_VERSION_ASSUMED']);
  });

  it('refuses a manifest statement the file or the config contradicts, and accepts one within the SDK bound', () => {
    expect(() => establishApiVersion(evidence({ manifestStatement: '3.5.0', library: { version: '3.12.0', source: 'elf-literal' } }))).toThrow(
      expect.objectContaining({ code: 'EXTRACT_PLUGIN_API_VERSION', hint: 'fix requiredApiVersion on the plugin entry, or remove it' }),
    );
    expect(() => establishApiVersion(evidence({ manifestStatement: '3.5.0', configRequirement: '3.6.0' }))).toThrow(/the artifact config says 3.6.0/);
    expect(establishApiVersion(evidence({ manifestStatement: '3.5.0', library: { version: '3.11.0', source: 'elf-sdk-default' } })).source).toBe(
      'elf-sdk-default',
    );
  });

  it('refuses a major version Falco does not load, and a Falco version it cannot map without a statement', () => {
    expect(() => establishApiVersion(evidence({ configRequirement: '4.0.0' }))).toThrow(/Falco loads plugin API 3.x/);
    expect(() => establishApiVersion(evidence({ manifestStatement: '2.0.0' }))).toThrow(/Falco loads plugin API 3.x/);
    expect(() => establishApiVersion(evidence({ falcoVersion: '0.30.0' }))).toThrow(
      expect.objectContaining({ hint: 'state requiredApiVersion on the plugin entry in the manifest' }),
    );
  });

  it('knows the plugin API of the Falco release lines we ship', () => {
    expect(falcoPluginApiVersion('0.44.1')).toBe('3.12.0');
    expect(falcoPluginApiVersion('0.41.3')).toBe('3.11.0');
    expect(falcoPluginApiVersion('0.45.0')).toBeUndefined();
  });
});

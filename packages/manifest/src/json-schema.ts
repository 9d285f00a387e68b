import { SUPPORTED_PLATFORMS } from '@falco-airgap/core';
import { LOCK_KIND, MANIFEST_API_VERSION, MANIFEST_KIND } from './types.ts';

// Editor support only: the parser is the authority and reports positions and codes the schema cannot.
const semver = { type: 'string', pattern: '^(0|[1-9]\\d*)\\.(0|[1-9]\\d*)\\.(0|[1-9]\\d*)(?:-[0-9A-Za-z.-]+)?(?:\\+[0-9A-Za-z.-]+)?$' };
const name = { type: 'string', pattern: '^[a-z0-9]+(?:[-_][a-z0-9]+)*$' };
const reference = {
  type: 'string',
  description: 'OCI reference with a tag or a digest, e.g. ghcr.io/falcosecurity/plugins/plugin/k8saudit:0.18.0',
  pattern: '^[^\\s@]+(?::[\\w][\\w.-]{0,127}|@sha(?:256|512):[a-f0-9]+)|^[^\\s@]+:[\\w][\\w.-]{0,127}@sha(?:256|512):[a-f0-9]+$',
};
const source = {
  oneOf: [
    { type: 'object', additionalProperties: false, required: ['artifact'], properties: { artifact: reference } },
    {
      type: 'object',
      additionalProperties: false,
      required: ['image', 'path'],
      properties: { image: reference, path: { type: 'string', pattern: '^/' } },
    },
  ],
};
const entry = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'version', 'from'],
  properties: { name, version: semver, from: source },
};

export const pluginsManifestJsonSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://falco-airgap.dev/schemas/plugins-manifest.schema.json',
  title: 'falco-airgap plugins manifest',
  type: 'object',
  additionalProperties: false,
  required: ['apiVersion', 'kind', 'falco', 'platforms'],
  properties: {
    apiVersion: { const: MANIFEST_API_VERSION },
    kind: { const: MANIFEST_KIND },
    falco: { type: 'object', additionalProperties: false, required: ['version'], properties: { version: semver } },
    platforms: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: [...SUPPORTED_PLATFORMS] } },
    plugins: { type: 'array', items: entry },
    rulesfiles: { type: 'array', items: entry },
  },
} as const;

const digest = { type: 'string', pattern: '^sha(256:[a-f0-9]{64}|512:[a-f0-9]{128})$' };
const sha256 = { type: 'string', pattern: '^[a-f0-9]{64}$' };
const relativePath = { type: 'string', pattern: '^(?!/)(?!.*(^|/)\\.\\.?(/|$)).+$' };

export const pluginsLockJsonSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://falco-airgap.dev/schemas/plugins-lock.schema.json',
  title: 'falco-airgap plugins lock',
  type: 'object',
  additionalProperties: false,
  required: ['apiVersion', 'kind', 'generatedAt', 'falco', 'manifestSha256', 'plugins', 'rulesfiles'],
  properties: {
    apiVersion: { const: MANIFEST_API_VERSION },
    kind: { const: LOCK_KIND },
    generatedAt: { type: 'string' },
    falco: { type: 'object', additionalProperties: false, required: ['version'], properties: { version: semver } },
    manifestSha256: sha256,
    plugins: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'version', 'source', 'resolvedDigest', 'platforms'],
        properties: {
          name,
          version: semver,
          source,
          resolvedDigest: digest,
          platforms: {
            type: 'array',
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['platform', 'manifestDigest', 'layerDigest', 'file', 'sha256', 'size', 'elfMachine', 'pluginApiVersion', 'path'],
              properties: {
                platform: { enum: [...SUPPORTED_PLATFORMS] },
                manifestDigest: digest,
                layerDigest: digest,
                file: { type: 'string' },
                sha256,
                size: { type: 'integer', minimum: 0 },
                elfMachine: { type: 'string' },
                pluginApiVersion: semver,
                path: relativePath,
              },
            },
          },
        },
      },
    },
    rulesfiles: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'version', 'source', 'resolvedDigest', 'manifestDigest', 'layerDigest', 'files'],
        properties: {
          name,
          version: semver,
          source,
          resolvedDigest: digest,
          manifestDigest: digest,
          layerDigest: digest,
          files: {
            type: 'array',
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['file', 'sha256', 'size', 'path'],
              properties: { file: { type: 'string' }, sha256, size: { type: 'integer', minimum: 0 }, path: relativePath },
            },
          },
        },
      },
    },
  },
} as const;

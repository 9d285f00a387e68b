import { SUPPORTED_PLATFORMS } from '@falco-airgap/core';
import { LOCK_KIND, MANIFEST_API_VERSION, MANIFEST_KIND, PLUGIN_API_VERSION_SOURCES, SIGNATURE_FOUND_VIA } from './types.ts';

// The manifest schema is what parseManifest validates with; the code adds only what a schema cannot say.

// Plugin and rulesfile names as falcoctl's registries use them: lowercase, digits, dashes.
export const NAME_PATTERN = '^[a-z0-9]+(?:[-_][a-z0-9]+)*$';

// Semantic Versioning 2.0.0 without a leading "v"; numeric identifiers have no leading zeros.
const NUMBER = '(?:0|[1-9][0-9]*)';
const PRERELEASE_IDENTIFIER = '(?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)';
const BUILD_IDENTIFIER = '[0-9A-Za-z-]+';
export const SEMVER_PATTERN =
  `^${NUMBER}\\.${NUMBER}\\.${NUMBER}` +
  `(?:-${PRERELEASE_IDENTIFIER}(?:\\.${PRERELEASE_IDENTIFIER})*)?` +
  `(?:\\+${BUILD_IDENTIFIER}(?:\\.${BUILD_IDENTIFIER})*)?$`;

// OCI references as container tools read them: the first component is a registry host when it has a dot,
// a port or is localhost; repository components are lowercase; a tag, a digest or both must pin it.
const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const COMPONENT_WITHOUT_DOT = '[a-z0-9]+(?:(?:_|__|-+)[a-z0-9]+)*';
const HOST_LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?';
const HOST = `(?:\\[[0-9A-Fa-f:]+\\]|${HOST_LABEL}(?:\\.${HOST_LABEL})*)(?::[0-9]{1,5})?`;
const TAG = '[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}';
const DIGEST = '(?:sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})';
const REPOSITORY = `(?:(?=[^/]*[.:]|localhost/)${HOST}(?:/${COMPONENT})+` + `|(?!localhost/)${COMPONENT_WITHOUT_DOT}(?:/${COMPONENT})+` + `|${COMPONENT})`;
export const REFERENCE_PATTERN = `^${REPOSITORY}(?::${TAG}(?:@${DIGEST})?|@${DIGEST})$`;

// Paths already normalised: no "..", "." or empty segments; image paths are absolute, lock paths relative.
const NOT_DOTS = '(?!\\.\\.?(?:/|$))';
export const IMAGE_PATH_PATTERN = `^(?:/${NOT_DOTS}[^/\\u0000]+)+$`;
const RELATIVE_PATH_PATTERN = `^${NOT_DOTS}[^/]+(?:/${NOT_DOTS}[^/]+)*$`;

const name = {
  type: 'string',
  pattern: NAME_PATTERN,
  description: 'Name as in the upstream registry: lowercase letters, digits, dashes and underscores.',
};
const semver = {
  type: 'string',
  pattern: SEMVER_PATTERN,
  description: 'Semantic version MAJOR.MINOR.PATCH[-prerelease][+build], without a leading "v", e.g. 0.18.0.',
};
const reference = {
  type: 'string',
  maxLength: 4096,
  pattern: REFERENCE_PATTERN,
  description: 'OCI reference pinned by a tag or a digest, e.g. ghcr.io/falcosecurity/plugins/plugin/k8saudit:0.18.0.',
};
const imagePath = {
  type: 'string',
  pattern: IMAGE_PATH_PATTERN,
  description: 'Absolute, normalised path of the file inside the image, e.g. /usr/share/falco/plugins/libcontainer.so.',
};
const platform = { type: 'string', enum: [...SUPPORTED_PLATFORMS] };
const source = {
  type: 'object',
  additionalProperties: false,
  properties: {
    artifact: { $ref: '#/$defs/reference', description: 'A falcoctl-style OCI artifact.' },
    image: { $ref: '#/$defs/reference', description: 'A container image holding the file named by "path".' },
    path: { $ref: '#/$defs/imagePath' },
  },
  oneOf: [
    { description: 'An OCI artifact.', required: ['artifact'], not: { anyOf: [{ required: ['image'] }, { required: ['path'] }] } },
    { description: 'A file inside a container image.', required: ['image', 'path'], not: { required: ['artifact'] } },
  ],
};
const entry = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'version', 'from'],
  properties: {
    name: { $ref: '#/$defs/name' },
    version: { $ref: '#/$defs/semver' },
    from: { $ref: '#/$defs/source', description: 'Where to take it from: "artifact", or "image" with "path".' },
  },
};
const pluginEntry = {
  ...entry,
  properties: {
    ...entry.properties,
    requiredApiVersion: {
      $ref: '#/$defs/semver',
      description:
        'The plugin API version the plugin requires (3.x.y), used when neither the plugin file nor its artifact config states it, e.g. for a file inside an image.',
    },
  },
};
// Exact copies are refused here; entries that share only a name are refused by parseManifest.
const entries = { type: 'array', uniqueItems: true, items: { $ref: '#/$defs/entry' } };

export const pluginsManifestJsonSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://falco-airgap.dev/schemas/plugins-manifest.schema.json',
  title: 'falco-airgap plugins manifest',
  description: 'What falco-airgap mirrors into the air gap: Falco plugins and rulesfiles, for which platforms. Names must be unique within each list.',
  type: 'object',
  additionalProperties: false,
  required: ['apiVersion', 'kind', 'falco', 'platforms'],
  anyOf: [{ required: ['plugins'] }, { required: ['rulesfiles'] }],
  properties: {
    apiVersion: { type: 'string', const: MANIFEST_API_VERSION },
    kind: { type: 'string', const: MANIFEST_KIND },
    falco: {
      type: 'object',
      additionalProperties: false,
      required: ['version'],
      properties: { version: { $ref: '#/$defs/semver', description: 'The Falco version the images are built for.' } },
    },
    platforms: { type: 'array', minItems: 1, uniqueItems: true, items: { $ref: '#/$defs/platform' } },
    plugins: { ...entries, items: { $ref: '#/$defs/pluginEntry' }, description: 'Plugins to mirror; one entry per name.' },
    rulesfiles: { ...entries, description: 'Rulesfiles to mirror; one entry per name.' },
  },
  $defs: { name, semver, reference, imagePath, platform, source, entry, pluginEntry },
} as const;

const digest = { type: 'string', pattern: `^${DIGEST}$` };
const sha256 = { type: 'string', pattern: '^[a-f0-9]{64}$' };
const relativePath = {
  type: 'string',
  pattern: RELATIVE_PATH_PATTERN,
  description: 'Path relative to plugins/extracted, without "..", "." or empty segments.',
};
const size = { type: 'integer', minimum: 0 };
const dependencies = {
  type: 'array',
  description: 'Dependencies the artifact config declares, each with the plugin of this lock that satisfies it.',
  items: {
    type: 'object',
    additionalProperties: false,
    required: ['name', 'version', 'satisfiedBy'],
    properties: {
      name: { $ref: '#/$defs/name' },
      version: { $ref: '#/$defs/semver' },
      satisfiedBy: { $ref: '#/$defs/name', description: 'The plugin named, or one of the alternatives the config lists.' },
    },
  },
};

const signature = {
  type: 'object',
  description: 'The cosign signature extract verified over resolvedDigest; absent when no run verified one.',
  additionalProperties: false,
  required: ['keyFingerprint', 'foundVia', 'signatureDigest'],
  properties: {
    keyFingerprint: { $ref: '#/$defs/digest', description: 'sha256 of the DER public key that verified the signature.' },
    foundVia: { type: 'string', enum: [...SIGNATURE_FOUND_VIA], description: "cosign's sha256-<hex>.sig tag, or an OCI 1.1 referrer." },
    signatureDigest: { $ref: '#/$defs/digest', description: 'Digest of the signature manifest.' },
  },
};

export const pluginsLockJsonSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://falco-airgap.dev/schemas/plugins-lock.schema.json',
  title: 'falco-airgap plugins lock',
  description: 'What falco-airgap extract resolved: digests, sha256 and sizes. Written by extract; do not edit.',
  type: 'object',
  additionalProperties: false,
  required: ['apiVersion', 'kind', 'generatedAt', 'falco', 'manifestSha256', 'plugins', 'rulesfiles'],
  properties: {
    apiVersion: { type: 'string', const: MANIFEST_API_VERSION },
    kind: { type: 'string', const: LOCK_KIND },
    generatedAt: { type: 'string' },
    falco: { type: 'object', additionalProperties: false, required: ['version'], properties: { version: { $ref: '#/$defs/semver' } } },
    manifestSha256: { $ref: '#/$defs/sha256' },
    plugins: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'version', 'source', 'resolvedDigest', 'platforms'],
        properties: {
          name: { $ref: '#/$defs/name' },
          version: { $ref: '#/$defs/semver' },
          source: { $ref: '#/$defs/source' },
          resolvedDigest: { $ref: '#/$defs/digest' },
          platforms: {
            type: 'array',
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['platform', 'manifestDigest', 'layerDigest', 'file', 'sha256', 'size', 'elfMachine', 'pluginApiVersion', 'path'],
              properties: {
                platform: { $ref: '#/$defs/platform' },
                manifestDigest: { $ref: '#/$defs/digest' },
                layerDigest: { $ref: '#/$defs/digest' },
                file: { type: 'string' },
                sha256: { $ref: '#/$defs/sha256' },
                size,
                elfMachine: { type: 'string' },
                pluginApiVersion: { $ref: '#/$defs/semver' },
                pluginApiVersionSource: {
                  type: 'string',
                  enum: [...PLUGIN_API_VERSION_SOURCES],
                  description:
                    'How pluginApiVersion was established: read from the library, the artifact config, the manifest, or assumed from the Falco version.',
                },
                path: { $ref: '#/$defs/relativePath' },
              },
            },
          },
          dependencies,
          signature,
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
          name: { $ref: '#/$defs/name' },
          version: { $ref: '#/$defs/semver' },
          source: { $ref: '#/$defs/source' },
          resolvedDigest: { $ref: '#/$defs/digest' },
          manifestDigest: { $ref: '#/$defs/digest' },
          layerDigest: { $ref: '#/$defs/digest' },
          files: {
            type: 'array',
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['file', 'sha256', 'size', 'path'],
              properties: { file: { type: 'string' }, sha256: { $ref: '#/$defs/sha256' }, size, path: { $ref: '#/$defs/relativePath' } },
            },
          },
          dependencies,
          signature,
        },
      },
    },
  },
  $defs: { name, semver, reference, imagePath, platform, source, digest, sha256, relativePath },
} as const;

import { NAME_PATTERN, SEMVER_PATTERN } from './json-schema.ts';

export const VERSIONS_API_VERSION = 'falco-airgap/v1alpha1';
export const VERSIONS_KIND = 'FalcoVersions';

/** The lifecycle of a Falco version: preview (not yet for production), supported, deprecated (with an expiration date). */
export const FALCO_CLASSIFICATIONS = ['preview', 'supported', 'deprecated'] as const;
export type FalcoClassification = (typeof FALCO_CLASSIFICATIONS)[number];

/** The official rulesfile artifacts a catalogue entry can name a version of. */
export const OFFICIAL_RULESFILES = ['falco-rules', 'falco-incubating-rules', 'falco-sandbox-rules'] as const;
export type OfficialRulesfile = (typeof OFFICIAL_RULESFILES)[number];

// A calendar day, YYYY-MM-DD; the version expires at 00:00 UTC of that day.
export const DATE_PATTERN = '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$';

const semver = { type: 'string', pattern: SEMVER_PATTERN };
const date = { type: 'string', pattern: DATE_PATTERN, description: 'A calendar day, YYYY-MM-DD.' };

const entry = {
  type: 'object',
  additionalProperties: false,
  required: ['version', 'classification', 'libsVersion', 'pluginApiVersion', 'engineVersion', 'rules'],
  properties: {
    version: { ...semver, description: 'The Falco version, e.g. 0.44.1.' },
    classification: { type: 'string', enum: [...FALCO_CLASSIFICATIONS], description: 'preview, supported or deprecated.' },
    expirationDate: {
      ...date,
      description: 'Deprecated versions only: from 00:00 UTC of this day the version is expired, and environments on it are refused or moved forward.',
    },
    releaseDate: { ...date, description: 'When upstream released it.' },
    libsVersion: { ...semver, description: 'The falcosecurity/libs release it is built with.' },
    pluginApiVersion: {
      ...semver,
      description: 'The plugin API version of its libs (plugin_api.h): a plugin loads when it requires the same major and no later minor.patch.',
    },
    engineVersion: { ...semver, description: 'The rules engine version it reports (falco_engine_version.h).' },
    rules: {
      type: 'object',
      additionalProperties: false,
      required: ['falco-rules'],
      description: 'The version of each official rulesfile artifact to deploy with it: falco-rules is the one it ships.',
      properties: Object.fromEntries(OFFICIAL_RULESFILES.map((name) => [name, semver])),
    },
    plugins: {
      type: 'object',
      description: 'The plugins it ships, by name, with their versions (e.g. container).',
      propertyNames: { pattern: NAME_PATTERN },
      additionalProperties: semver,
    },
    falcosidekick: { ...semver, description: 'The Falcosidekick release deployed with it.' },
  },
};

/** JSON Schema of versions.yaml, the Falco versions catalogue; versions must also be unique, which parseVersionsCatalogue checks. */
export const falcoVersionsJsonSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://falco-airgap.dev/schemas/falco-versions.schema.json',
  title: 'falco-airgap Falco versions catalogue',
  description: 'The Falco versions falco-airgap deploys, each with its lifecycle and what it ships: libs, plugin API, rules and plugin versions.',
  type: 'object',
  additionalProperties: false,
  required: ['apiVersion', 'kind', 'versions'],
  properties: {
    apiVersion: { type: 'string', const: VERSIONS_API_VERSION },
    kind: { type: 'string', const: VERSIONS_KIND },
    versions: { type: 'array', minItems: 1, items: { $ref: '#/$defs/entry' } },
  },
  $defs: { entry },
} as const;

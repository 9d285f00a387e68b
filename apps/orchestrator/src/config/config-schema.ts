/** The file `--config` reads (default: falco-airgap.config.yaml in the working directory). */
export const DEFAULT_CONFIG_FILE = 'falco-airgap.config.yaml';
export const CONFIG_API_VERSION = 'falco-airgap/v1';
export const CONFIG_KIND = 'Config';

/** `${NAME}` in a value: only fields that would otherwise hold a secret may use it. */
export const VARIABLE_REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/;
/** Fields (as paths below one environment) whose value may be a `${NAME}` reference. */
export const SECRET_FIELDS: readonly string[] = ['registry.password', 'store.secretAccessKey'];

export const AWS_REGION_PATTERN = '^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]$';
const nonEmpty = { type: 'string', minLength: 1 } as const;
/** A Falco version (semver, no leading v) or auto. */
export const FALCO_VERSION_PATTERN = '^(auto|(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?)$';

/** JSON Schema of falco-airgap.config.yaml, for editors and for the checks at start. */
export const configJsonSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://falco-airgap.dev/schema/config.schema.json',
  title: 'falco-airgap configuration: the environments a pipeline delivers to',
  type: 'object',
  additionalProperties: false,
  required: ['apiVersion', 'kind', 'environments'],
  properties: {
    apiVersion: { const: CONFIG_API_VERSION },
    kind: { const: CONFIG_KIND },
    versionsFile: {
      type: 'string',
      minLength: 1,
      description: 'The Falco versions catalogue every environment is checked against, relative to this file (default: the one shipped with falco-airgap).',
    },
    environments: {
      type: 'object',
      minProperties: 1,
      propertyNames: { pattern: '^[a-z][a-z0-9-]{0,62}$' },
      additionalProperties: { $ref: '#/$defs/environment' },
    },
  },
  $defs: {
    region: { type: 'string', pattern: AWS_REGION_PATTERN },
    environment: {
      type: 'object',
      additionalProperties: false,
      required: ['registry', 'cluster'],
      properties: {
        description: { type: 'string' },
        registry: { $ref: '#/$defs/registry' },
        cluster: { $ref: '#/$defs/cluster' },
        strategy: { enum: ['sidecar', 's3'] },
        store: { $ref: '#/$defs/store' },
        namespace: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$' },
        release: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]{0,51}[a-z0-9])?$' },
        values: { type: 'array', items: nonEmpty },
        falco: { $ref: '#/$defs/falco' },
        rules: { $ref: '#/$defs/rules' },
        timeout: { type: 'string', pattern: '^[0-9]+(ms|s|m|h)$' },
      },
      // Strategy s3 reads the plugins from a bucket, so the environment must name one.
      if: { type: 'object', properties: { strategy: { const: 's3' } }, required: ['strategy'] },
      then: { type: 'object', required: ['store'], properties: { store: { type: 'object', required: ['bucket'] } } },
    },
    registry: {
      type: 'object',
      additionalProperties: false,
      minProperties: 1,
      properties: {
        host: { type: 'string', pattern: '^[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[a-z0-9._/-]+)?$' },
        ecr: {
          type: 'object',
          additionalProperties: false,
          required: ['account', 'region'],
          properties: {
            account: { type: 'string', pattern: '^[0-9]{12}$' },
            region: { $ref: '#/$defs/region' },
            kmsKey: nonEmpty,
          },
        },
        plainHttp: { type: 'boolean' },
        caFile: nonEmpty,
        username: { ...nonEmpty, description: 'User for host, asked before the docker config; needs password. Not with ecr, which logs in with tokens.' },
        password: { ...nonEmpty, description: 'Password of username: the value, or ${NAME} to read it from that variable when it is used.' },
      },
      // A user without a password (or the reverse) would silently fall back to the docker config.
      dependentRequired: { username: ['password'], password: ['username'] },
    },
    cluster: {
      type: 'object',
      additionalProperties: false,
      minProperties: 1,
      properties: {
        kubeContext: nonEmpty,
        kubeconfig: nonEmpty,
        eks: {
          type: 'object',
          additionalProperties: false,
          required: ['name', 'region'],
          properties: { name: nonEmpty, region: { $ref: '#/$defs/region' } },
        },
      },
    },
    falco: {
      type: 'object',
      additionalProperties: false,
      description: 'The Falco version of the environment, checked against the versions catalogue.',
      properties: {
        version: {
          type: 'string',
          pattern: FALCO_VERSION_PATTERN,
          description: 'A version of the catalogue, or auto: the latest supported one (default: the manifest falco.version).',
        },
        autoUpdate: { type: 'boolean', description: 'Move to the latest supported version whenever one is newer; an expired version is refused without it.' },
      },
    },
    rules: {
      type: 'object',
      additionalProperties: false,
      description: 'The official rule sets to load, in this order, then our overrides; custom rules (chart values) come last.',
      properties: {
        falco: { type: 'boolean', description: 'falco-rules, the stable set Falco ships (default true).' },
        incubating: { type: 'boolean', description: 'falco-incubating-rules (default false).' },
        sandbox: { type: 'boolean', description: 'falco-sandbox-rules (default false).' },
        overrides: { type: 'boolean', description: "falco-airgap's exceptions for known false positives, appended to falco-rules (default false)." },
      },
    },
    store: {
      type: 'object',
      additionalProperties: false,
      properties: {
        bucket: { type: 'string', pattern: '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$' },
        prefix: { type: 'string' },
        channel: { type: 'string', pattern: '^[a-z0-9][a-z0-9._-]{0,62}$' },
        region: { $ref: '#/$defs/region' },
        endpoint: { type: 'string', pattern: '^https?://' },
        accessKeyId: { ...nonEmpty, description: 'Access key of the bucket, used instead of AWS_ACCESS_KEY_ID and the SDK chain; needs secretAccessKey.' },
        secretAccessKey: { ...nonEmpty, description: 'Secret of accessKeyId: the value, or ${NAME} to read it from that variable when it is used.' },
      },
      dependentRequired: { accessKeyId: ['secretAccessKey'], secretAccessKey: ['accessKeyId'] },
    },
  },
} as const;

/** One environment as the file writes it. */
export interface EnvironmentConfig {
  description?: string;
  registry: {
    host?: string;
    ecr?: { account: string; region: string; kmsKey?: string };
    plainHttp?: boolean;
    caFile?: string;
    username?: string;
    password?: string;
  };
  cluster: { kubeContext?: string; kubeconfig?: string; eks?: { name: string; region: string } };
  strategy?: 'sidecar' | 's3';
  store?: { bucket?: string; prefix?: string; channel?: string; region?: string; endpoint?: string; accessKeyId?: string; secretAccessKey?: string };
  namespace?: string;
  release?: string;
  values?: string[];
  falco?: { version?: string; autoUpdate?: boolean };
  rules?: { falco?: boolean; incubating?: boolean; sandbox?: boolean; overrides?: boolean };
  timeout?: string;
}

export interface ConfigDocument {
  apiVersion: typeof CONFIG_API_VERSION;
  kind: typeof CONFIG_KIND;
  versionsFile?: string;
  environments: Record<string, EnvironmentConfig>;
}

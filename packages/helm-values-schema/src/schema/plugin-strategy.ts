import { image } from './image.ts';
import { boolean, integer, list, object, oneOfValues, passThrough, string, type SchemaNode } from './nodes.ts';

export const PLUGIN_STRATEGIES = ['sidecar', 's3', 'none'] as const;
export type PluginStrategyName = (typeof PLUGIN_STRATEGIES)[number];

export const pluginStrategy = oneOfValues(
  'How plugins reach Falco: sidecar (an init container of the plugin-loader image fills the plugin directory), s3 (the falco-s3-loader image fetches a release from S3 at start), none (only what the Falco image holds).',
  PLUGIN_STRATEGIES,
  'sidecar',
);

export const pluginLoader: SchemaNode = object(
  'The plugin-loader init container (pluginStrategy sidecar): verifies every plugin against its sha256 and copies it into the plugin directory.',
  {
    image: image('The falco-plugin-loader image.', 'falco-plugin-loader'),
    resources: passThrough('Resources of the init container.', { requests: { cpu: '10m', memory: '32Mi' }, limits: { cpu: '500m', memory: '128Mi' } }),
    securityContext: passThrough('Security context of the init container; it needs no privilege.', {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    }),
  },
);

const dnsSubdomain = '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)?$';

export const s3: SchemaNode = object(
  'Plugins from S3 (pluginStrategy s3): the falco-s3-loader image fetches the release a channel points to, verifies it, installs it, then starts Falco.',
  {
    image: image('The falco-s3-loader image (the Falco image plus the loader); it replaces the Falco image under pluginStrategy s3.', 'falco-s3-loader'),
    bucket: string('Bucket holding the plugin store; required for pluginStrategy s3.', '', {
      pattern: '^([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])?$',
      hint: 'use the S3 bucket name alone (3-63 lower-case letters, digits, "." or "-"), without s3:// or a path; put the path in s3.prefix',
      example: 'acme-falco-plugins',
    }),
    prefix: string('Key prefix of the store inside the bucket, without leading or trailing "/".', 'falco-airgap', {
      pattern: "^([A-Za-z0-9!_.*'()-]+(/[A-Za-z0-9!_.*'()-]+)*)?$",
      hint: 'write the prefix without leading or trailing "/" and without spaces',
      example: 'falco-airgap/prod',
    }),
    channel: string('Channel this cluster follows (prod, staging, cluster-eu-1...); set channel or release, not both.', '', {
      pattern: '^([a-z0-9]([a-z0-9._-]*[a-z0-9])?)?$',
      hint: 'a channel name is lower-case letters, digits, ".", "_" or "-"',
      example: 'prod',
    }),
    release: string('Pin one immutable release id instead of following a channel.', '', {
      pattern: '^([A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?)?$',
      hint: 'use a release id as printed by falco-airgap releases list',
    }),
    region: string('AWS region of the bucket; empty lets the SDK decide (IRSA sets AWS_REGION).', '', {
      pattern: '^([a-z0-9]+(-[a-z0-9]+)*)?$',
      hint: 'write a region name such as eu-west-1',
      example: 'eu-west-1',
    }),
    endpoint: string('S3-compatible endpoint inside the air gap (MinIO, Ceph); empty means AWS S3.', '', {
      pattern: '^(https?://[^\\s/]+(/[^\\s]*)?)?$',
      hint: 'write an http:// or https:// URL of the S3 endpoint',
      example: 'https://minio.storage.svc:9000',
    }),
    forcePathStyle: boolean('Address the bucket in the path (most S3-compatible servers need it).', false),
    onUnavailable: oneOfValues(
      'When S3 cannot be reached: fail (Falco does not start) or use-cached (start with the last verified set in cacheHostPath).',
      ['fail', 'use-cached'] as const,
      'fail',
    ),
    cacheHostPath: string(
      'Node directory keeping the last verified plugin set across pod restarts; needed by use-cached.',
      '/var/lib/falco-airgap/plugin-cache',
      {
        pattern: '^(/[^\\s]*)?$',
        hint: 'write an absolute path on the node, or empty to keep no cache',
        example: '/var/lib/falco-airgap/plugin-cache',
      },
    ),
    timeoutSeconds: integer('Connect and inactivity timeout of each S3 request made by the loader, in seconds.', 30, { minimum: 1, maximum: 3600 }),
    retries: integer('Retries of each request.', 3, { minimum: 0, maximum: 20 }),
    irsaRoleArn: string(
      'IAM role for the ServiceAccount (EKS IRSA) with read access to the bucket prefix; becomes the eks.amazonaws.com/role-arn annotation.',
      '',
      {
        pattern: '^(arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+)?$',
        hint: 'write the full role ARN, arn:aws:iam::<12-digit account>:role/<name>',
        example: 'arn:aws:iam::123456789012:role/falco-plugins-reader',
      },
    ),
    existingSecret: string('Secret with AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY for S3-compatible servers without IRSA.', '', {
      pattern: dnsSubdomain,
      maxLength: 253,
      hint: 'name a Secret in the release namespace (lower-case DNS name)',
    }),
  },
);

/** Where the Falco container finds the rules files of the lock (sidecar and s3 install them there). */
export const LOCKED_RULES_DIR = '/etc/falco/locked-rules.d';

export const lockedRules: SchemaNode = object(
  `The rules files of plugins-lock.yaml, delivered with the plugins (pluginStrategy sidecar or s3) into ${LOCKED_RULES_DIR} and listed in falco.rules_files.`,
  {
    enabled: boolean('Deliver the rules files of the lock and load them.', true),
    files: list(
      `Their file names in load order (dependencies first, e.g. [falco_rules.yaml, falco-incubating_rules.yaml]: the rule sets an environment's rules select), each listed as ${LOCKED_RULES_DIR}/<name>, in place of the image's /etc/falco/falco_rules.yaml; every name must be in the lock or Falco stops. Empty lists the directory: Falco loads its YAML files in name order.`,
      {
        type: 'string',
        pattern: '^[A-Za-z0-9][A-Za-z0-9._+-]*\\.ya?ml$',
        'x-hint': 'name a rules file of the lock, e.g. falco_rules.yaml',
      },
      [],
      { uniqueItems: true },
    ),
  },
);

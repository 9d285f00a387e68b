import { DEFAULT_REGISTRY } from './image.ts';
import { boolean, integer, list, object, oneOfValues, passThrough, ref, string, stringMap, type SchemaNode } from './nodes.ts';

/** The Falcosidekick release the chart deploys; the versions catalogue pairs the same one with each Falco version. */
export const FALCOSIDEKICK_VERSION = '2.34.1';
/** Falcosidekick's default listen port (its ListenPort setting). */
export const FALCOSIDEKICK_PORT = 2801;

const dnsSubdomain = '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)?$';
const httpUrl = (description: string, example: string) =>
  string(description, '', {
    pattern: '^(https?://[^\\s,]+)?$',
    hint: 'write an http:// or https:// URL without spaces or commas',
    example,
  });

// Falcosidekick reads WEBHOOK_CUSTOMHEADERS as "name:value,name:value", so names and values cannot hold "," or ":".
const customHeaders: SchemaNode = {
  type: 'object',
  description:
    'Headers added to every request, e.g. {X-Api-Key: ...}; names are header tokens, values hold no "," or ":" (Falcosidekick reads them as name:value,name:value).',
  default: {},
  propertyNames: { pattern: "^[A-Za-z0-9!#$%&'*+.^_`|~-]+$", maxLength: 256 },
  additionalProperties: {
    type: 'string',
    pattern: '^[^,:\\r\\n]*$',
    'x-hint': 'a header value cannot contain "," or ":" (Falcosidekick splits WEBHOOK_CUSTOMHEADERS on them); base64 or a token works',
  },
  'x-hint': 'name each header with letters, digits and "-", e.g. X-Api-Key',
  'x-example': 'X-Api-Key',
};

export const falcosidekick: SchemaNode = object(
  "Falcosidekick: receives Falco's alerts over HTTP (the chart sets falco.json_output and falco.http_output for it) and posts each one to the event ingestor with the cluster's token, or to customWebhook instead. Its own ServiceAccount, without API token or role.",
  {
    enabled: boolean('Deploy Falcosidekick and send every alert to it.', false),
    image: ref(
      'image',
      `The Falcosidekick image, mirrored from docker.io/falcosecurity/falcosidekick; an empty tag means ${FALCOSIDEKICK_VERSION}, not falcoVersion.`,
      {
        registry: DEFAULT_REGISTRY,
        repository: 'falcosidekick',
        tag: FALCOSIDEKICK_VERSION,
        digest: '',
        pullPolicy: 'IfNotPresent',
      },
    ),
    replicas: integer("Replicas behind the Service; Falco's alerts go to any one of them.", 2, { minimum: 1, maximum: 20 }),
    minimumPriority: oneOfValues(
      'Lowest priority forwarded; empty forwards every alert.',
      ['', 'emergency', 'alert', 'critical', 'error', 'warning', 'notice', 'informational', 'debug'] as const,
      '',
    ),
    ingestor: object('The central event ingestor: every alert is posted to url with "Authorization: Bearer <cluster token>", the token read from a Secret.', {
      url: httpUrl('Where alerts are posted; needed unless customWebhook.address is set.', 'https://events.example.internal/api/v1/events'),
      tokenSecret: object("An existing Secret holding this cluster's token (the deployer writes one per environment).", {
        name: string('Its name; empty when token is set instead.', '', {
          pattern: dnsSubdomain,
          maxLength: 253,
          hint: 'name a Secret in the release namespace (lower-case DNS name)',
          example: 'falco-airgap-cluster-token',
        }),
        key: string('The key holding the token.', 'token', {
          pattern: '^[-._a-zA-Z0-9]+$',
          maxLength: 253,
          hint: 'a Secret key is letters, digits, "-", "_" or "."',
        }),
      }),
      token: string(
        'The token itself; the chart puts it into the Secret <fullname>-falcosidekick-token. Prefer tokenSecret: values are kept in the helm release.',
        '',
        {
          pattern: '^[A-Za-z0-9._~+/=-]*$',
          hint: 'a bearer token is letters, digits and -._~+/= (no spaces or newlines)',
        },
      ),
      checkCert: boolean("Verify the ingestor's TLS certificate.", true),
    }),
    customWebhook: object('Send the alerts to another webhook instead: when address is set, nothing goes to the ingestor.', {
      address: httpUrl('URL alerts are posted to.', 'https://siem.example.internal/falco'),
      customHeaders,
      checkCerts: boolean("Verify the webhook's TLS certificate.", true),
    }),
    service: object('The Service Falco posts to, <fullname>-falcosidekick.', {
      type: oneOfValues('Service type; alerts come from inside the cluster only.', ['ClusterIP'] as const, 'ClusterIP'),
      port: integer('Port of the Service, and the one Falcosidekick listens on (its ListenPort).', FALCOSIDEKICK_PORT, { minimum: 1024, maximum: 65535 }),
      annotations: stringMap('Service annotations.'),
    }),
    serviceAccount: object('Its own ServiceAccount: no API token is mounted and no role is bound (the ingestor and webhook outputs need none).', {
      name: string('Name; empty means <fullname>-falcosidekick.', '', {
        pattern: '^([a-z0-9]([-a-z0-9]*[a-z0-9])?)?$',
        maxLength: 63,
        hint: 'use a lower-case DNS label',
      }),
      annotations: stringMap('Annotations.'),
    }),
    extraEnv: list(
      "More Falcosidekick settings as environment variables (its config names, e.g. CUSTOMFIELDS, or another output's); an entry replaces a variable the chart sets.",
      passThrough('An EnvVar.', undefined),
    ),
    resources: passThrough('Resources of the container.', { requests: { cpu: '20m', memory: '32Mi' }, limits: { cpu: '500m', memory: '128Mi' } }),
    podSecurityContext: passThrough('Pod securityContext: a non-root user (the image runs as 1234) and the runtime default seccomp profile.', {
      runAsNonRoot: true,
      runAsUser: 1234,
      runAsGroup: 1234,
      seccompProfile: { type: 'RuntimeDefault' },
    }),
    securityContext: passThrough('Container securityContext: no privilege escalation, a read-only root file system, no capabilities.', {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    }),
    podAnnotations: stringMap('Extra pod annotations.'),
    podLabels: stringMap('Extra pod labels.'),
    nodeSelector: stringMap('Node selector.'),
    tolerations: list('Tolerations.', passThrough('A Toleration.', undefined)),
    affinity: passThrough('Affinity.'),
  },
);

import { boolean, integer, list, nullable, object, oneOfValues, passThrough, string, stringMap, type SchemaNode } from './nodes.ts';

export const DNS_LABEL_OR_EMPTY = '^([a-z0-9]([-a-z0-9]*[a-z0-9])?)?$';
const dnsSubdomain = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';

export const CONTROLLER_KINDS = ['daemonset', 'deployment'] as const;

export const controller: SchemaNode = object(
  'What runs Falco: a DaemonSet (one per node, system calls) or a Deployment (plugin-only sources such as the k8saudit webhook).',
  {
    kind: oneOfValues('daemonset or deployment.', CONTROLLER_KINDS, 'daemonset'),
    annotations: stringMap('Annotations of the DaemonSet or Deployment.'),
    labels: stringMap('Extra labels of the DaemonSet or Deployment.'),
    daemonset: object('DaemonSet settings.', {
      updateStrategy: passThrough('DaemonSet updateStrategy.', { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } }),
    }),
    deployment: object('Deployment settings.', {
      replicas: integer('Replicas; more than one means each event source must tolerate duplicates.', 1, { minimum: 0 }),
      revisionHistoryLimit: integer('Old ReplicaSets kept for rollback.', 10, { minimum: 0 }),
    }),
  },
);

const servicePort = object('A port of the Service; the Falco container exposes it too.', {
  name: {
    type: 'string',
    description: 'Port name, up to 15 characters (defaults to protocol-port, e.g. tcp-9765).',
    pattern: '^([a-z0-9]([-a-z0-9]*[a-z0-9])?)?$',
    maxLength: 15,
  },
  port: { type: 'integer', description: 'Port number.', minimum: 1, maximum: 65535 },
  targetPort: { type: 'integer', description: 'Container port (defaults to port).', minimum: 1, maximum: 65535 },
  nodePort: { type: 'integer', description: 'Node port for type NodePort.', minimum: 30000, maximum: 32767 },
  protocol: { type: 'string', description: 'TCP, UDP or SCTP.', enum: ['TCP', 'UDP', 'SCTP'] },
});
servicePort.required = ['port'];

const extraService = object('A Service in front of Falco, such as the k8saudit webhook of a Deployment.', {
  name: {
    type: 'string',
    description: 'Suffix of the Service name.',
    pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$',
    maxLength: 40,
    'x-hint': 'use a lower-case DNS label, e.g. k8saudit-webhook',
  },
  type: { type: 'string', description: 'Service type.', enum: ['ClusterIP', 'NodePort', 'LoadBalancer'] },
  annotations: { type: 'object', description: 'Service annotations.', additionalProperties: { type: 'string' } },
  ports: list('Ports.', servicePort, undefined, { minItems: 1 }),
});
extraService.required = ['name', 'ports'];

export const services = nullable(
  list('Extra Services, e.g. [{name: k8saudit-webhook, type: NodePort, ports: [{port: 9765, nodePort: 30007}]}] for the k8saudit plugin.', extraService),
);

const probe = (description: string, initialDelaySeconds: number, periodSeconds: number, failureThreshold: number, thresholdNote = '') =>
  object(description, {
    initialDelaySeconds: integer('Seconds before the first probe.', initialDelaySeconds, { minimum: 0 }),
    timeoutSeconds: integer('Seconds before a probe times out.', 5, { minimum: 1 }),
    periodSeconds: integer('Seconds between probes.', periodSeconds, { minimum: 1 }),
    failureThreshold: integer(`Failures in a row before the kubelet acts.${thresholdNote}`, failureThreshold, { minimum: 1 }),
  });

export const healthChecks = object('Probes on the webserver health endpoint (only when falco.webserver.enabled).', {
  startupProbe: probe(
    'Startup probe; failureThreshold x periodSeconds bounds the start (plugins from S3 included).',
    3,
    5,
    30,
    ' 30, not 20 as upstream: the start includes fetching plugins from S3 under pluginStrategy s3.',
  ),
  livenessProbe: probe('Liveness probe.', 0, 15, 3),
  readinessProbe: probe('Readiness probe.', 0, 15, 3),
});

export const serviceAccount = object('The ServiceAccount of the Falco pods.', {
  imagePullSecrets: list('Pull secrets recorded on the ServiceAccount, after global.imagePullSecrets.', imagePullSecretRef()),
  create: boolean('Create the ServiceAccount.', true),
  name: string('Name; empty means the release full name.', '', { pattern: DNS_LABEL_OR_EMPTY, hint: 'use a lower-case DNS label' }),
  annotations: stringMap('Annotations; s3.irsaRoleArn adds eks.amazonaws.com/role-arn.'),
  automountServiceAccountToken: boolean('Mount an API token into the pods; Falco does not call the Kubernetes API, so it stays off.', false),
});

export const rbac = object(
  'ClusterRole and binding of the ServiceAccount. Falco reads everything from the node, so the role grants nothing unless extraRules asks.',
  {
    create: boolean('Create the ClusterRole and ClusterRoleBinding.', true),
    extraRules: list('PolicyRules to grant, e.g. for a plugin that reads the API.', passThrough('A PolicyRule.', undefined)),
  },
);

const SOCKET = {
  type: 'string',
  pattern: '^/[^\\s]*\\.sock$',
  'x-hint': 'write the path of the socket on the node (not under /host), ending in .sock',
} as const;

const socketEngine = (description: string, enabled: boolean, sockets: string[], enabledDescription = 'Collect metadata from this engine.') =>
  object(description, {
    enabled: boolean(enabledDescription, enabled),
    sockets: list(
      'Sockets as paths on the node; the plugin prefixes HOST_ROOT (/host) itself and skips sockets that do not exist. Each socket is mounted read-only: its directory, or the socket file alone when it sits directly in /run or /var/run.',
      SOCKET,
      sockets,
    ),
  });

const DOCKER_OFF =
  'Collect metadata from Docker. Off, unlike the upstream chart: Kubernetes nodes run containerd or CRI-O, and the socket sits directly in /var/run, so mounting it leaves an empty /var/run/docker.sock directory on nodes without Docker.';

const simpleEngine = (description: string) =>
  object(description, { enabled: boolean('Match containers of this engine (no socket: read from the cgroups).', true) });

export const collectors = object('Metadata enrichment.', {
  enabled: boolean('Load the metadata collectors at all (with a driver, on a DaemonSet).', true),
  containerEngine: object(
    'The container plugin (libcontainer.so, shipped by every plugin strategy): container and pod metadata from the runtime sockets. DaemonSet with a driver only.',
    {
      enabled: boolean('Load the container plugin and mount the sockets of the enabled engines.', true),
      labelMaxLen: integer('Longest container label collected.', 100, { minimum: 0 }),
      withSize: boolean('Inspect container sizes (slow).', false),
      hooks: list('When metadata is fetched.', { type: 'string', enum: ['create', 'start'] }, ['create'], { uniqueItems: true }),
      engines: object('Runtimes to ask; the sockets cover containerd, k3s, Bottlerocket (/run/host-containerd), CRI-O and podman.', {
        docker: socketEngine('Docker.', false, ['/var/run/docker.sock'], DOCKER_OFF),
        podman: socketEngine('Podman.', true, ['/run/podman/podman.sock']),
        containerd: socketEngine('containerd outside Kubernetes, e.g. the host containerd of Bottlerocket.', true, ['/run/host-containerd/containerd.sock']),
        cri: socketEngine('Any CRI runtime: containerd, k3s, CRI-O.', true, [
          '/run/containerd/containerd.sock',
          '/run/crio/crio.sock',
          '/run/k3s/containerd/containerd.sock',
          '/run/host-containerd/containerd.sock',
        ]),
        lxc: simpleEngine('LXC.'),
        libvirt_lxc: simpleEngine('libvirt LXC.'),
        bpm: simpleEngine('BOSH process manager.'),
      }),
    },
  ),
  kubernetes: object(
    'The k8smeta plugin (in the lock, delivered by the plugin strategy): Kubernetes metadata from a k8s-metacollector you deploy with its own chart.',
    {
      enabled: boolean('Load the k8smeta plugin (with a driver, on a DaemonSet).', false),
      collectorHostname: string(
        'Host of the k8s-metacollector; empty means <release>-k8s-metacollector.<namespace>.svc, where its chart installs it under the same release name.',
        '',
        {
          pattern: '^([A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?)?$',
          hint: 'write a host name such as k8s-metacollector.falco.svc',
        },
      ),
      collectorPort: {
        type: ['integer', 'string'],
        description: 'gRPC port of the k8s-metacollector; empty means 45000.',
        default: '',
        pattern: '^[0-9]*$',
        minimum: 1,
        maximum: 65535,
        'x-hint': 'write a port number, e.g. 45000',
      },
      verbosity: oneOfValues('Log level of the plugin.', ['critical', 'error', 'warning', 'info', 'debug', 'trace'] as const, 'info'),
      hostProc: string("Where the host's /proc is mounted, less /proc.", '/host', { pattern: '^/', hint: 'write an absolute path, e.g. /host' }),
    },
  ),
});

/** Where each ConfigMap of customRulesConfigMaps is mounted, in a directory of its own name. */
export const CUSTOM_RULES_CONFIGMAPS_DIR = '/etc/falco/rules.configmaps.d';
/** Where the overrides file is mounted. */
export const RULES_OVERRIDES_FILE = '/etc/falco/rules.overrides.d/falco-airgap_overrides.yaml';

export const rulesOverrides = object(
  `falco-airgap's overrides of the official falco-rules (${RULES_OVERRIDES_FILE}): exceptions for known false positives appended to upstream rules and lists (Falco run from this chart's own images, Amazon EKS add-ons outside kube-system that call the API server). Loaded right after the rules files of the lock, or after /etc/falco/falco_rules.yaml, before customRules.`,
  { enabled: boolean('Load the overrides; they need falco_rules.yaml loaded before them.', false) },
);

export const customRulesConfigMaps = list(
  `Existing ConfigMaps of rules files (made by each team, e.g. with GitOps), each mounted in ${CUSTOM_RULES_CONFIGMAPS_DIR}/<name> and loaded last, after customRules, in byte order of their names (Go's strings.Compare: "10-base" before "9-extra" before "team-a"); Falco loads the YAML files of each one in name order.`,
  {
    type: 'string',
    pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$',
    maxLength: 253,
    'x-hint': 'name a ConfigMap in the release namespace (lower-case DNS name), e.g. team-a-rules',
  },
  [],
  { uniqueItems: true },
);

export const customRules = stringMap(
  'Rules files by name, mounted in /etc/falco/rules.d and loaded after the official rules and the overrides, in byte order of their names.',
  {
    propertyNames: { pattern: '^[A-Za-z0-9_.-]+\\.ya?ml$', maxLength: 253 },
    hint: 'name each rules file like 50-my-rules.yaml (letters, digits, ".", "_", "-", ending in .yaml or .yml); Falco loads only YAML files',
    example: '50-my-rules.yaml',
  },
);

export const podSettings: Record<string, SchemaNode> = {
  podAnnotations: stringMap('Extra pod annotations.'),
  podLabels: stringMap('Extra pod labels.'),
  podPriorityClassName: nullable(
    string('PriorityClass of the pods; empty or null means none.', '', {
      pattern: '^([a-z0-9]([-a-z0-9.]*[a-z0-9])?)?$',
      hint: 'name an existing PriorityClass',
    }),
  ),
  podHostname: nullable(
    string('Hostname of the pods (spec.hostname); empty or null keeps the pod name.', '', {
      pattern: '^([a-z0-9]([-a-z0-9]*[a-z0-9])?)?$',
      maxLength: 63,
      hint: 'use a lower-case DNS label',
    }),
  ),
  falcoHostnameEnv: boolean('Set FALCO_HOSTNAME to the node name (the hostname in alerts); an entry for it in extra.env wins.', true),
  podSecurityContext: passThrough('Pod securityContext.'),
  containerSecurityContext: passThrough('Security context of the Falco container; when set it replaces the one the chart derives from driver.*.'),
  resources: passThrough('Resources of the Falco container.', { requests: { cpu: '100m', memory: '512Mi' }, limits: { cpu: '1000m', memory: '1024Mi' } }),
  nodeSelector: stringMap('Node selector.'),
  affinity: passThrough('Affinity.'),
  tolerations: list('Tolerations; by default Falco also runs on control-plane nodes.', passThrough('A Toleration.', undefined), [
    { effect: 'NoSchedule', key: 'node-role.kubernetes.io/master' },
    { effect: 'NoSchedule', key: 'node-role.kubernetes.io/control-plane' },
  ]),
  terminationGracePeriodSeconds: integer('Seconds Falco gets to flush its outputs on stop.', 30, { minimum: 0 }),
  tty: boolean('Attach a TTY so logs are flushed at once.', false),
  mounts: object('Extra volumes.', {
    volumes: list('Pod volumes.', passThrough('A Volume.', undefined)),
    volumeMounts: list('Mounts in the Falco container.', passThrough('A VolumeMount.', undefined)),
  }),
  extra: object('Extra settings of the Falco container and pod.', {
    env: list(
      'Extra environment variables, rendered through tpl; an entry replaces the variable of the same name the chart sets (e.g. FALCO_HOSTNAME).',
      passThrough('An EnvVar.', undefined),
    ),
    args: list("Extra Falco command-line arguments, appended to Falco's own in every plugin strategy, e.g. [-o, 'log_level=debug'].", { type: 'string' }),
    initContainers: list("Extra init containers, run after the chart's own.", passThrough('A Container.', undefined)),
  }),
};

function imagePullSecretRef(): SchemaNode {
  const node = object('A Secret of type kubernetes.io/dockerconfigjson in the release namespace.', {
    name: { type: 'string', description: 'Secret name.', pattern: dnsSubdomain, 'x-hint': 'name the Secret, e.g. {name: regcred}' },
  });
  node.required = ['name'];
  return node;
}

export const imagePullSecret = imagePullSecretRef();

const pem = (description: string) => string(description, '', { hint: 'paste the PEM text, e.g. with helm --set-file' });
const secretName = (description: string) =>
  string(description, '', {
    pattern: '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)?$',
    maxLength: 253,
    hint: 'name a Secret in the release namespace',
  });

export const certs = object(
  'TLS material for the webserver (mounted at /etc/falco/certs) and for client certificates of http_output (at /etc/falco/certs/client): an existing Secret, or PEM text the chart puts into one.',
  {
    existingSecret: secretName('Secret with server.key, server.crt, falco.pem (key and certificate) and ca.crt, mounted at /etc/falco/certs.'),
    server: object('Server key and certificate, used when existingSecret is empty (with ca.crt).', {
      key: pem('Server private key (PEM).'),
      crt: pem('Server certificate (PEM).'),
    }),
    ca: object('The CA certificate.', { crt: pem('CA certificate (PEM).') }),
    existingClientSecret: secretName('Secret with client.key, client.crt, falcoclient.pem, ca.crt and ca.pem, mounted at /etc/falco/certs/client.'),
    client: object('Client key and certificate for falco.http_output.mtls, used when existingClientSecret is empty (with ca.crt).', {
      key: pem('Client private key (PEM).'),
      crt: pem('Client certificate (PEM).'),
    }),
  },
);

export const scc = object('OpenShift: a SecurityContextConstraints for the ServiceAccount, rendered only where the API serves security.openshift.io/v1.', {
  create: boolean('Create the SecurityContextConstraints on OpenShift.', true),
});

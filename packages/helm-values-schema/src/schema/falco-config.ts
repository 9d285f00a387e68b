import { boolean, integer, list, object, oneOfValues, passThrough, string, type SchemaNode } from './nodes.ts';

const priorities = ['emergency', 'alert', 'critical', 'error', 'warning', 'notice', 'informational', 'info', 'debug'] as const;
const logLevels = ['emergency', 'alert', 'critical', 'error', 'warning', 'notice', 'info', 'debug'] as const;
const absolutePath: SchemaNode = {
  type: 'string',
  pattern: '^/',
  'x-hint': 'write an absolute path inside the Falco container',
  'x-example': '/etc/falco/falco_rules.yaml',
};

const pluginEntry = object(
  'One plugin as Falco loads it; library_path is relative to /usr/share/falco/plugins, where the plugin strategy installs the files.',
  {
    name: {
      type: 'string',
      description: 'Plugin name, as listed in load_plugins.',
      pattern: '^[a-z0-9]+([_-][a-z0-9]+)*$',
      'x-hint': 'use the plugin name from plugins-manifest.yaml, e.g. k8saudit',
    },
    library_path: {
      type: 'string',
      description: 'Shared library of the plugin, e.g. libk8saudit.so.',
      pattern: '\\.so$',
      'x-hint': 'name the plugin file, e.g. libk8saudit.so (relative to /usr/share/falco/plugins) or an absolute path',
    },
    init_config: {
      type: ['object', 'string'],
      additionalProperties: true,
      description: 'Plugin init configuration: a map for most plugins, a string for some.',
    },
    open_params: { type: 'string', description: 'Plugin open parameters, e.g. http://:9765/k8s-audit.' },
  },
  { title: 'FalcoPluginEntry' },
);
pluginEntry.required = ['name', 'library_path'];

export const falcoConfig: SchemaNode = object(
  'Settings written to falco.yaml. The chart owns engine (from driver.*), metrics (from metrics.*) and the container and k8smeta plugins (from collectors.*).',
  {
    config_files: list('Extra configuration files or directories loaded after falco.yaml; /etc/falco/config.d is always loaded first.', absolutePath),
    watch_config_files: boolean('Reload Falco when its configuration or rules files change.', true),
    rules_files: list(
      'Rules files or directories, loaded in this order. /etc/falco/rules.d stands for the customRules files (in byte order of their names; appended when not listed). The rules files of the lock (lockedRules) go where /etc/falco/locked-rules.d is listed, else in place of /etc/falco/falco_rules.yaml when lockedRules.files names them (right after it when they are the whole directory), else first; rulesOverrides follow them. customRulesConfigMaps come last.',
      absolutePath,
      ['/etc/falco/falco_rules.yaml', '/etc/falco/falco_rules.local.yaml', '/etc/falco/rules.d'],
    ),
    rules: list(
      'Enable or disable rules by name or tag after all rules files are loaded.',
      passThrough('One selection, e.g. {disable: {tag: network}}.', undefined),
    ),
    load_plugins: list('Plugins to load, by name; each needs an entry in plugins (the container plugin is managed by collectors.containerEngine).', {
      type: 'string',
      pattern: '^[a-z0-9]+([_-][a-z0-9]+)*$',
    }),
    plugins: list('Plugin definitions, used when listed in load_plugins.', pluginEntry),
    plugins_hostinfo: boolean('Give plugins host information (reads the host /proc).', true),
    time_format_iso_8601: boolean('Print times in ISO 8601.', false),
    buffer_format_base64: boolean('Print data buffers in base64.', false),
    priority: oneOfValues('Minimum rule priority to load.', priorities, 'debug'),
    rule_matching: oneOfValues('first: the first matching rule wins; all: every matching rule fires.', ['first', 'all'] as const, 'first'),
    json_output: boolean('Print alerts as JSON.', false),
    json_include_output_property: boolean('Include the formatted output in JSON alerts.', true),
    json_include_message_property: boolean('Include the message without time and priority in JSON alerts.', false),
    json_include_output_fields_property: boolean('Include the output fields in JSON alerts.', true),
    json_include_tags_property: boolean('Include the rule tags in JSON alerts.', true),
    buffered_outputs: boolean('Buffer outputs instead of flushing each alert.', false),
    outputs_queue: object('Queue between the engine and the outputs.', {
      capacity: integer('Alerts queued before dropping; 0 means unbounded.', 0, { minimum: 0 }),
    }),
    append_output: list(
      'Extra fields appended to alert outputs.',
      passThrough('One append rule, e.g. {match: {source: syscall}, extra_fields: [...]}.', undefined),
      [{ suggested_output: true }],
    ),
    stdout_output: object('Alerts on standard output (what kubectl logs shows).', { enabled: boolean('Write alerts to stdout.', true) }),
    syslog_output: object('Alerts to syslog.', {
      enabled: boolean('Write alerts to syslog, as upstream; they reach the node only when /dev/log is mounted (mounts.volumes).', true),
    }),
    file_output: object('Alerts appended to a file inside the container.', {
      enabled: boolean('Write alerts to a file.', false),
      keep_alive: boolean('Keep the file open between alerts.', false),
      filename: string('File to write.', './events.txt'),
    }),
    http_output: object('Alerts posted to an HTTP endpoint inside the air gap, such as falcosidekick.', {
      enabled: boolean('Post alerts over HTTP.', false),
      url: string('Endpoint, e.g. http://falcosidekick.falco.svc:2801/.', '', {
        pattern: '^(https?://[^\\s]+)?$',
        hint: 'write an http:// or https:// URL reachable from the cluster',
        example: 'http://falcosidekick.falco.svc:2801/',
      }),
      user_agent: string('User-Agent header.', 'falcosecurity/falco'),
      insecure: boolean('Skip TLS verification.', false),
      ca_cert: string('CA certificate file.', ''),
      ca_bundle: string('CA bundle file.', ''),
      ca_path: string('CA directory.', '/etc/falco/certs/'),
      mtls: boolean('Use client certificates.', false),
      client_cert: string('Client certificate file.', '/etc/falco/certs/client/client.crt'),
      client_key: string('Client key file.', '/etc/falco/certs/client/client.key'),
      echo: boolean('Print the endpoint responses.', false),
      compress_uploads: boolean('Compress posted alerts.', false),
      keep_alive: boolean('Reuse the connection.', false),
      max_consecutive_timeouts: integer('Timeouts in a row before Falco reports the endpoint.', 5, { minimum: 0 }),
    }),
    program_output: object('Alerts piped to a program inside the container.', {
      enabled: boolean('Pipe alerts to a program.', false),
      keep_alive: boolean('Keep the program running between alerts.', false),
      program: string('Shell command receiving the alerts.', ''),
    }),
    grpc: passThrough('Removed in Falco 0.44 (deprecated in 0.43): the gRPC server. Renders only when falcoVersion is older than 0.44.', undefined),
    grpc_output: passThrough('Removed in Falco 0.44 (deprecated in 0.43): the gRPC output. Renders only when falcoVersion is older than 0.44.', undefined),
    webserver: object('Falco webserver: health endpoint for probes and the helm test, /metrics when metrics.enabled.', {
      enabled: boolean('Run the webserver (probes, helm test and metrics need it).', true),
      threadiness: integer('Worker threads; 0 means one per CPU.', 0, { minimum: 0 }),
      listen_port: integer('Port of the webserver.', 8765, { minimum: 1, maximum: 65535 }),
      listen_address: string('Address the webserver binds.', '0.0.0.0'),
      k8s_healthz_endpoint: string('Path of the health endpoint.', '/healthz', { pattern: '^/', hint: 'write a path starting with /', example: '/healthz' }),
      prometheus_metrics_enabled: boolean('Serve /metrics; metrics.enabled turns it on too.', false),
      ssl_enabled: boolean('Serve HTTPS.', false),
      ssl_certificate: string('Certificate and key (PEM) when ssl_enabled.', '/etc/falco/falco.pem'),
    }),
    log_stderr: boolean('Write Falco logs to stderr.', true),
    log_syslog: boolean('Write Falco logs to syslog (reaches the node only when /dev/log is mounted).', true),
    log_level: oneOfValues('Minimum level of Falco logs.', logLevels, 'info'),
    libs_logger: object('Logs of the underlying libraries.', {
      enabled: boolean('Enable library logs.', true),
      severity: oneOfValues('Minimum severity.', ['fatal', 'critical', 'error', 'warning', 'notice', 'info', 'debug', 'trace'] as const, 'info'),
    }),
    output_timeout: integer('Milliseconds an output may block before Falco reports it.', 2000, { minimum: 1 }),
    syscall_event_timeouts: object('Reaction to the driver not delivering events.', {
      max_consecutives: integer('Consecutive timeouts before an alert.', 1000, { minimum: 1 }),
    }),
    syscall_event_drops: passThrough('Reaction to dropped system call events.', {
      threshold: 0.1,
      actions: ['log', 'alert'],
      rate: 0.03333,
      max_burst: 1,
      simulate_drops: false,
    }),
    base_syscalls: passThrough('System calls Falco always collects, beyond those the rules need.', { custom_set: [], repair: false, all: false }),
    falco_libs: passThrough('Tuning of the underlying libraries.', {
      thread_table_size: 262144,
      thread_table_auto_purging_interval_s: 300,
      thread_table_auto_purging_thread_timeout_s: 300,
      snaplen: 80,
    }),
    capture: passThrough('Event capture to .scap files when rules fire.', { enabled: false, path_prefix: '/tmp/falco', mode: 'rules', default_duration: 5000 }),
  },
);

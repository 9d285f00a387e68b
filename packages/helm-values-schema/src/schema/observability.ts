import { boolean, integer, list, object, oneOfValues, passThrough, string, stringMap, type SchemaNode } from './nodes.ts';

const DURATION = '^([0-9]+(ms|s|m|h|d|w|y))+$';
const duration = (description: string, value: string) =>
  string(description, value, { pattern: DURATION, hint: 'write a Prometheus duration such as 30s, 15m or 1h30m', example: '1h' });

export const metrics: SchemaNode = object('Falco metrics, served in Prometheus format on the webserver at /metrics.', {
  enabled: boolean('Enable metrics (needs falco.webserver.enabled).', false),
  interval: duration('How often Falco refreshes its metrics snapshot.', '1h'),
  outputRule: boolean('Also emit metrics as the rule "Falco internal: metrics snapshot".', false),
  rulesCountersEnabled: boolean('Count matches per rule.', true),
  resourceUtilizationEnabled: boolean('CPU and memory of Falco and the host.', true),
  stateCountersEnabled: boolean('State engine counters.', true),
  kernelEventCountersEnabled: boolean('Kernel event and drop counters.', true),
  libbpfStatsEnabled: boolean('Per-program eBPF statistics (needs kernel.bpf_stats_enabled).', true),
  pluginsMetricsEnabled: boolean('Metrics of the plugins.', true),
  kernelIterEventCountersEnabled: boolean('Counters of the BPF iterators of the modern eBPF driver.', true),
  jemallocStatsEnabled: boolean('Allocator statistics (Falco built with jemalloc).', false),
  convertMemoryToMB: boolean('Report memory in MB.', true),
  includeEmptyValues: boolean('Report metrics whose value is zero.', false),
  kernelEventCountersPerCPUEnabled: boolean('Kernel event and drop counters per CPU.', false),
  service: object('The Service Prometheus scrapes, <fullname>-metrics, labelled type: falco-metrics (metrics.enabled only).', {
    create: boolean('Create the metrics Service.', true),
    type: oneOfValues('Service type.', ['ClusterIP', 'NodePort', 'LoadBalancer'] as const, 'ClusterIP'),
    labels: stringMap('Extra labels.'),
    annotations: stringMap('Annotations.'),
    ports: object('Ports.', {
      metrics: object('The metrics port (named metrics).', {
        port: integer('Service port.', 8765, { minimum: 1, maximum: 65535 }),
        targetPort: integer('Container port: falco.webserver.listen_port.', 8765, { minimum: 1, maximum: 65535 }),
        protocol: oneOfValues('Protocol.', ['TCP'] as const, 'TCP'),
        ipFamilyPolicy: oneOfValues(
          'Dual-stack policy of the Service; empty means the cluster default.',
          ['', 'SingleStack', 'PreferDualStack', 'RequireDualStack'] as const,
          '',
        ),
        ipFamilies: list('IP families of the Service, in order, e.g. [IPv4, IPv6].', { type: 'string', enum: ['IPv4', 'IPv6'] }, [], { uniqueItems: true }),
      }),
    }),
  }),
});

export const service: SchemaNode = object(
  'The Service in front of the Falco webserver: the health endpoint for helm test and, with metrics.enabled, /metrics for Prometheus.',
  {
    enabled: boolean('Create the Service (needs falco.webserver.enabled).', true),
    type: oneOfValues('Service type.', ['ClusterIP', 'NodePort', 'LoadBalancer'] as const, 'ClusterIP'),
    annotations: stringMap('Service annotations.'),
    labels: stringMap('Extra Service labels.'),
  },
);

export const serviceMonitor: SchemaNode = object(
  'A Prometheus Operator ServiceMonitor for the metrics Service (needs metrics.enabled, metrics.service.create and the monitoring.coreos.com CRDs).',
  {
    create: boolean('Create the ServiceMonitor.', false),
    labels: stringMap('Labels your Prometheus selects ServiceMonitors by.'),
    selector: stringMap('Labels of the Service to scrape, merged over the metrics Service labels (for a Service of your own).'),
    endpointPort: string('Name of the Service port to scrape.', 'metrics', {
      pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$',
      maxLength: 15,
      hint: 'name a port of the Service, e.g. metrics',
    }),
    targetLabels: list('Service labels copied onto the scraped metrics.', { type: 'string' }),
    interval: duration('Scrape interval.', '15s'),
    scrapeTimeout: duration('Scrape timeout.', '10s'),
    path: string('Metrics path.', '/metrics', { pattern: '^/', hint: 'write a path starting with /', example: '/metrics' }),
    scheme: oneOfValues('http, or https when falco.webserver.ssl_enabled.', ['http', 'https'] as const, 'http'),
    tlsConfig: passThrough('TLS settings of the scrape.'),
    relabelings: list('Relabelings of the scrape.', passThrough('A RelabelConfig.', undefined)),
    metricRelabelings: list('Relabelings of the samples.', passThrough('A RelabelConfig.', undefined)),
  },
);

export const test: SchemaNode = object(
  "The helm test hook: a pod from the Falco image asking the webserver Service for the health endpoint, scheduled with Falco's nodeSelector and tolerations.",
  {
    enabled: boolean('Render the test pod (needs service.enabled and falco.webserver.enabled).', true),
    timeoutSeconds: integer('Seconds the test pod keeps asking the health endpoint (every 2s) before the test fails.', 60, { minimum: 1, maximum: 3600 }),
  },
);

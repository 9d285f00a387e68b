import { boolean, list, object, oneOfValues, passThrough, string, stringMap, type SchemaNode } from './nodes.ts';

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
  convertMemoryToMB: boolean('Report memory in MB.', true),
  includeEmptyValues: boolean('Report metrics whose value is zero.', false),
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
  'A Prometheus Operator ServiceMonitor for the webserver Service (needs metrics.enabled and the monitoring.coreos.com CRDs).',
  {
    create: boolean('Create the ServiceMonitor.', false),
    labels: stringMap('Labels your Prometheus selects ServiceMonitors by.'),
    interval: duration('Scrape interval.', '15s'),
    scrapeTimeout: duration('Scrape timeout.', '10s'),
    path: string('Metrics path.', '/metrics', { pattern: '^/', hint: 'write a path starting with /', example: '/metrics' }),
    scheme: oneOfValues('http, or https when falco.webserver.ssl_enabled.', ['http', 'https'] as const, 'http'),
    tlsConfig: passThrough('TLS settings of the scrape.'),
    relabelings: list('Relabelings of the scrape.', passThrough('A RelabelConfig.', undefined)),
    metricRelabelings: list('Relabelings of the samples.', passThrough('A RelabelConfig.', undefined)),
  },
);

export const test: SchemaNode = object('The helm test hook: a pod from the Falco image asking the webserver Service for the health endpoint.', {
  enabled: boolean('Render the test pod (needs service.enabled and falco.webserver.enabled).', true),
});

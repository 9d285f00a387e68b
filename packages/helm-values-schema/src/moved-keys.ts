/**
 * Keys users bring from the upstream Falco chart or from older falco.yaml files, with where the
 * setting lives in this chart; an unknown-key error quotes the matching line as its hint.
 */
export const MOVED_KEYS: Readonly<Record<string, string>> = {
  imagePullSecrets: 'pull secrets are set once for every image: global.imagePullSecrets',
  falcoctl:
    'this chart never runs falcoctl artifact install/follow (nothing reaches the internet): plugins come from pluginStrategy (sidecar or s3), extra rules from customRules',
  falcosidekick: 'deploy falcosidekick with its own chart inside the air gap and point falco.http_output.url at it',
  'falco-talon': 'deploy falco-talon with its own chart and point falco.http_output.url at it',
  responseActions: 'deploy falco-talon with its own chart and point falco.http_output.url at it',
  certs: 'mount certificates with mounts.volumes and mounts.volumeMounts and name them in falco.webserver / falco.http_output',
  scc: 'this chart renders no OpenShift SecurityContextConstraints; grant the ServiceAccount an SCC yourself',
  grafana: 'import the Falco dashboard into Grafana yourself; the chart exposes metrics through metrics.enabled and serviceMonitor',
  podHostname: 'the Falco hostname comes from the node name (FALCO_HOSTNAME); override it with extra.env',
  'falco.engine': 'the engine is set from driver.kind and driver.modernEbpf / driver.kmod',
  'falco.metrics': 'metrics are set with the top-level metrics.* values',
  'falco.webserver.prometheus_metrics_enabled': 'set metrics.enabled, which also turns this on',
  'falco.container_engines': 'container metadata comes from the container plugin: collectors.containerEngine',
  'falco.grpcOutput': 'the key is falco.grpc_output (removed in Falco 0.44 anyway: use falco.http_output)',
  'collectors.docker': 'use collectors.containerEngine.engines.docker',
  'collectors.containerd': 'use collectors.containerEngine.engines.containerd',
  'collectors.crio': 'use collectors.containerEngine.engines.cri',
  'collectors.kubernetes': 'the k8smeta plugin is configured like any plugin: falco.plugins and falco.load_plugins',
  'collectors.enabled': 'switch collectors.containerEngine.enabled',
  'driver.loader.initContainer':
    'driver.loader holds the init container settings directly (driver.loader.resources, driver.loader.env); its image is the Falco image',
  'driver.modernEbpf.sysfsMount': 'the modern eBPF driver needs no sysfs mount',
  'driver.sysfsMountPath': 'the chart mounts /sys/kernel for the drivers that need it',
  'metrics.service': 'the webserver Service is configured with service.*',
};

/**
 * Keys users bring from the upstream Falco chart or from older falco.yaml files, with where the
 * setting lives in this chart or why air-gap mode has none; an unknown-key error quotes the matching
 * line as its hint. `falco-airgap values migrate` carries a whole upstream values file over.
 */
export const MOVED_KEYS: Readonly<Record<string, string>> = {
  falcoctl:
    'this chart runs no falcoctl: pluginStrategy sidecar (or s3) installs the plugins and rules files of plugins-lock.yaml at pod start (artifact.install), artifacts are named in plugins-manifest.yaml (config.artifact.install.refs), and artifact.follow is not supported because nothing can be pulled from the internet — roll out a new lock instead; falco-airgap values migrate converts the rest',
  'falcosidekick.config':
    "this chart's Falcosidekick posts to falcosidekick.ingestor or falcosidekick.customWebhook; set any other output with its environment variables in falcosidekick.extraEnv",
  'falcosidekick.listenPort': "this chart's Falcosidekick listens on falcosidekick.service.port, and Falco posts to that Service",
  'falcosidekick.fullfqdn': 'Falco posts to the Falcosidekick Service by its namespaced name (<fullname>-falcosidekick.<namespace>.svc); nothing to set',
  'falcosidekick.webui': 'the chart deploys no Falcosidekick UI: alerts go to the event ingestor, which has its own view',
  'falco-talon': 'deploy falco-talon with its own chart; this chart deploys no subcharts',
  responseActions: 'deploy falco-talon with its own chart; this chart deploys no subcharts',
  grafana: 'import the Falco dashboard into Grafana yourself; the chart exposes metrics through metrics.enabled and serviceMonitor',
  'collectors.containerEngine.pluginRef':
    'the container plugin comes from plugins-lock.yaml (plugins-manifest.yaml names its version), delivered by pluginStrategy',
  'collectors.kubernetes.pluginRef': 'the k8smeta plugin comes from plugins-lock.yaml (plugins-manifest.yaml names its version), delivered by pluginStrategy',
  'driver.loader.resources': 'use driver.loader.initContainer.resources',
  'driver.loader.env': 'use driver.loader.initContainer.env',
  'falco.engine': 'the engine is set from driver.kind and driver.modernEbpf / driver.kmod',
  'falco.metrics': 'metrics are set with the top-level metrics.* values',
  'falco.container_engines': 'container metadata comes from the container plugin: collectors.containerEngine',
  'falco.grpcOutput': 'the key is falco.grpc_output (removed in Falco 0.44 anyway: use falco.http_output)',
  'falco.podHostname': 'use podHostname at the top level',
  'collectors.docker': 'use collectors.containerEngine.engines.docker',
  'collectors.containerd': 'use collectors.containerEngine.engines.containerd',
  'collectors.crio': 'use collectors.containerEngine.engines.cri',
  'metrics.service.ipFamilyPolicy': 'use metrics.service.ports.metrics.ipFamilyPolicy',
  'metrics.service.ipFamilies': 'use metrics.service.ports.metrics.ipFamilies',
};

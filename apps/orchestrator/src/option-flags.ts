/**
 * Library hints name options in backticks (`caFile`); a CLI user sets them as flags or variables.
 * The one table from option name to what the user types, shared by every library the CLI drives.
 */
export const OPTION_FLAGS: Readonly<Record<string, string>> = {
  // registry access (oci, plugin-extractor)
  caFile: '--ca-file',
  plainHttp: '--plain-http',
  cacheDir: '--cache-dir',
  dockerConfigDir: 'DOCKER_CONFIG',
  dockerHost: 'DOCKER_HOST',
  proxy: 'HTTPS_PROXY/HTTP_PROXY',
  httpsProxy: 'HTTPS_PROXY',
  httpProxy: 'HTTP_PROXY',
  'proxy.noProxy': 'NO_PROXY',
  // extract
  via: '--via',
  keepSource: '--keep-source',
  platforms: '--platform',
  locked: '--locked',
  outDir: '--out',
  'artifactLimits.maxBytes': '--max-uncompressed-bytes',
  'artifactLimits.maxEntries': '--max-entries',
  // plugin store
  bucket: '--bucket',
  prefix: '--prefix',
  endpoint: '--endpoint',
  region: '--region',
  channel: '--channel',
  extractedDir: '--extracted',
  timeout: '--timeout',
  keepReleases: '--keep-releases',
  verbose: '--verbose',
  // deploy
  kubeconfig: '--kubeconfig',
  context: '--kube-context',
  helmBinary: 'FALCO_AIRGAP_HELM',
  timeoutSeconds: '--timeout',
  diagnosticsDir: '--diagnostics-dir',
  chart: '--chart',
  // image builder
  images: '--images',
  registry: '--registry',
  tags: '--tag',
  platform: '--platform',
  baseImage: '--base-image',
  falcoImage: '--falco-image',
  dockerDir: '--docker-dir',
  s3LoaderBinary: '--s3-loader-binary',
  lock: '--lock',
};

/** Renders the option names a library wrote in backticks as the CLI's flags; other backticked text stays as it is. */
export function renderOptionNames(text: string): string {
  return text.replace(/`([A-Za-z][\w.]*)`/g, (whole, name: string) => (Object.hasOwn(OPTION_FLAGS, name) ? OPTION_FLAGS[name]! : whole));
}

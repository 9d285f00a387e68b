/** Media types of falcoctl artifacts (the generic OCI and Docker ones live in @falco-airgap/oci). */
export const FalcoMediaType = {
  pluginConfig: 'application/vnd.cncf.falco.plugin.config.v1+json',
  pluginLayer: 'application/vnd.cncf.falco.plugin.layer.v1+tar.gz',
  rulesfileConfig: 'application/vnd.cncf.falco.rulesfile.config.v1+json',
  rulesfileLayer: 'application/vnd.cncf.falco.rulesfile.layer.v1+tar.gz',
} as const;

/** Config and layer types of a falcoctl artifact, per kind. */
export const FALCO_ARTIFACT_TYPES = {
  plugin: { config: FalcoMediaType.pluginConfig, layer: FalcoMediaType.pluginLayer },
  rulesfile: { config: FalcoMediaType.rulesfileConfig, layer: FalcoMediaType.rulesfileLayer },
} as const;
export type FalcoArtifactKind = keyof typeof FALCO_ARTIFACT_TYPES;

/** The labels of the images besides the Dockerfiles' org.opencontainers.image.* labels. */
export const LABELS = {
  /** Digest of everything a build reads (context tar, Dockerfile path, build args, other labels, platform); set through `CONTEXT_DIGEST_ARG`. */
  contextDigest: 'falco-airgap.context-digest',
  /** `sha256:` of the plugins-lock.yaml baked into the plugin-loader image. */
  lockDigest: 'falco-airgap.lock-digest',
  pluginVersion: (name: string) => `falco-airgap.plugin.${name}.version`,
  rulesfileVersion: (name: string) => `falco-airgap.rulesfile.${name}.version`,
} as const;

/** The build arg each Dockerfile turns into the context-digest label in its own LABEL instruction (no extra build step). */
export const CONTEXT_DIGEST_ARG = 'FALCO_AIRGAP_CONTEXT_DIGEST';

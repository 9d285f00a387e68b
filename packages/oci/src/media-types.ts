/** The OCI and Docker media types of images, indexes and their parts. */
export const MediaType = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  ociImageConfig: 'application/vnd.oci.image.config.v1+json',
  dockerImageConfig: 'application/vnd.docker.container.image.v1+json',
  ociLayerTar: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerTarGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerNondistributableTarGzip: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  dockerLayerTarGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const;

export const INDEX_MEDIA_TYPES: readonly string[] = [MediaType.ociIndex, MediaType.dockerManifestList];
export const MANIFEST_MEDIA_TYPES: readonly string[] = [MediaType.ociManifest, MediaType.dockerManifest];
/** What we send in Accept: registries only hand out types a client claims to accept. */
export const ACCEPT_MANIFESTS = [...INDEX_MEDIA_TYPES, ...MANIFEST_MEDIA_TYPES].join(', ');

export const IMAGE_CONFIG_MEDIA_TYPES: readonly string[] = [MediaType.ociImageConfig, MediaType.dockerImageConfig];
export const IMAGE_LAYER_MEDIA_TYPES: readonly string[] = [
  MediaType.ociLayerTar,
  MediaType.ociLayerTarGzip,
  MediaType.ociLayerNondistributableTarGzip,
  MediaType.dockerLayerTarGzip,
];

/** Annotation keys of the image spec that clients read. */
export const Annotation = {
  title: 'org.opencontainers.image.title',
} as const;

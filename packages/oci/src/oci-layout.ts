import { OciError, OciErrorCode } from './errors.ts';
import { parseDigest } from './digest.ts';
import { MediaType } from './media-types.ts';
import { parseManifestDocument, type Descriptor, type ImageIndex } from './oci-index.ts';

/** The files of an OCI image layout (image-spec `image-layout.md`): a marker, the entry index, and blobs by digest. */
export const ImageLayout = {
  marker: 'oci-layout',
  index: 'index.json',
  version: '1.0.0',
} as const;

/** Annotation naming an entry of a layout's index.json, e.g. `falcosecurity/plugins/plugin/k8saudit:0.18.0`. */
export const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name';

/** The `oci-layout` marker file. */
export function imageLayoutMarker(): Buffer {
  return Buffer.from(`${JSON.stringify({ imageLayoutVersion: ImageLayout.version })}\n`);
}

/** Where a blob lives inside a layout, relative to its root: `blobs/<algorithm>/<hex>`. */
export function layoutBlobPath(digest: string): string {
  const { algorithm, hex } = parseDigest(digest);
  return `blobs/${algorithm}/${hex}`;
}

/** The digest a `blobs/<algorithm>/<hex>` path names, or undefined for any other path. */
export function digestOfLayoutPath(path: string): string | undefined {
  const match = /^blobs\/(sha256|sha512)\/([a-f0-9]+)$/.exec(path);
  return match ? `${match[1]}:${match[2]}` : undefined;
}

/**
 * A layout's index.json with these entries, byte for byte the same for the same entries in any
 * order: sorted by ref name then digest, keys in a fixed order.
 */
export function imageLayoutIndex(entries: readonly Descriptor[]): Buffer {
  const sorted = [...entries].sort((a, b) => compare(refNameOf(a) ?? '', refNameOf(b) ?? '') || compare(a.digest, b.digest));
  const manifests = sorted.map((d) => ({
    mediaType: d.mediaType,
    digest: d.digest,
    size: d.size,
    ...(d.platform ? { platform: d.platform } : {}),
    ...(d.artifactType ? { artifactType: d.artifactType } : {}),
    ...(d.annotations ? { annotations: Object.fromEntries(Object.entries(d.annotations).sort(([a], [b]) => compare(a, b))) } : {}),
  }));
  return Buffer.from(`${JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests }, null, 2)}\n`);
}

/** Reads a layout's index.json; `what` names it in errors. */
export function parseImageLayoutIndex(bytes: Uint8Array, what: string): ImageIndex {
  const document = parseManifestDocument(bytes, undefined, what);
  if (document.kind !== 'index') {
    throw new OciError(OciErrorCode.BadManifest, `${what} is a manifest, not an image index`, 'an OCI image layout lists its entries in an index');
  }
  return document;
}

export function refNameOf(descriptor: Descriptor): string | undefined {
  return descriptor.annotations?.[REF_NAME_ANNOTATION];
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

import { parseReference, type Platform } from '@falco-airgap/core';
import { findPlatform, type RegistryClient, type RepositoryLocation } from '@falco-airgap/oci';

/** What the builder asks of a registry: read manifests and configs, write a tag; and whose credentials to hand the engine. */
export type ImageRegistry = Pick<RegistryClient, 'headManifest' | 'manifest' | 'readBlob' | 'putManifest' | 'credentials'>;

/** A tag as the registry holds it: the manifest (or index) bytes and the image config's labels. */
export interface PublishedImage {
  digest: string;
  mediaType: string;
  bytes: Buffer;
  labels: Record<string, string>;
}

/** `registry/repository:tag` as a location and a tag. */
export function splitReference(reference: string): { location: RepositoryLocation; tag: string } {
  const parsed = parseReference(reference);
  if (!parsed.ok || !parsed.reference.tag) throw new TypeError(`${reference} is not a registry/repository:tag reference`);
  return { location: { registry: parsed.reference.registry, repository: parsed.reference.repository }, tag: parsed.reference.tag };
}

/** The image a tag names and its labels, for `platform` when the tag names an index; undefined when the tag does not exist. */
export async function readPublishedImage(
  registry: ImageRegistry,
  reference: string,
  platform: Platform,
  signal?: AbortSignal,
): Promise<PublishedImage | undefined> {
  const { location, tag } = splitReference(reference);
  const head = await registry.headManifest(location, tag, signal);
  if (!head) return undefined;
  const root = await registry.manifest(location, head.digest, head.size > 0 ? head.size : undefined, signal);
  let document = root.document;
  if (document.kind === 'index') {
    const descriptor = findPlatform(document, platform);
    if (!descriptor) return { digest: root.digest, mediaType: mediaTypeOf(root.bytes, head.mediaType), bytes: root.bytes, labels: {} };
    document = (await registry.manifest(location, descriptor.digest, descriptor.size, signal)).document;
  }
  if (document.kind !== 'manifest') return undefined;
  const config = JSON.parse((await registry.readBlob(location, document.config, { signal })).toString('utf8')) as {
    config?: { Labels?: Record<string, string> | null };
  };
  return { digest: root.digest, mediaType: mediaTypeOf(root.bytes, head.mediaType), bytes: root.bytes, labels: config.config?.Labels ?? {} };
}

/** The media type a manifest declares, else the one the registry served it with. */
function mediaTypeOf(bytes: Buffer, served: string | undefined): string {
  const declared = (JSON.parse(bytes.toString('utf8')) as { mediaType?: unknown }).mediaType;
  return typeof declared === 'string' ? declared : (served ?? 'application/vnd.oci.image.manifest.v1+json');
}

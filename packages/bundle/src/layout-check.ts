import {
  IMAGE_CONFIG_MEDIA_TYPES,
  ImageLayout,
  isOciError,
  layoutBlobPath,
  parseImageLayoutIndex,
  parseManifestDocument,
  type Descriptor,
  type ManifestDocument,
} from '@falco-airgap/oci';
import type { BundleOciEntry } from './bundle-manifest.ts';
import { BundlePath } from './bundle-paths.ts';
import { BundleError, BundleErrorCode } from './errors.ts';
import type { VerifiedBundle } from './verify.ts';

const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

/** A manifest or index of the layout, read and parsed, with the children it names. */
export interface LayoutNode {
  descriptor: Pick<Descriptor, 'digest' | 'size' | 'mediaType'>;
  bytes: Buffer;
  document: ManifestDocument;
}

/** The path of a blob in the bundle. */
export function bundleBlobPath(digest: string): string {
  return `${BundlePath.layout}/${layoutBlobPath(digest)}`;
}

/**
 * Every node under a root, children before their parents (the order a registry accepts them in),
 * and every blob the manifests name. Throws when the layout lacks content or a size disagrees.
 */
export async function walkLayout(
  bundle: Pick<VerifiedBundle, 'readFile' | 'manifest'>,
  root: Pick<Descriptor, 'digest' | 'size' | 'mediaType'>,
): Promise<{ nodes: LayoutNode[]; blobs: Descriptor[] }> {
  const nodes: LayoutNode[] = [];
  const blobs = new Map<string, Descriptor>();
  const visiting = new Set<string>();
  const visit = async (descriptor: Pick<Descriptor, 'digest' | 'size' | 'mediaType'>, depth: number): Promise<void> => {
    if (nodes.some((n) => n.descriptor.digest === descriptor.digest)) return;
    if (depth > 8 || visiting.has(descriptor.digest)) throw incomplete(`${descriptor.digest} nests indexes too deeply`, bundleBlobPath(descriptor.digest));
    visiting.add(descriptor.digest);
    const bytes = await readBlob(bundle, descriptor, MAX_MANIFEST_BYTES);
    let document: ManifestDocument;
    try {
      document = parseManifestDocument(bytes, descriptor.mediaType, `${bundleBlobPath(descriptor.digest)}`);
    } catch (cause) {
      if (!isOciError(cause)) throw cause;
      throw incomplete(cause.message, bundleBlobPath(descriptor.digest), cause);
    }
    if (document.kind === 'index') {
      for (const child of document.manifests) await visit(child, depth + 1);
    } else {
      for (const blob of [document.config, ...document.layers]) {
        blobExists(bundle, blob);
        blobs.set(blob.digest, blob);
      }
    }
    nodes.push({ descriptor, bytes, document });
  };
  await visit(root, 0);
  return { nodes, blobs: [...blobs.values()] };
}

/**
 * The layout holds every image and artifact of the manifest: named in index.json, every manifest
 * and blob present with the size its descriptor gives, and the platforms the manifest claims.
 */
export async function checkLayout(bundle: VerifiedBundle): Promise<void> {
  const { manifest } = bundle;
  const entries: BundleOciEntry[] = [...manifest.images, ...manifest.artifacts];
  if (entries.length === 0) return;
  const indexPath = `${BundlePath.layout}/${ImageLayout.index}`;
  const markerPath = `${BundlePath.layout}/${ImageLayout.marker}`;
  for (const path of [indexPath, markerPath]) {
    if (!manifest.files.some((f) => f.path === path)) throw incomplete(`the bundle has images and artifacts but no ${path}`, path);
  }
  let listed: Descriptor[];
  try {
    listed = parseImageLayoutIndex(await bundle.readFile(indexPath, MAX_MANIFEST_BYTES), indexPath).manifests;
  } catch (cause) {
    if (!isOciError(cause)) throw cause;
    throw incomplete(cause.message, indexPath, cause);
  }
  for (const entry of entries) {
    const root = listed.find((d) => d.digest === entry.digest);
    if (!root || root.size !== entry.size || root.mediaType !== entry.mediaType) {
      throw incomplete(`${indexPath} does not list ${entry.name} as ${BundlePath.manifest} describes it (${entry.digest})`, indexPath);
    }
    const { nodes } = await walkLayout(bundle, root);
    const platforms = await documentPlatforms(nodes.at(-1)!.document, (config) => readBlob(bundle, config, MAX_CONFIG_BYTES));
    const claimed = [...entry.platforms].sort();
    if (platforms.join(',') !== claimed.join(',')) {
      throw new BundleError(
        BundleErrorCode.PlatformMismatch,
        `${BundlePath.manifest} says ${entry.name} is for ${claimed.join(', ') || 'no platform'}, but its content is for ${platforms.join(', ') || 'no platform'}`,
        'do not load this bundle; create it again',
        { file: BundlePath.manifest },
      );
    }
    const uncovered = entry.platforms.length ? manifest.platforms.filter((p) => !entry.platforms.includes(p)) : [];
    if (uncovered.length) {
      throw new BundleError(
        BundleErrorCode.PlatformMismatch,
        `the bundle claims ${uncovered.join(', ')}, but ${entry.name} is only for ${entry.platforms.join(', ')}`,
        'do not load this bundle; create it again',
        { file: BundlePath.manifest },
      );
    }
  }
}

/** `os/arch` of an index's entries, or of an image manifest's config; none for artifacts that are not images. */
export async function documentPlatforms(document: ManifestDocument, readConfig: (descriptor: Descriptor) => Promise<Buffer>): Promise<string[]> {
  if (document.kind === 'index') {
    const platforms = document.manifests.flatMap((d) =>
      d.platform && d.platform.os !== 'unknown'
        ? [`${d.platform.os}/${d.platform.architecture}${d.platform.variant && d.platform.variant !== 'v8' ? `/${d.platform.variant}` : ''}`]
        : [],
    );
    return [...new Set(platforms)].sort();
  }
  if (!IMAGE_CONFIG_MEDIA_TYPES.includes(document.config.mediaType)) return [];
  let config: { os?: unknown; architecture?: unknown };
  try {
    config = JSON.parse((await readConfig(document.config)).toString('utf8')) as typeof config;
  } catch (cause) {
    throw incomplete(`the image config ${document.config.digest} is not JSON`, bundleBlobPath(document.config.digest), cause);
  }
  if (typeof config.os !== 'string' || typeof config.architecture !== 'string') return [];
  return [`${config.os}/${config.architecture}`];
}

async function readBlob(bundle: Pick<VerifiedBundle, 'readFile' | 'manifest'>, descriptor: Pick<Descriptor, 'digest' | 'size'>, max: number): Promise<Buffer> {
  blobExists(bundle, descriptor);
  return bundle.readFile(bundleBlobPath(descriptor.digest), max);
}

function blobExists(bundle: Pick<VerifiedBundle, 'manifest'>, descriptor: Pick<Descriptor, 'digest' | 'size'>): void {
  const path = bundleBlobPath(descriptor.digest);
  const file = bundle.manifest.files.find((f) => f.path === path);
  if (!file) throw incomplete(`the layout lacks ${descriptor.digest}, which a manifest names`, path);
  if (file.size !== descriptor.size) {
    throw new BundleError(
      BundleErrorCode.OciDigestMismatch,
      `${path} has ${file.size} bytes, but the descriptor naming it says ${descriptor.size}`,
      'a registry would refuse this content; create the bundle again',
      { file: path },
    );
  }
}

function incomplete(detail: string, file: string, cause?: unknown): BundleError {
  return new BundleError(BundleErrorCode.OciIncomplete, `the bundle's OCI layout is incomplete or invalid: ${detail}`, 'create the bundle again', {
    file,
    cause,
  });
}

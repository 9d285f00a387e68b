import { isDigest, splitPlatform, type Platform } from '@falco-airgap/core';
import { OciError, OciErrorCode } from './errors.ts';
import { INDEX_MEDIA_TYPES, MANIFEST_MEDIA_TYPES } from './media-types.ts';

/** An OCI descriptor, checked: digest is a well-formed sha256/sha512, size a non-negative integer. */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: { os: string; architecture: string; variant?: string };
  artifactType?: string;
}

export interface ImageIndex {
  kind: 'index';
  mediaType: string;
  manifests: Descriptor[];
}

export interface ImageManifest {
  kind: 'manifest';
  mediaType: string;
  artifactType: string | undefined;
  config: Descriptor;
  layers: Descriptor[];
}

export type ManifestDocument = ImageIndex | ImageManifest;

const bad = (what: string, detail: string) =>
  new OciError(
    OciErrorCode.BadManifest,
    `${what}: ${detail}`,
    'the registry serves something that is not a valid OCI manifest; check the reference or republish it',
  );

/**
 * Parses a manifest or index as served; the media type comes from the body when it has one and
 * must agree with the Content-Type, so a registry cannot relabel a document.
 */
export function parseManifestDocument(bytes: Uint8Array, contentType: string | undefined, what: string): ManifestDocument {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (cause) {
    throw bad(what, `not JSON (${(cause as Error).message})`);
  }
  if (!isRecord(json)) throw bad(what, 'not a JSON object');
  if (json.schemaVersion !== 2) throw bad(what, `schemaVersion ${JSON.stringify(json.schemaVersion)} is not 2`);
  const declared = typeof json.mediaType === 'string' ? json.mediaType : undefined;
  const served = contentType?.split(';')[0]?.trim();
  if (declared && served && served !== declared && served !== 'application/json') {
    throw new OciError(
      OciErrorCode.WrongMediaType,
      `${what}: served as ${served} but declares ${declared}`,
      'the registry relabels content; republish the artifact',
    );
  }
  const mediaType = declared ?? served ?? '';
  const isIndex = INDEX_MEDIA_TYPES.includes(mediaType) || (!mediaType && Array.isArray(json.manifests));
  if (isIndex) {
    if (!Array.isArray(json.manifests)) throw bad(what, 'an index without a manifests list');
    return { kind: 'index', mediaType, manifests: json.manifests.map((d, i) => parseDescriptor(d, `${what} manifests[${i}]`)) };
  }
  if (!MANIFEST_MEDIA_TYPES.includes(mediaType) && !(mediaType === '' && isRecord(json.config))) {
    throw new OciError(
      OciErrorCode.WrongMediaType,
      `${what} has media type "${mediaType}", which is neither an image index nor an image manifest`,
      'point the manifest at an OCI artifact or image',
    );
  }
  if (!Array.isArray(json.layers)) throw bad(what, 'a manifest without a layers list');
  return {
    kind: 'manifest',
    mediaType: mediaType || MANIFEST_MEDIA_TYPES[0]!,
    artifactType: typeof json.artifactType === 'string' ? json.artifactType : undefined,
    config: parseDescriptor(json.config, `${what} config`),
    layers: json.layers.map((d, i) => parseDescriptor(d, `${what} layers[${i}]`)),
  };
}

export function parseDescriptor(value: unknown, what: string): Descriptor {
  if (!isRecord(value)) throw bad(what, 'descriptor is not an object');
  const { mediaType, digest, size, annotations, platform, artifactType } = value;
  if (typeof mediaType !== 'string' || !mediaType) throw bad(what, 'descriptor without a mediaType');
  if (typeof digest !== 'string' || !isDigest(digest)) throw bad(what, `descriptor digest ${JSON.stringify(digest)} is not a sha256/sha512 digest`);
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0)
    throw bad(what, `descriptor size ${JSON.stringify(size)} is not a non-negative integer`);
  const descriptor: Descriptor = { mediaType, digest, size };
  if (isRecord(annotations))
    descriptor.annotations = Object.fromEntries(Object.entries(annotations).filter((e): e is [string, string] => typeof e[1] === 'string'));
  if (isRecord(platform) && typeof platform.os === 'string' && typeof platform.architecture === 'string') {
    descriptor.platform = {
      os: platform.os,
      architecture: platform.architecture,
      ...(typeof platform.variant === 'string' ? { variant: platform.variant } : {}),
    };
  }
  if (typeof artifactType === 'string') descriptor.artifactType = artifactType;
  return descriptor;
}

/** The index entry for a platform, if it has one; arm64 accepts the v8 variant or none, as container runtimes do. */
export function findPlatform(index: ImageIndex, platform: Platform): Descriptor | undefined {
  const { os, architecture } = splitPlatform(platform);
  return index.manifests.find(
    (d) =>
      MANIFEST_MEDIA_TYPES.includes(d.mediaType) &&
      d.platform?.os === os &&
      d.platform.architecture === architecture &&
      (d.platform.variant === undefined || (architecture === 'arm64' && d.platform.variant === 'v8')),
  );
}

/** The platforms an index offers, as `os/arch[/variant]`, for messages. */
export function platformsOf(index: ImageIndex): string[] {
  return index.manifests.map((d) =>
    d.platform ? `${d.platform.os}/${d.platform.architecture}${d.platform.variant ? `/${d.platform.variant}` : ''}` : 'unknown',
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

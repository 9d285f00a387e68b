export { createBundle, type BundleImageSource, type CreateBundleDeps, type CreateBundleInput, type CreatedBundle } from './create.ts';
export { verifyBundle, type BundleFileReader, type SignatureCheck, type VerifiedBundle, type VerifyOptions } from './verify.ts';
export { exportBundleFiles, pushBundle, type PushBundleOptions, type PushBundleResult, type PushedEntry, type PushTarget } from './load.ts';
export {
  BUNDLE_API_VERSION,
  BUNDLE_KIND,
  bundleDigest,
  parseBundleManifest,
  serializeBundleManifest,
  type BundleArtifact,
  type BundleChart,
  type BundleFileEntry,
  type BundleImage,
  type BundleManifest,
  type BundleOciEntry,
  type BundleVersions,
} from './bundle-manifest.ts';
export { BundlePath, unsafePathReason } from './bundle-paths.ts';
export {
  algorithmOf,
  generateSigningKeyPair,
  keyIdOf,
  readSigningKey,
  readVerifyKey,
  signBytes,
  SIGNING_ALGORITHMS,
  verifyBytesSignature,
  type SigningAlgorithm,
  type SigningKeyPair,
} from './signing.ts';
export { findArchiveParts, parseSize, partName, type ArchiveParts } from './archive-parts.ts';
export { packageChart, unpackChart, type PackagedChart } from './chart-archive.ts';
export { BundleError, BundleErrorCode, isBundleError } from './errors.ts';
export type { BundleEvent, BundleEventHandler } from './events.ts';
export {
  mirrorArtifacts,
  mirrorIndexEntries,
  parseMirrorTarget,
  planMirror,
  type MirrorEvent,
  type MirrorItem,
  type MirrorOptions,
  type MirrorPlan,
  type MirrorResult,
  type MirrorSkip,
  type MirrorTarget,
} from './mirror.ts';
export { serializeFalcoctlIndex, type FalcoctlIndexEntry } from './falcoctl-index.ts';

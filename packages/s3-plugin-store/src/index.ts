export { S3StoreError, S3StoreErrorCode, interruptionOf, isS3StoreError, type S3StoreErrorDetails } from './errors.ts';
export {
  StoreLayout,
  assertBucketName,
  assertChannelName,
  assertRegion,
  assertReleaseId,
  isChannelName,
  isReleaseId,
  isSha256Hex,
  normalizePrefix,
} from './layout.ts';
export {
  RELEASE_KIND,
  blobPath,
  blobsOf,
  parseReleaseDocument,
  planRelease,
  pluginsFor,
  releaseIdOf,
  serializeRelease,
  type PlannedRelease,
  type ReleaseDocument,
  type ReleaseFile,
  type ReleasePlugin,
  type ReleaseRulesFile,
} from './release.ts';
export { CHANNEL_HISTORY_LIMIT, advancePointer, parseChannelPointer, rewindPointer, serializeChannelPointer, type ChannelPointer } from './channel-pointer.ts';
export { planGc, type GcCandidate, type GcPlan, type GcPlanInput, type LeaseHold } from './gc-plan.ts';
export {
  storeLifecycleConfiguration,
  storePolicies,
  type IamPolicyDocument,
  type IamStatement,
  type LifecycleConfiguration,
  type StorePolicies,
  type StorePolicyOptions,
} from './iam-policy.ts';
export {
  DEFAULT_GC_WINDOW_MS,
  DEFAULT_LEASE_TTL_MS,
  GC_GRACE_MS,
  GC_RUN_KIND,
  LEASE_KIND,
  parseGcRun,
  parseLease,
  type GcRunDocument,
  type LeaseDocument,
} from './leases.ts';
export { checksumMatches, compositeSha256, digestFile, hexToBase64, partDigestsOf, sha256Hex, type FileDigest } from './checksum.ts';
export {
  BLOB_METADATA,
  DEFAULT_MULTIPART_THRESHOLD,
  DEFAULT_PART_SIZE,
  type ListedObject,
  type ObjectInfo,
  type ObjectReader,
  type ObjectStore,
  type ObjectStream,
  type PendingUpload,
  type PutOptions,
  type RequestOptions,
  type StoredObject,
  type UploadOptions,
  type UploadResult,
} from './object-store.ts';
export { ReleaseReader, type ChannelState } from './release-reader.ts';
export { MemoryObjectStore, type MemoryObjectStoreOptions, type MemoryOperation } from './memory-object-store.ts';
export { S3ObjectStore, toStoreError, type S3ObjectStoreOptions } from './s3-object-store.ts';
export { createS3Client, DEFAULT_CONNECTION_TIMEOUT_MS, DEFAULT_REQUEST_TIMEOUT_MS, type S3ConnectionOptions } from './s3-client.ts';
export type { StoreEvent, StoreEventListener } from './events.ts';
export {
  DEFAULT_GC_MIN_AGE_MS,
  PluginStore,
  type ChannelChange,
  type GcOptions,
  type GcResult,
  type PluginStoreOptions,
  type PromoteOptions,
  type PublishedBlob,
  type PublishOptions,
  type PublishResult,
  type ReleaseSummary,
} from './plugin-store.ts';

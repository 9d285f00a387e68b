export { BuildContext, collectBuildContext, type BuildContextSpec, type ContextEntry, type ContextFile } from './build-context.ts';
export { ImageBuilderError, ImageBuilderErrorCode, isImageBuilderError } from './errors.ts';
export {
  buildImageSet,
  type BuildImageSetOptions,
  type ImageBuilderPorts,
  type ImageBuildEvent,
  type ImageBuildResult,
  type ImageStatus,
} from './image-builder.ts';
export {
  buildDigest,
  DEFAULT_BASE_IMAGE,
  DEFAULT_PLATFORM,
  defaultFalcoImage,
  IMAGE_NAMES,
  IMAGE_REPOSITORIES,
  normalizeRegistry,
  planImageSet,
  type ImageName,
  type ImagePlan,
  type ImageSetSettings,
  type LockInput,
} from './image-plan.ts';
export { LABELS } from './labels.ts';
export { LISTING_FILE, LOCK_FILE, PAYLOAD_DIR, pluginPayload, type PluginPayload, type PluginPayloadInput } from './plugin-payload.ts';
export { readPublishedImage, type ImageRegistry, type PublishedImage } from './registry-state.ts';

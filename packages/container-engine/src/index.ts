export type {
  BuildOptions,
  BuiltImage,
  CallOptions,
  ContainerEngine,
  ContainerLogs,
  ContainerPathStat,
  ContainerRunResult,
  ContainerSpec,
  EngineOperation,
  EngineProgressEvent,
  EngineProgressListener,
  ImageInfo,
  LongCallOptions,
  PullOptions,
  PushedImage,
  PushOptions,
  RegistryAuth,
  RemoveOptions,
  RunOptions,
} from './container-engine.ts';
export {
  createDockerEngine,
  DEFAULT_OPERATION_TIMEOUT_MS,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DockerEngine,
  type CreateDockerEngineOptions,
  type DockerEngineOptions,
} from './docker-engine.ts';
export { DEFAULT_DOCKER_HOST, dockerOptionsForHost } from './docker-host.ts';
export { EngineError, EngineErrorCode, isEngineError, type EngineErrorDetails } from './errors.ts';
export { demultiplexLogs } from './log-frames.ts';
export { followProgress, type FollowProgressOptions, type ProgressMessage, type ProgressOutcome } from './progress-stream.ts';

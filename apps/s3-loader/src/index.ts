export { main, version, type LoaderProcess } from './main.ts';
export { runLoader, type LoaderDependencies, type LoaderOutcome } from './loader.ts';
export { DEFAULT_DESTINATION, parseLoaderArgs, usage, type LoaderConfig, type OnUnavailable, type ParsedCommand } from './config.ts';
export { LoaderError, LoaderErrorCode, LoaderExit, loaderExitCodeFor } from './errors.ts';
export { STATE_KIND, type InstallItem, type InstallState } from './install.ts';
export type { Log, LogRecord } from './log.ts';

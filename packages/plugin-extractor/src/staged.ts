import type { Platform } from '@falco-airgap/core';
import type { PluginApiVersionSource } from '@falco-airgap/manifest';
import type { ApiVersionWarning } from './api-version.ts';

/** A plugin file for one platform, verified and waiting in the staging area. */
export interface StagedPluginFile {
  platform: Platform;
  resolvedDigest: string;
  manifestDigest: string;
  /** Undefined when the source cannot tell which layer held the file (the Docker engine). */
  layerDigest: string | undefined;
  stagedFile: string;
  sha256: string;
  size: number;
  elfMachine: string;
  pluginApiVersion: string;
  pluginApiVersionSource: PluginApiVersionSource;
  /** How the API version was established when that deserves the user's attention. */
  warnings: ApiVersionWarning[];
  /** An unpacked layer or filesystem to keep under plugins/source. */
  source?: StagedTree | undefined;
}

/** A staged directory tree to install as a whole, with its files when known (to skip an identical install). */
export interface StagedTree {
  stagedDir: string;
  relativeDir: string;
  files?: { path: string; sha256: string }[] | undefined;
}

export interface StagedRulesFile {
  file: string;
  /** Relative to the rules directory. */
  relativePath: string;
  stagedFile: string;
  sha256: string;
  size: number;
}

export interface StagedRulesfile {
  resolvedDigest: string;
  manifestDigest: string;
  layerDigest: string;
  files: StagedRulesFile[];
  source?: StagedTree | undefined;
}

/** Counts what crossed the network, so a re-run can show it downloaded nothing. */
export interface TransferStats {
  blobsDownloaded: number;
  blobsFromCache: number;
}

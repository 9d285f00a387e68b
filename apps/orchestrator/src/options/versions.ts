import type { Command } from 'commander';

/** The versions flag as commander parsed it. */
export interface VersionsFlags {
  versionsFile?: string | undefined;
}

/** Adds --versions-file: another Falco versions catalogue than the one shipped (e.g. a newer copy), so the lifecycle changes without a release. */
export function addVersionsFileOption(command: Command): Command {
  return command.option(
    '--versions-file <file>',
    "Falco versions catalogue (default: the configuration's versionsFile, else the versions.yaml shipped with falco-airgap)",
  );
}

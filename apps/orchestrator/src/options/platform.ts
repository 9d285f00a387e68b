import { isSupportedPlatform, SUPPORTED_PLATFORMS, type Platform } from '@falco-airgap/core';
import type { Command } from 'commander';
import { CliError, CliErrorCode } from '../cli-error.ts';
import { repeatable } from './repeatable.ts';

/** Adds the repeatable --platform; `fallback` says what an empty list means for this command. */
export function addPlatformOption(command: Command, fallback: string): Command {
  return command.option('--platform <os/arch>', `only this platform (repeatable; default: ${fallback})`, repeatable, [] as string[]);
}

/** The --platform values as platforms; an empty list leaves the choice to the stage. */
export function parsePlatforms(values: readonly string[] | undefined): Platform[] {
  return (values ?? []).map((value): Platform => {
    if (!isSupportedPlatform(value))
      throw new CliError(`unsupported --platform "${value}"`, CliErrorCode.Usage, 'input', `use one of ${SUPPORTED_PLATFORMS.join(', ')}`);
    return value;
  });
}

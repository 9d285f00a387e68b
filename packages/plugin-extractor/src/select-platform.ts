import type { Platform } from '@falco-airgap/core';
import { findPlatform, platformsOf, type Descriptor, type ImageIndex } from '@falco-airgap/oci';
import { ExtractError, ExtractErrorCode } from './errors.ts';

/** The index entry for one of the manifest's platforms; a platform the index lacks is an input error of the manifest. */
export function selectPlatform(index: ImageIndex, platform: Platform, what: string): Descriptor {
  const chosen = findPlatform(index, platform);
  if (!chosen) {
    throw new ExtractError(
      ExtractErrorCode.PlatformMissing,
      `${what} has no ${platform} manifest (it offers ${platformsOf(index).join(', ') || 'none'})`,
      `drop ${platform} from platforms in the manifest or pick a release that ships it`,
    );
  }
  return chosen;
}

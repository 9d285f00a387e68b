/** Platforms Falco publishes plugins for; anything else is refused early. */
export const SUPPORTED_PLATFORMS = ['linux/amd64', 'linux/arm64'] as const;
export type Platform = (typeof SUPPORTED_PLATFORMS)[number];

export function isSupportedPlatform(value: string): value is Platform {
  return (SUPPORTED_PLATFORMS as readonly string[]).includes(value);
}

export interface PlatformParts {
  os: string;
  architecture: string;
}

export function splitPlatform(platform: Platform): PlatformParts {
  const [os, architecture] = platform.split('/') as [string, string];
  return { os, architecture };
}

/** Directory name under plugins/extracted, e.g. `linux-amd64`. */
export function platformDirectory(platform: Platform): string {
  return platform.replace('/', '-');
}

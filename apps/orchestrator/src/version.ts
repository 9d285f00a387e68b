import { createRequire } from 'node:module';

// Read at run time so the published package and the source tree report the same version.
export const version: string = (createRequire(import.meta.url)('../package.json') as { version: string }).version;

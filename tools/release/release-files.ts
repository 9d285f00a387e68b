// The text files a release rehearsal writes, as pure functions so they can be tested and read.

export interface NpmrcOptions {
  /** Registry URL ending in "/", e.g. http://127.0.0.1:4873/ */
  internalRegistry: string;
  token: string;
  /** When set, only this scope comes from the internal registry and everything else from `defaultRegistry`. */
  scope?: string | undefined;
  defaultRegistry?: string | undefined;
  cacheDir: string;
}

/** A userconfig for npm: the publisher's (everything goes to the internal registry) or a consumer's (one scope does). */
export function renderNpmrc(options: NpmrcOptions): string {
  const registryLines = options.scope
    ? [`${options.scope}:registry=${options.internalRegistry}`, ...(options.defaultRegistry ? [`registry=${options.defaultRegistry}`] : [])]
    : [`registry=${options.internalRegistry}`];
  return [
    ...registryLines,
    `${authKey(options.internalRegistry)}:_authToken=${options.token}`,
    `cache=${options.cacheDir}`,
    'fund=false',
    'audit=false',
    'update-notifier=false',
    'progress=false',
    '',
  ].join('\n');
}

/** npm keys credentials by the registry URL without its protocol: //host:port/path/ */
export function authKey(registryUrl: string): string {
  const url = new URL(registryUrl);
  const path = url.pathname.endsWith('/') ? url.pathname : `${url.pathname}/`;
  return `//${url.host}${path}`;
}

export type BumpType = 'patch' | 'minor' | 'major';

/** A changeset file as `changeset add` writes it. */
export function renderChangeset(packageNames: readonly string[], bump: BumpType, summary: string): string {
  if (packageNames.length === 0) throw new Error('a changeset needs at least one package');
  return ['---', ...packageNames.map((name) => `'${name}': ${bump}`), '---', '', summary, ''].join('\n');
}

/** Replaces every secret in `text`; secrets shorter than 6 characters are ignored so common words stay readable. */
export function redact(text: string, secrets: Iterable<string>): string {
  let result = text;
  for (const secret of secrets) {
    if (secret.length >= 6) result = result.split(secret).join('***');
  }
  return result;
}

/** The closing line CI logs are read by, in the form the vitest summary reporter uses. */
export function summaryLine(counts: { passed: number; failed: number; skipped: number }): string {
  const skipped = counts.skipped ? `, ${counts.skipped} skipped` : '';
  return `release:verify: ${counts.passed} passed, ${counts.failed} failed${skipped}`;
}

/** The last `lines` lines of a command's output: where npm and changesets put the reason. */
export function tail(text: string, lines = 40): string {
  const all = text.trimEnd().split('\n');
  const kept = all.slice(-lines);
  return (all.length > lines ? [`… ${all.length - lines} earlier lines`, ...kept] : kept).join('\n');
}

import { ExtractError, ExtractErrorCode } from './errors.ts';

/** Caps on what one archive may unpack to; callers raise them through `artifactLimits`. */
export interface ArchiveLimits {
  /** Bytes of the uncompressed tar stream (headers included): what a decompression bomb inflates. */
  maxBytes: number;
  maxEntries: number;
}

const MiB = 1024 * 1024;
/** Plugin and rules layers are a few MiB; far beyond that is an attack or a mistake. */
export const ARTIFACT_LIMITS: ArchiveLimits = { maxBytes: 512 * MiB, maxEntries: 10_000 };
/** Container image layers are large by nature. */
export const IMAGE_LAYER_LIMITS: ArchiveLimits = { maxBytes: 16 * 1024 * MiB, maxEntries: 1_000_000 };

export type EntryKind = 'file' | 'directory' | 'symlink' | 'hardlink' | 'special';

/** What an archive may contain besides regular files and directories. */
export interface ArchivePolicy {
  /** Image layers hold symlinks and hardlinks as part of the filesystem; artifacts must not. */
  allowLinks: boolean;
  /** Device nodes and FIFOs are recorded (never created) in image layers; refused in artifacts. */
  allowSpecial: boolean;
}

export const ARTIFACT_POLICY: ArchivePolicy = { allowLinks: false, allowSpecial: false };
export const IMAGE_LAYER_POLICY: ArchivePolicy = { allowLinks: true, allowSpecial: true };

export function entryKind(type: string | null | undefined): EntryKind {
  switch (type) {
    case 'file':
    case 'contiguous-file':
    case null:
    case undefined:
      return 'file';
    case 'directory':
      return 'directory';
    case 'symlink':
      return 'symlink';
    case 'link':
      return 'hardlink';
    default:
      return 'special';
  }
}

/**
 * The normalised relative path of an entry, or a refusal: absolute paths, `..` components,
 * backslashes and NUL bytes never name anything inside the output directory.
 */
export function safeEntryPath(name: string, what: string): string {
  const refuse = (why: string) =>
    new ExtractError(
      ExtractErrorCode.TarSlip,
      `${what} contains the entry ${JSON.stringify(name)}, which ${why}`,
      'the archive tries to write outside its directory; do not use it',
    );
  if (name.includes('\0')) throw refuse('has a NUL byte');
  if (name.startsWith('/')) throw refuse('is an absolute path');
  if (name.includes('\\')) throw refuse('has a backslash, which some tools treat as a separator');
  const parts = name.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.some((part) => part === '..')) throw refuse('climbs out with ..');
  return parts.join('/');
}

/** Counts entries and bytes of one archive and enforces its policy, entry by entry. */
export class ArchiveGuard {
  readonly what: string;
  readonly limits: ArchiveLimits;
  readonly policy: ArchivePolicy;
  #entries = 0;
  #bytes = 0;
  readonly #seen = new Map<string, EntryKind>();

  constructor(what: string, limits: ArchiveLimits, policy: ArchivePolicy) {
    this.what = what;
    this.limits = limits;
    this.policy = policy;
  }

  /** Checks one header; returns its normalised path ('' is the archive root itself, e.g. `./`). */
  admit(header: { name: string; type: string | null | undefined; linkname?: string | null | undefined }): {
    path: string;
    kind: EntryKind;
    linkTarget: string | undefined;
  } {
    this.#entries++;
    if (this.#entries > this.limits.maxEntries) {
      throw new ExtractError(
        ExtractErrorCode.TarTooManyEntries,
        `${this.what} has more than ${this.limits.maxEntries} entries`,
        'raise `artifactLimits.maxEntries` if this archive is legitimate',
      );
    }
    const path = safeEntryPath(header.name, this.what);
    const kind = entryKind(header.type);
    if ((kind === 'symlink' || kind === 'hardlink') && !this.policy.allowLinks) {
      throw new ExtractError(
        ExtractErrorCode.TarLink,
        `${this.what} contains a ${kind} ${JSON.stringify(header.name)} -> ${JSON.stringify(header.linkname ?? '')}`,
        'plugin and rules artifacts hold plain files only; do not use this artifact',
      );
    }
    if (kind === 'special' && !this.policy.allowSpecial) {
      throw new ExtractError(
        ExtractErrorCode.TarSpecialFile,
        `${this.what} contains ${JSON.stringify(header.name)} of type ${header.type}`,
        'plugin and rules artifacts hold plain files only; do not use this artifact',
      );
    }
    let linkTarget: string | undefined;
    if (kind === 'hardlink') linkTarget = safeEntryPath(header.linkname ?? '', this.what);
    else if (kind === 'symlink') linkTarget = header.linkname ?? '';
    const previous = this.#seen.get(path);
    // A directory listed twice is harmless; a second file under the same name would silently win.
    if (previous !== undefined && !(previous === 'directory' && kind === 'directory') && path !== '') {
      throw new ExtractError(
        ExtractErrorCode.TarDuplicate,
        `${this.what} contains ${JSON.stringify(path)} twice`,
        'an archive with duplicate names is ambiguous; do not use it',
      );
    }
    this.#seen.set(path, kind);
    return { path, kind, linkTarget };
  }

  /** Counts uncompressed bytes as they come out of the decompressor. */
  count(bytes: number): void {
    this.#bytes += bytes;
    if (this.#bytes > this.limits.maxBytes) {
      throw new ExtractError(
        ExtractErrorCode.TarTooLarge,
        `${this.what} unpacks to more than ${this.limits.maxBytes} bytes`,
        'this looks like a decompression bomb; raise `artifactLimits.maxBytes` only if the archive is legitimate',
      );
    }
  }
}

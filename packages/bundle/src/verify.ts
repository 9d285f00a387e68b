import { parseLock } from '@falco-airgap/manifest';
import { digestOfLayoutPath } from '@falco-airgap/oci';
import { createHash, type KeyObject } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { lstat, open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { findArchiveParts, isDirectory, PartsReader, truncated } from './archive-parts.ts';
import { ArchiveScanner } from './archive-reader.ts';
import { bundleDigest, MAX_MANIFEST_BYTES, parseBundleManifest, type BundleFileEntry, type BundleManifest } from './bundle-manifest.ts';
import { BundlePath, comparePaths, MANIFEST_FILES } from './bundle-paths.ts';
import { BundleError, BundleErrorCode, ioError } from './errors.ts';
import type { BundleEventHandler } from './events.ts';
import { readChunks } from './files.ts';
import { checkLayout } from './layout-check.ts';
import { algorithmOf, keyIdOf, verifyBytesSignature, type SigningAlgorithm } from './signing.ts';

const MAX_SIGNATURE_BYTES = 64 * 1024;
const MAX_LOCK_BYTES = 16 * 1024 * 1024;

export interface VerifyOptions {
  /** The public key the manifest must be signed with; without one the signature is not checked. */
  publicKey?: KeyObject | undefined;
  /** Platforms the bundle must cover (`os/arch`). */
  platforms?: readonly string[] | undefined;
  signal?: AbortSignal | undefined;
  onEvent?: BundleEventHandler | undefined;
}

export type SignatureCheck =
  | { status: 'verified'; algorithm: SigningAlgorithm; keyId: string }
  /** No key was given: the bundle is complete and unaltered against its manifest, but who made it is not proven. */
  | { status: 'not-checked'; signed: boolean };

/** Random reads of one verified file of the bundle. */
export interface BundleFileReader {
  path: string;
  size: number;
  sha256: string;
  read(offset: number, length: number): Promise<Uint8Array>;
  /** Reads exactly `length` bytes at `offset` into `buffer` (from its start): no allocation per read. */
  readInto(buffer: Buffer, offset: number, length: number): Promise<void>;
}

/** A bundle whose signature, files and layout were checked; read its files through it. */
export interface VerifiedBundle {
  location: string;
  format: 'directory' | 'archive';
  /** The archive's parts, in order (the directory itself for a directory bundle). */
  parts: string[];
  manifest: BundleManifest;
  manifestBytes: Buffer;
  /** sha256 of bundle.json: names the bundle, whatever form it travels in. */
  digest: string;
  signature: SignatureCheck;
  /** Bytes of every file checked. */
  totalBytes: number;
  file(path: string): BundleFileReader;
  readFile(path: string, max?: number): Promise<Buffer>;
  close(): Promise<void>;
}

/**
 * Checks a bundle (a directory, an archive, or the first part of a split one) before anything is
 * taken from it: the signature of bundle.json first, then every file against the manifest (none
 * missing, none extra, sizes and sha256), the OCI layout (every blob its digest, every manifest's
 * content present) and the platforms. The first problem is thrown as a BundleError; nothing is written.
 */
export async function verifyBundle(path: string, options: VerifyOptions = {}): Promise<VerifiedBundle> {
  return (await isDirectory(path)) ? verifyDirectory(path, options) : verifyArchive(path, options);
}

interface Checked {
  manifest: BundleManifest;
  manifestBytes: Buffer;
  signature: SignatureCheck;
  expected: Map<string, BundleFileEntry>;
}

/** Signature, then manifest, then the platforms the manifest claims: all before a single file is hashed. */
function checkManifest(manifestBytes: Buffer, signatureText: Buffer | undefined, options: VerifyOptions): Checked {
  options.onEvent?.({ type: 'verify', phase: 'signature', status: 'running' });
  let signature: SignatureCheck;
  if (options.publicKey) {
    if (signatureText === undefined) {
      throw new BundleError(
        BundleErrorCode.Unsigned,
        `the bundle has no ${BundlePath.signature}, and a signed bundle is required`,
        'ask for the bundle signed with the key you trust, or check it without `publicKey` to only check its integrity',
        { file: BundlePath.signature },
      );
    }
    if (!verifyBytesSignature(manifestBytes, signatureText, options.publicKey)) {
      throw new BundleError(
        BundleErrorCode.BadSignature,
        `${BundlePath.signature} is not a valid signature of ${BundlePath.manifest} by the key ${keyIdOf(options.publicKey)}`,
        'the bundle was signed with another key, or its manifest was altered after signing; do not load it',
        { file: BundlePath.signature },
      );
    }
    signature = { status: 'verified', algorithm: algorithmOf(options.publicKey, 'the public key'), keyId: keyIdOf(options.publicKey) };
  } else {
    signature = { status: 'not-checked', signed: signatureText !== undefined };
  }
  options.onEvent?.({ type: 'verify', phase: 'signature', status: 'done', detail: signature.status });
  const manifest = parseBundleManifest(manifestBytes);
  const missing = (options.platforms ?? []).filter((p) => !manifest.platforms.includes(p));
  if (missing.length) {
    throw new BundleError(
      BundleErrorCode.PlatformMismatch,
      `the bundle covers ${manifest.platforms.join(', ') || 'no platform'}, not ${missing.join(', ')}`,
      `create a bundle for ${missing.join(', ')} on the connected side`,
    );
  }
  return { manifest, manifestBytes, signature, expected: new Map(manifest.files.map((f) => [f.path, f])) };
}

async function verifyDirectory(dir: string, options: VerifyOptions): Promise<VerifiedBundle> {
  const readTop = async (name: string, max: number): Promise<Buffer | undefined> => {
    const file = join(dir, name);
    const info = await lstat(file).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw ioError(`cannot read ${file}`, error);
    });
    if (!info) return undefined;
    if (!info.isFile()) throw notRegular(name, info.isSymbolicLink());
    if (info.size > max) throw tooLarge(name, info.size, max);
    return readRange(file, 0, info.size, Buffer.alloc(info.size));
  };
  const manifestBytes = await readTop(BundlePath.manifest, MAX_MANIFEST_BYTES);
  if (!manifestBytes) throw missingManifest(dir);
  const checked = checkManifest(manifestBytes, await readTop(BundlePath.signature, MAX_SIGNATURE_BYTES), options);

  const present = await listDirectory(dir);
  for (const path of present) {
    if (!checked.expected.has(path) && !MANIFEST_FILES.includes(path)) throw extraFile(path);
  }
  const presentSet = new Set(present);
  for (const path of checked.expected.keys()) if (!presentSet.has(path)) throw missingFile(path);

  const files = [...checked.expected.values()];
  const total = files.reduce((sum, f) => sum + f.size, 0);
  let hashed = 0;
  options.onEvent?.({ type: 'verify', phase: 'files', status: 'running', checked: 0, total });
  for (const entry of files) {
    options.signal?.throwIfAborted();
    const file = join(dir, entry.path);
    const info = await lstat(file).catch((cause: unknown) => {
      throw ioError(`cannot read ${file}`, cause);
    });
    if (info.size !== entry.size) throw sizeMismatch(entry, info.size);
    const hash = createHash('sha256');
    await readChunks(
      file,
      (chunk) => {
        hash.update(chunk);
        hashed += chunk.length;
        options.onEvent?.({ type: 'verify', phase: 'files', status: 'running', checked: hashed, total });
      },
      options.signal,
    );
    checkDigest(entry, hash.digest('hex'));
  }
  options.onEvent?.({ type: 'verify', phase: 'files', status: 'done', checked: hashed, total });

  const fileReader = (path: string): BundleFileReader => {
    const entry = verifiedEntry(checked.expected, path);
    const file = join(dir, entry.path);
    return {
      ...entry,
      read: (offset, length) => readRange(file, offset, length, Buffer.alloc(length)),
      readInto: async (buffer, offset, length) => void (await readRange(file, offset, length, buffer)),
    };
  };
  const bundle = finish(dir, 'directory', [dir], checked, total, fileReader);
  await verifyContent(bundle, options);
  return bundle;
}

async function verifyArchive(path: string, options: VerifyOptions): Promise<VerifiedBundle> {
  const found = await findArchiveParts(path);
  const reader = new PartsReader(found);
  try {
    const scanner = new ArchiveScanner(reader);
    const first = await scanner.next();
    if (!first || first.path !== BundlePath.manifest) {
      throw new BundleError(
        BundleErrorCode.BadManifest,
        `the first entry of the archive is ${first ? first.path : 'missing'}, not ${BundlePath.manifest}`,
        'the archive was not made by falco-airgap, or was repacked; use the archive as it was created',
        { file: BundlePath.manifest },
      );
    }
    const manifestBytes = await scanner.readWhole(MAX_MANIFEST_BYTES);
    let next = await scanner.next();
    let signatureText: Buffer | undefined;
    if (next?.path === BundlePath.signature) {
      signatureText = await scanner.readWhole(MAX_SIGNATURE_BYTES);
      next = await scanner.next();
    }
    const checked = checkManifest(manifestBytes, signatureText, options);
    const offsets = new Map<string, number>();
    const total = [...checked.expected.values()].reduce((sum, f) => sum + f.size, 0);
    let hashed = 0;
    options.onEvent?.({ type: 'verify', phase: 'files', status: 'running', checked: 0, total });
    for (; next; next = await scanner.next()) {
      options.signal?.throwIfAborted();
      const entry = checked.expected.get(next.path);
      if (!entry) throw extraFile(next.path);
      if (next.size !== entry.size) throw sizeMismatch(entry, next.size);
      const hash = createHash('sha256');
      await scanner.content((chunk) => {
        hash.update(chunk);
        hashed += chunk.length;
        options.onEvent?.({ type: 'verify', phase: 'files', status: 'running', checked: hashed, total });
      });
      checkDigest(entry, hash.digest('hex'));
      offsets.set(next.path, next.offset);
    }
    for (const expected of checked.expected.keys()) if (!offsets.has(expected)) throw missingFile(expected);
    options.onEvent?.({ type: 'verify', phase: 'files', status: 'done', checked: hashed, total });

    const fileReader = (file: string): BundleFileReader => {
      const entry = verifiedEntry(checked.expected, file);
      const start = offsets.get(file)!;
      const inRange = (offset: number, length: number) => {
        if (offset < 0 || offset + length > entry.size) throw new RangeError(`${file}: ${offset}+${length} is outside its ${entry.size} bytes`);
      };
      return {
        ...entry,
        read: (offset, length) => {
          inRange(offset, length);
          return reader.read(start + offset, length, file);
        },
        readInto: async (buffer, offset, length) => {
          inRange(offset, length);
          if ((await reader.readInto(buffer, start + offset, length)) < length) throw truncated(file);
        },
      };
    };
    const bundle = finish(
      found.file,
      'archive',
      found.parts.map((p) => p.path),
      checked,
      total,
      fileReader,
      () => reader.close(),
    );
    await verifyContent(bundle, options);
    return bundle;
  } catch (error) {
    await reader.close();
    throw error;
  }
}

function finish(
  location: string,
  format: VerifiedBundle['format'],
  parts: string[],
  checked: Checked,
  totalBytes: number,
  file: (path: string) => BundleFileReader,
  close: () => Promise<void> = async () => undefined,
): VerifiedBundle {
  return {
    location,
    format,
    parts,
    manifest: checked.manifest,
    manifestBytes: checked.manifestBytes,
    digest: bundleDigest(checked.manifestBytes),
    signature: checked.signature,
    totalBytes,
    file,
    async readFile(path, max = MAX_MANIFEST_BYTES) {
      const reader = file(path);
      if (reader.size > max) throw tooLarge(path, reader.size, max);
      return Buffer.from(await reader.read(0, reader.size));
    },
    close,
  };
}

/** What the files hold, now that each is known to be what the manifest says: the layout, the platforms, the lock. */
async function verifyContent(bundle: VerifiedBundle, options: VerifyOptions): Promise<void> {
  options.onEvent?.({ type: 'verify', phase: 'layout', status: 'running' });
  const { manifest } = bundle;
  for (const entry of manifest.files) {
    const digest = entry.path.startsWith(`${BundlePath.layout}/`) ? digestOfLayoutPath(entry.path.slice(BundlePath.layout.length + 1)) : undefined;
    if (digest?.startsWith('sha256:') && digest !== `sha256:${entry.sha256}`) {
      throw new BundleError(
        BundleErrorCode.OciDigestMismatch,
        `${entry.path} holds content with digest sha256:${entry.sha256}, not the digest its name gives`,
        'a registry would refuse this blob; create the bundle again',
        { file: entry.path },
      );
    }
  }
  await checkLayout(bundle);
  await checkLock(bundle);
  options.onEvent?.({ type: 'verify', phase: 'layout', status: 'done' });
}

/** Every plugin of the lock has a file for every platform the bundle claims, and every locked file is in the bundle as locked. */
async function checkLock(bundle: VerifiedBundle): Promise<void> {
  const { manifest } = bundle;
  let lock;
  try {
    lock = parseLock((await bundle.readFile(manifest.lock, MAX_LOCK_BYTES)).toString('utf8'), manifest.lock);
  } catch (cause) {
    throw new BundleError(
      BundleErrorCode.BadManifest,
      `${manifest.lock} is not a valid lock: ${(cause as Error).message}`,
      'create the bundle again from a valid lock',
      {
        cause,
        file: manifest.lock,
      },
    );
  }
  const extracted = (path: string, sha256: string, size: number, what: string) => {
    const file = `${BundlePath.extracted}/${path}`;
    const entry = manifest.files.find((f) => f.path === file);
    if (!entry) throw missingFile(file, `${what} is locked, but the bundle does not hold its file`);
    if (entry.sha256 !== sha256 || entry.size !== size) {
      throw new BundleError(
        BundleErrorCode.DigestMismatch,
        `${file} is not the file the lock records for ${what} (sha256 ${entry.sha256}, locked ${sha256})`,
        'the bundle mixes files of two extract runs; create it again',
        { file },
      );
    }
  };
  for (const plugin of lock.plugins) {
    for (const platform of manifest.platforms) {
      const locked = plugin.platforms.find((p) => p.platform === platform);
      if (!locked) {
        throw new BundleError(
          BundleErrorCode.PlatformMismatch,
          `the bundle claims ${platform}, but its lock has no ${platform} build of plugin ${plugin.name}`,
          `extract for ${platform} and create the bundle again`,
          { file: manifest.lock },
        );
      }
    }
    for (const locked of plugin.platforms) extracted(locked.path, locked.sha256, locked.size, `plugin ${plugin.name} (${locked.platform})`);
  }
  for (const rulesfile of lock.rulesfiles) for (const file of rulesfile.files) extracted(file.path, file.sha256, file.size, `rules file ${file.file}`);
}

async function listDirectory(dir: string): Promise<string[]> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true, recursive: true });
  } catch (cause) {
    throw ioError(`cannot list ${dir}`, cause);
  }
  const files: string[] = [];
  for (const entry of entries) {
    const path = join(entry.parentPath, entry.name)
      .slice(dir.length + 1)
      .split('\\')
      .join('/');
    if (entry.isDirectory()) continue;
    if (!entry.isFile()) throw notRegular(path, entry.isSymbolicLink());
    files.push(path);
  }
  return files.sort(comparePaths);
}

async function readRange(file: string, offset: number, length: number, buffer: Buffer): Promise<Buffer> {
  const handle = await open(file, 'r').catch((cause: unknown) => {
    throw ioError(`cannot open ${file}`, cause);
  });
  try {
    const { bytesRead } = await handle.read(buffer, 0, length, offset);
    if (bytesRead !== length) {
      throw new BundleError(
        BundleErrorCode.SizeMismatch,
        `${file} changed after it was verified`,
        'leave the bundle alone while it is loaded, then load it again',
      );
    }
    return buffer;
  } finally {
    await handle.close();
  }
}

function verifiedEntry(expected: Map<string, BundleFileEntry>, path: string): BundleFileEntry {
  const entry = expected.get(path);
  if (!entry) throw missingFile(path, `${path} is named by the bundle's content but not listed in ${BundlePath.manifest}`);
  return entry;
}

function checkDigest(entry: BundleFileEntry, actual: string): void {
  if (actual !== entry.sha256) {
    throw new BundleError(
      BundleErrorCode.DigestMismatch,
      `${entry.path} has sha256 ${actual}, but ${BundlePath.manifest} records ${entry.sha256}`,
      'the file was altered or damaged after the bundle was created; do not load it, copy the bundle again',
      { file: entry.path },
    );
  }
}

function sizeMismatch(entry: BundleFileEntry, actual: number): BundleError {
  return new BundleError(
    BundleErrorCode.SizeMismatch,
    `${entry.path} has ${actual} bytes, but ${BundlePath.manifest} records ${entry.size}`,
    'the file was cut short, grown or replaced after the bundle was created; copy the bundle again',
    { file: entry.path },
  );
}

function extraFile(path: string): BundleError {
  return new BundleError(
    BundleErrorCode.ExtraFile,
    `the bundle holds ${path}, which ${BundlePath.manifest} does not list`,
    'something was added to the bundle after it was created; do not load it, copy the bundle again',
    { file: path },
  );
}

function missingFile(path: string, message = `the bundle lacks ${path}, which ${BundlePath.manifest} lists`): BundleError {
  return new BundleError(BundleErrorCode.MissingFile, message, 'the bundle is incomplete; copy it again', { file: path });
}

function missingManifest(location: string): BundleError {
  return new BundleError(BundleErrorCode.MissingFile, `${location} has no ${BundlePath.manifest}`, 'give the directory a bundle was created into', {
    file: BundlePath.manifest,
  });
}

function notRegular(path: string, symlink: boolean): BundleError {
  return symlink
    ? new BundleError(
        BundleErrorCode.Link,
        `the bundle holds a symbolic link at ${path}`,
        'a bundle holds only regular files; a link may point outside it; do not load it',
        {
          file: path,
        },
      )
    : new BundleError(
        BundleErrorCode.BadArchive,
        `the bundle holds ${path}, which is not a regular file`,
        'a bundle holds only regular files; do not load it',
        {
          file: path,
        },
      );
}

function tooLarge(path: string, size: number, max: number): BundleError {
  return new BundleError(
    BundleErrorCode.SizeMismatch,
    `${path} has ${size} bytes, more than the ${max} it may have`,
    'this is not a bundle falco-airgap made',
    {
      file: path,
    },
  );
}

import type { Platform } from '@falco-airgap/core';
import type { PluginsLock } from '@falco-airgap/manifest';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { ContextFile } from './build-context.ts';
import { ImageBuilderError, ImageBuilderErrorCode } from './errors.ts';
import { LABELS } from './labels.ts';

/** Where the install program finds what it installs, relative to its own directory in the image. */
export const PAYLOAD_DIR = 'payload';
/** The listing the install program checks: one `<sha256> <size> <path>` line per file, paths relative to its directory. */
export const LISTING_FILE = 'files.sha256';
export const LOCK_FILE = 'plugins-lock.yaml';
/** Names the install program accepts; anything else in a lock is refused before it reaches an image. */
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]*$/;

export interface PluginPayloadInput {
  lock: PluginsLock;
  /** The lock file's bytes, baked in as they are. */
  lockBytes: Buffer;
  /** plugins/extracted: `<os>-<arch>/lib<name>.so` and `rules/...` as extract wrote them. */
  extractedDir: string;
  platform: Platform;
}

export interface PluginPayload {
  /** Context files: the lock, the listing and every plugin and rules file under payload/. */
  files: ContextFile[];
  /** `sha256:<hex>` of the lock bytes. */
  lockDigest: string;
  /** The lock digest and the version of every plugin and rulesfile. */
  labels: Record<string, string>;
  /** What the listing names, in its order. */
  listing: { sha256: string; size: number; path: string }[];
}

/**
 * What the plugin-loader image carries for one platform: every plugin built for it and every rules
 * file of the lock, each checked against the lock (size, sha256) before it goes into a context.
 */
export async function pluginPayload(input: PluginPayloadInput): Promise<PluginPayload> {
  const { lock, platform } = input;
  const wanted: { sha256: string; size: number; from: string; to: string; what: string }[] = [];
  for (const plugin of lock.plugins) {
    const build = plugin.platforms.find((p) => p.platform === platform);
    if (!build) {
      throw new ImageBuilderError(
        ImageBuilderErrorCode.InputMissing,
        `the lock has no ${platform} build of plugin ${plugin.name} ${plugin.version}`,
        `extract the plugins for ${platform}, or build for a platform the lock holds (\`platform\`)`,
      );
    }
    wanted.push({ sha256: build.sha256, size: build.size, from: build.path, to: `${PAYLOAD_DIR}/${safeName(build.file)}`, what: `plugin ${plugin.name}` });
  }
  for (const rulesfile of lock.rulesfiles) {
    for (const file of rulesfile.files) {
      wanted.push({
        sha256: file.sha256,
        size: file.size,
        from: file.path,
        to: `${PAYLOAD_DIR}/rules/${safeName(file.file)}`,
        what: `rulesfile ${rulesfile.name}`,
      });
    }
  }
  const seen = new Set<string>();
  for (const w of wanted) {
    if (seen.has(w.to)) {
      throw new ImageBuilderError(
        ImageBuilderErrorCode.ContextConflict,
        `two entries of the lock install ${w.to}`,
        'give every plugin and rules file its own name',
      );
    }
    seen.add(w.to);
  }

  const files: ContextFile[] = [];
  for (const w of wanted) {
    const file = join(input.extractedDir, w.from);
    await verifyFile(file, w.sha256, w.size, w.what);
    files.push({ path: w.to, source: { file } });
  }
  const lockSha256 = createHash('sha256').update(input.lockBytes).digest('hex');
  const listing = [
    { sha256: lockSha256, size: input.lockBytes.length, path: LOCK_FILE },
    ...wanted.map((w) => ({ sha256: w.sha256, size: w.size, path: w.to })).sort((a, b) => (a.path < b.path ? -1 : 1)),
  ];
  const listingText = listing.map((l) => `${l.sha256} ${l.size} ${l.path}\n`).join('');
  files.push({ path: LOCK_FILE, source: { bytes: input.lockBytes } }, { path: LISTING_FILE, source: { bytes: Buffer.from(listingText) } });

  const labels: Record<string, string> = { [LABELS.lockDigest]: `sha256:${lockSha256}` };
  for (const plugin of lock.plugins) labels[LABELS.pluginVersion(plugin.name)] = plugin.version;
  for (const rulesfile of lock.rulesfiles) labels[LABELS.rulesfileVersion(rulesfile.name)] = rulesfile.version;
  return { files, lockDigest: `sha256:${lockSha256}`, labels, listing };
}

function safeName(name: string): string {
  if (!SAFE_NAME.test(name)) {
    throw new ImageBuilderError(
      ImageBuilderErrorCode.UnsafePath,
      `the lock names a file "${name}" that the plugin loader would not install`,
      'file names may hold letters, digits, ".", "_", "+" and "-"; extract again',
    );
  }
  return name;
}

async function verifyFile(file: string, sha256: string, size: number, what: string): Promise<void> {
  const stat = await lstat(file).catch(() => undefined);
  if (!stat?.isFile()) {
    throw new ImageBuilderError(
      ImageBuilderErrorCode.InputMissing,
      `${file} (${what}) is missing`,
      'run extract to write the files the lock names (`extractedDir` says where they are)',
    );
  }
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  const actual = hash.digest('hex');
  if (stat.size !== size || actual !== sha256) {
    throw new ImageBuilderError(
      ImageBuilderErrorCode.FileMismatch,
      `${file} (${what}) is not the file the lock names: ${stat.size} bytes, sha256 ${actual}; the lock says ${size} bytes, sha256 ${sha256}`,
      'extract again to restore it, or find out who changed it',
    );
  }
}

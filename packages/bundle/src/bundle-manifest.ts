import { isDigest } from '@falco-airgap/core';
import { createHash } from 'node:crypto';
import { BundlePath, comparePaths, MANIFEST_FILES, unsafePathReason } from './bundle-paths.ts';
import { BundleError, BundleErrorCode } from './errors.ts';

export const BUNDLE_API_VERSION = 'falco-airgap/v1alpha1';
export const BUNDLE_KIND = 'Bundle';
/** The manifest is read whole before anything else: refuse one larger than this. */
export const MAX_MANIFEST_BYTES = 16 * 1024 * 1024;

/** One file of the bundle: its path from the bundle's root, size and sha256 (hex). */
export interface BundleFileEntry {
  path: string;
  size: number;
  sha256: string;
  /** Written with mode 0755 in an archive and on disk. */
  executable?: boolean | undefined;
}

/** An image or artifact held in the bundle's OCI layout, and where it goes on the isolated side. */
export interface BundleOciEntry {
  name: string;
  /** Repository path under the private registry, e.g. `falcosecurity/plugins/plugin/k8saudit` or `falco`. */
  repository: string;
  /** The reference it was pulled from. */
  source: string;
  /** Tags it is pushed under besides its digest. */
  tags: string[];
  /** Digest of the root: an index when the source was multi-platform. */
  digest: string;
  mediaType: string;
  size: number;
  /** `os/arch` it runs on; empty for content of no platform (rules files). */
  platforms: string[];
}

export type BundleImage = BundleOciEntry;

export interface BundleArtifact extends BundleOciEntry {
  kind: 'plugin' | 'rulesfile';
  version: string;
}

export interface BundleChart {
  /** The packaged chart (`.tgz`). */
  file: string;
  name: string;
  version: string;
  appVersion?: string | undefined;
  /** The environment's values files, in the order helm layers them. */
  values: string[];
}

export interface BundleVersions {
  falcoAirgap: string;
  falco: string;
  chart?: string | undefined;
  plugins: Record<string, string>;
  rulesfiles: Record<string, string>;
}

/** bundle.json: everything in the bundle, what it is for, who made it and when. */
export interface BundleManifest {
  apiVersion: typeof BUNDLE_API_VERSION;
  kind: typeof BUNDLE_KIND;
  createdAt: string;
  creator: string;
  /** The environment it was made for, as named on the connected side. */
  environment?: string | undefined;
  /** Platforms every image and plugin of the bundle covers. */
  platforms: string[];
  versions: BundleVersions;
  images: BundleImage[];
  artifacts: BundleArtifact[];
  /** The lock, and its files under `plugins/extracted`. */
  lock: string;
  chart?: BundleChart | undefined;
  executables: { falcoS3Loader?: string | undefined; falcoAirgap?: string | undefined };
  files: BundleFileEntry[];
}

/** The manifest as bytes: keys in a fixed order, two-space indent, one newline at the end. */
export function serializeBundleManifest(manifest: BundleManifest): Buffer {
  const entry = (e: BundleOciEntry) => ({
    name: e.name,
    repository: e.repository,
    source: e.source,
    tags: e.tags,
    digest: e.digest,
    mediaType: e.mediaType,
    size: e.size,
    platforms: e.platforms,
  });
  const ordered = {
    apiVersion: manifest.apiVersion,
    kind: manifest.kind,
    createdAt: manifest.createdAt,
    creator: manifest.creator,
    ...(manifest.environment !== undefined ? { environment: manifest.environment } : {}),
    platforms: manifest.platforms,
    versions: {
      falcoAirgap: manifest.versions.falcoAirgap,
      falco: manifest.versions.falco,
      ...(manifest.versions.chart !== undefined ? { chart: manifest.versions.chart } : {}),
      plugins: sortedRecord(manifest.versions.plugins),
      rulesfiles: sortedRecord(manifest.versions.rulesfiles),
    },
    images: manifest.images.map(entry),
    artifacts: manifest.artifacts.map((a) => ({ kind: a.kind, version: a.version, ...entry(a) })),
    lock: manifest.lock,
    ...(manifest.chart
      ? {
          chart: {
            file: manifest.chart.file,
            name: manifest.chart.name,
            version: manifest.chart.version,
            ...(manifest.chart.appVersion !== undefined ? { appVersion: manifest.chart.appVersion } : {}),
            values: manifest.chart.values,
          },
        }
      : {}),
    executables: {
      ...(manifest.executables.falcoS3Loader !== undefined ? { falcoS3Loader: manifest.executables.falcoS3Loader } : {}),
      ...(manifest.executables.falcoAirgap !== undefined ? { falcoAirgap: manifest.executables.falcoAirgap } : {}),
    },
    files: [...manifest.files]
      .sort((a, b) => comparePaths(a.path, b.path))
      .map((f) => ({ path: f.path, size: f.size, sha256: f.sha256, ...(f.executable ? { executable: true } : {}) })),
  };
  return Buffer.from(`${JSON.stringify(ordered, null, 2)}\n`);
}

/** The bundle's digest: sha256 of its manifest bytes, which name every file by its sha256. */
export function bundleDigest(manifestBytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(manifestBytes).digest('hex')}`;
}

const bad = (detail: string) =>
  new BundleError(
    BundleErrorCode.BadManifest,
    `${BundlePath.manifest} is not a valid bundle manifest: ${detail}`,
    'the bundle is damaged or was not made by falco-airgap; create it again',
    {
      file: BundlePath.manifest,
    },
  );

const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const REPOSITORY = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const PLATFORM = /^[a-z0-9]+\/[a-z0-9]+(?:\/[a-z0-9]+)?$/;

/** Parses and checks bundle.json: every field, every path safe, every file named by a field listed in `files`. */
export function parseBundleManifest(bytes: Uint8Array): BundleManifest {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (cause) {
    throw bad(`not JSON (${(cause as Error).message})`);
  }
  const root = record(json, 'the document');
  if (root.apiVersion !== BUNDLE_API_VERSION || root.kind !== BUNDLE_KIND) {
    if (root.kind === BUNDLE_KIND && typeof root.apiVersion === 'string') {
      throw new BundleError(
        BundleErrorCode.UnsupportedVersion,
        `the bundle is ${root.apiVersion}; this falco-airgap reads ${BUNDLE_API_VERSION}`,
        'load it with the falco-airgap version that created it (bin/falco-airgap in the bundle)',
        { file: BundlePath.manifest },
      );
    }
    throw bad(`apiVersion/kind must be ${BUNDLE_API_VERSION}/${BUNDLE_KIND}`);
  }
  allowKeys(root, 'the document', [
    'apiVersion',
    'kind',
    'createdAt',
    'creator',
    'environment',
    'platforms',
    'versions',
    'images',
    'artifacts',
    'lock',
    'chart',
    'executables',
    'files',
  ]);
  const createdAt = string(root.createdAt, 'createdAt');
  if (Number.isNaN(Date.parse(createdAt))) throw bad(`createdAt "${createdAt}" is not a date`);
  const files = array(root.files, 'files').map((value, i) => fileEntry(value, `files[${i}]`));
  for (let i = 1; i < files.length; i++) {
    const order = comparePaths(files[i - 1]!.path, files[i]!.path);
    if (order === 0) throw bad(`files lists ${files[i]!.path} twice`);
    if (order > 0) throw bad(`files is not sorted by path at ${files[i]!.path}`);
  }
  const known = new Set(files.map((f) => f.path));
  const listed = (path: string, field: string) => {
    if (!known.has(path)) throw bad(`${field} names ${path}, which files does not list`);
    return path;
  };
  const versions = record(root.versions, 'versions');
  allowKeys(versions, 'versions', ['falcoAirgap', 'falco', 'chart', 'plugins', 'rulesfiles']);
  const executables = record(root.executables, 'executables');
  allowKeys(executables, 'executables', ['falcoS3Loader', 'falcoAirgap']);
  const manifest: BundleManifest = {
    apiVersion: BUNDLE_API_VERSION,
    kind: BUNDLE_KIND,
    createdAt,
    creator: string(root.creator, 'creator'),
    environment: root.environment === undefined ? undefined : string(root.environment, 'environment'),
    platforms: array(root.platforms, 'platforms').map((p, i) => platform(p, `platforms[${i}]`)),
    versions: {
      falcoAirgap: string(versions.falcoAirgap, 'versions.falcoAirgap'),
      falco: string(versions.falco, 'versions.falco'),
      chart: versions.chart === undefined ? undefined : string(versions.chart, 'versions.chart'),
      plugins: stringRecord(versions.plugins, 'versions.plugins'),
      rulesfiles: stringRecord(versions.rulesfiles, 'versions.rulesfiles'),
    },
    images: array(root.images, 'images').map((value, i) => ociEntry(value, `images[${i}]`, [])),
    artifacts: array(root.artifacts, 'artifacts').map((value, i) => {
      const what = `artifacts[${i}]`;
      const entry = ociEntry(value, what, ['kind', 'version']);
      const fields = value as Record<string, unknown>;
      if (fields.kind !== 'plugin' && fields.kind !== 'rulesfile') throw bad(`${what}.kind must be plugin or rulesfile`);
      return { ...entry, kind: fields.kind, version: string(fields.version, `${what}.version`) };
    }),
    lock: listed(string(root.lock, 'lock'), 'lock'),
    chart: root.chart === undefined ? undefined : chart(root.chart, listed),
    executables: {
      falcoS3Loader:
        executables.falcoS3Loader === undefined
          ? undefined
          : listed(string(executables.falcoS3Loader, 'executables.falcoS3Loader'), 'executables.falcoS3Loader'),
      falcoAirgap:
        executables.falcoAirgap === undefined ? undefined : listed(string(executables.falcoAirgap, 'executables.falcoAirgap'), 'executables.falcoAirgap'),
    },
    files,
  };
  return manifest;
}

function chart(value: unknown, listed: (path: string, field: string) => string): BundleChart {
  const fields = record(value, 'chart');
  allowKeys(fields, 'chart', ['file', 'name', 'version', 'appVersion', 'values']);
  return {
    file: listed(string(fields.file, 'chart.file'), 'chart.file'),
    name: string(fields.name, 'chart.name'),
    version: string(fields.version, 'chart.version'),
    appVersion: fields.appVersion === undefined ? undefined : string(fields.appVersion, 'chart.appVersion'),
    values: array(fields.values, 'chart.values').map((v, i) => listed(string(v, `chart.values[${i}]`), `chart.values[${i}]`)),
  };
}

function fileEntry(value: unknown, what: string): BundleFileEntry {
  const fields = record(value, what);
  allowKeys(fields, what, ['path', 'size', 'sha256', 'executable']);
  const path = string(fields.path, `${what}.path`);
  const unsafe = unsafePathReason(path);
  if (unsafe) {
    throw new BundleError(
      BundleErrorCode.UnsafePath,
      `${BundlePath.manifest} lists the path "${path}": ${unsafe}`,
      'do not load this bundle; create it again',
      {
        file: BundlePath.manifest,
      },
    );
  }
  if (MANIFEST_FILES.includes(path)) throw bad(`${what} lists ${path}, which is never part of the file list`);
  const size = fields.size;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw bad(`${what}.size is not a non-negative integer`);
  const sha256 = string(fields.sha256, `${what}.sha256`);
  if (!/^[a-f0-9]{64}$/.test(sha256)) throw bad(`${what}.sha256 is not 64 lowercase hex digits`);
  if (fields.executable !== undefined && fields.executable !== true) throw bad(`${what}.executable must be true when present`);
  return { path, size, sha256, executable: fields.executable === true ? true : undefined };
}

function ociEntry(value: unknown, what: string, extra: string[]): BundleOciEntry {
  const fields = record(value, what);
  allowKeys(fields, what, ['name', 'repository', 'source', 'tags', 'digest', 'mediaType', 'size', 'platforms', ...extra]);
  const repository = string(fields.repository, `${what}.repository`);
  if (!REPOSITORY.test(repository)) throw bad(`${what}.repository "${repository}" is not a repository path`);
  const digest = string(fields.digest, `${what}.digest`);
  if (!isDigest(digest)) throw bad(`${what}.digest "${digest}" is not a digest`);
  const size = fields.size;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw bad(`${what}.size is not a non-negative integer`);
  return {
    name: string(fields.name, `${what}.name`),
    repository,
    source: string(fields.source, `${what}.source`),
    tags: array(fields.tags, `${what}.tags`).map((t, i) => {
      const tag = string(t, `${what}.tags[${i}]`);
      if (!TAG.test(tag)) throw bad(`${what}.tags[${i}] "${tag}" is not a tag`);
      return tag;
    }),
    digest,
    mediaType: string(fields.mediaType, `${what}.mediaType`),
    size,
    platforms: array(fields.platforms, `${what}.platforms`).map((p, i) => platform(p, `${what}.platforms[${i}]`)),
  };
}

function platform(value: unknown, what: string): string {
  const text = string(value, what);
  if (!PLATFORM.test(text)) throw bad(`${what} "${text}" is not os/arch`);
  return text;
}

function record(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad(`${what} is not an object`);
  return value as Record<string, unknown>;
}

function array(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) throw bad(`${what} is not a list`);
  return value;
}

function string(value: unknown, what: string): string {
  if (typeof value !== 'string' || value === '') throw bad(`${what} is not a non-empty string`);
  return value;
}

function stringRecord(value: unknown, what: string): Record<string, string> {
  const fields = record(value, what);
  for (const [key, v] of Object.entries(fields)) string(v, `${what}.${key}`);
  return fields as Record<string, string>;
}

function allowKeys(fields: Record<string, unknown>, what: string, allowed: string[]): void {
  const unknown = Object.keys(fields).find((key) => !allowed.includes(key));
  if (unknown !== undefined) throw bad(`${what} has the unknown key "${unknown}"`);
}

function sortedRecord(value: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(value).sort(([a], [b]) => comparePaths(a, b)));
}

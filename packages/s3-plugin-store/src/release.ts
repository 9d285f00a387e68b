import { isSemver, isSupportedPlatform, type Platform } from '@falco-airgap/core';
import { MANIFEST_API_VERSION, type PluginsLock } from '@falco-airgap/manifest';
import { sha256Hex } from './checksum.ts';
import { S3StoreError, S3StoreErrorCode } from './errors.ts';
import { isReleaseId, isSha256Hex } from './layout.ts';

export const RELEASE_KIND = 'PluginRelease';

export interface ReleasePlugin {
  name: string;
  version: string;
  platform: Platform;
  /** File name it is installed under, e.g. libk8saudit.so. */
  file: string;
  sha256: string;
  size: number;
  /** Key of the blob relative to the store prefix: blobs/sha256/<sha256>. */
  blob: string;
}

export interface ReleaseRulesFile {
  /** The rulesfile artifact it came from, e.g. falco-rules. */
  name: string;
  version: string;
  file: string;
  sha256: string;
  size: number;
  blob: string;
}

/** releases/<id>.json: immutable, its id derived from its content. */
export interface ReleaseDocument {
  apiVersion: typeof MANIFEST_API_VERSION;
  kind: typeof RELEASE_KIND;
  id: string;
  createdAt: string;
  falco: { version: string };
  plugins: ReleasePlugin[];
  rulesfiles: ReleaseRulesFile[];
}

/** A file publish has to put in the bucket: where it is locally and what the lock says it is. */
export interface ReleaseFile {
  sha256: string;
  size: number;
  /** Path relative to the extracted directory. */
  path: string;
}

const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]*$/;

export function blobPath(sha256: string): string {
  return `blobs/sha256/${sha256}`;
}

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const pluginOrder = (a: ReleasePlugin, b: ReleasePlugin) => byText(a.name, b.name) || byText(a.platform, b.platform);
const rulesOrder = (a: ReleaseRulesFile, b: ReleaseRulesFile) => byText(a.name, b.name) || byText(a.file, b.file);

/**
 * The content id of a release: the same Falco version and the same files give the same id, so
 * publishing an unchanged lock finds its release already there and writes nothing.
 */
export function releaseIdOf(content: Pick<ReleaseDocument, 'falco' | 'plugins' | 'rulesfiles'>): string {
  const canonical = JSON.stringify({
    falco: content.falco.version,
    plugins: [...content.plugins].sort(pluginOrder).map((p) => [p.name, p.version, p.platform, p.file, p.sha256, p.size]),
    rulesfiles: [...content.rulesfiles].sort(rulesOrder).map((r) => [r.name, r.version, r.file, r.sha256, r.size]),
  });
  return `falco-${content.falco.version.replace(/\+/g, '_')}-${sha256Hex(canonical).slice(0, 16)}`;
}

export interface PlannedRelease {
  document: ReleaseDocument;
  /** Every distinct file the release needs in the bucket, by sha256. */
  files: ReleaseFile[];
}

/** Turns a lock into the release it publishes (optionally only some platforms); pure. */
export function planRelease(lock: PluginsLock, options: { createdAt: string; platforms?: readonly Platform[] | undefined }): PlannedRelease {
  const wanted = options.platforms && options.platforms.length > 0 ? new Set(options.platforms) : undefined;
  const files = new Map<string, ReleaseFile>();
  const add = (file: ReleaseFile) => {
    if (!files.has(file.sha256)) files.set(file.sha256, file);
  };
  const plugins: ReleasePlugin[] = [];
  for (const plugin of lock.plugins) {
    for (const p of plugin.platforms) {
      if (wanted && !wanted.has(p.platform)) continue;
      plugins.push({
        name: plugin.name,
        version: plugin.version,
        platform: p.platform,
        file: p.file,
        sha256: p.sha256,
        size: p.size,
        blob: blobPath(p.sha256),
      });
      add({ sha256: p.sha256, size: p.size, path: p.path });
    }
  }
  if (wanted) {
    for (const platform of wanted) {
      if (!plugins.some((p) => p.platform === platform)) {
        throw new S3StoreError(S3StoreErrorCode.PlatformMissing, `the lock holds no plugin for ${platform}`, {
          hint: `add ${platform} to the manifest's platforms and re-run extract`,
        });
      }
    }
  }
  const rulesfiles: ReleaseRulesFile[] = [];
  for (const rules of lock.rulesfiles) {
    for (const f of rules.files) {
      rulesfiles.push({ name: rules.name, version: rules.version, file: f.file, sha256: f.sha256, size: f.size, blob: blobPath(f.sha256) });
      add({ sha256: f.sha256, size: f.size, path: f.path });
    }
  }
  plugins.sort(pluginOrder);
  rulesfiles.sort(rulesOrder);
  const content = { falco: { version: lock.falco.version }, plugins, rulesfiles };
  checkReleaseContent(content, 'the lock');
  const document: ReleaseDocument = {
    apiVersion: MANIFEST_API_VERSION,
    kind: RELEASE_KIND,
    id: releaseIdOf(content),
    createdAt: options.createdAt,
    ...content,
  };
  return { document, files: [...files.values()].sort((a, b) => byText(a.path, b.path)) };
}

/** Whether two release documents describe the same files (createdAt aside). */
export function sameReleaseContent(a: ReleaseDocument, b: ReleaseDocument): boolean {
  return releaseIdOf(a) === releaseIdOf(b) && a.id === b.id;
}

/** The plugins of a release for one platform, as the loader installs them. */
export function pluginsFor(release: ReleaseDocument, platform: Platform): ReleasePlugin[] {
  return release.plugins.filter((p) => p.platform === platform);
}

/** Every blob a release refers to, by sha256. */
export function blobsOf(release: ReleaseDocument): Set<string> {
  return new Set([...release.plugins.map((p) => p.sha256), ...release.rulesfiles.map((r) => r.sha256)]);
}

export function serializeRelease(release: ReleaseDocument): string {
  return `${JSON.stringify(release, null, 2)}\n`;
}

/**
 * Reads a release document and checks everything a loader relies on, including that the id
 * still matches the content: a release edited in the bucket is refused, not installed.
 */
export function parseReleaseDocument(text: string, where: string): ReleaseDocument {
  const bad = (what: string) =>
    new S3StoreError(S3StoreErrorCode.BadDocument, `release document ${where} is invalid: ${what}`, {
      key: where,
      hint: 'release documents are written by falco-airgap publish only; publish the lock again',
    });
  const root = parseJsonObject(text, bad);
  if (root.apiVersion !== MANIFEST_API_VERSION) throw bad(`apiVersion must be ${MANIFEST_API_VERSION}`);
  if (root.kind !== RELEASE_KIND) throw bad(`kind must be ${RELEASE_KIND}`);
  const id = stringField(root, 'id', bad);
  if (!isReleaseId(id)) throw bad(`"${id}" is not a release id`);
  const createdAt = stringField(root, 'createdAt', bad);
  const falco = objectField(root, 'falco', bad);
  const falcoVersion = stringField(falco, 'version', bad);
  const plugins = arrayField(root, 'plugins', bad).map((item, i): ReleasePlugin => {
    const entry = asObject(item, `plugins[${i}]`, bad);
    const platform = stringField(entry, 'platform', bad);
    if (!isSupportedPlatform(platform)) throw bad(`plugins[${i}].platform "${platform}" is not supported`);
    return { ...fileEntry(entry, `plugins[${i}]`, bad), platform };
  });
  const rulesfiles = arrayField(root, 'rulesfiles', bad).map((item, i): ReleaseRulesFile =>
    fileEntry(asObject(item, `rulesfiles[${i}]`, bad), `rulesfiles[${i}]`, bad),
  );
  const content = { falco: { version: falcoVersion }, plugins, rulesfiles };
  checkReleaseContent(content, where);
  if (releaseIdOf(content) !== id) {
    throw new S3StoreError(S3StoreErrorCode.ReleaseTampered, `release ${id} does not match its content (${where} was changed after it was published)`, {
      key: where,
      hint: 'do not edit release documents; publish the lock again to get a new release and promote it',
    });
  }
  return { apiVersion: MANIFEST_API_VERSION, kind: RELEASE_KIND, id, createdAt, falco: { version: falcoVersion }, plugins, rulesfiles };
}

function checkReleaseContent(content: Pick<ReleaseDocument, 'falco' | 'plugins' | 'rulesfiles'>, where: string): void {
  const bad = (what: string) => new S3StoreError(S3StoreErrorCode.BadDocument, `${where}: ${what}`, { hint: 'regenerate the lock with falco-airgap extract' });
  if (!isSemver(content.falco.version)) throw bad(`falco version "${content.falco.version}" is not a semantic version`);
  const installed = new Set<string>();
  for (const p of content.plugins) {
    const slot = `${p.platform} ${p.file}`;
    if (installed.has(slot)) throw bad(`two plugins install ${p.file} on ${p.platform}`);
    installed.add(slot);
  }
  const rulesNames = new Set<string>();
  for (const r of content.rulesfiles) {
    if (rulesNames.has(r.file)) throw bad(`two rulesfiles are named ${r.file}`);
    rulesNames.add(r.file);
  }
}

type Bad = (what: string) => S3StoreError;
type JsonObject = Record<string, unknown>;

function fileEntry(entry: JsonObject, at: string, bad: Bad): ReleaseRulesFile {
  const name = stringField(entry, 'name', bad);
  const version = stringField(entry, 'version', bad);
  const file = stringField(entry, 'file', bad);
  const sha256 = stringField(entry, 'sha256', bad);
  const size = entry.size;
  const blob = stringField(entry, 'blob', bad);
  // The loader writes <destination>/<file>: a name with a slash could escape the directory.
  if (!FILE_NAME.test(file)) throw bad(`${at}.file "${file}" is not a plain file name`);
  if (!isSha256Hex(sha256)) throw bad(`${at}.sha256 is not a lowercase hex sha256`);
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw bad(`${at}.size is not a byte count`);
  if (blob !== blobPath(sha256)) throw bad(`${at}.blob must be ${blobPath(sha256)}`);
  return { name, version, file, sha256, size, blob };
}

export function parseJsonObject(text: string, bad: Bad): JsonObject {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw Object.assign(bad(`not JSON (${(cause as Error).message})`), { cause });
  }
  return asObject(value, 'the document', bad);
}

function asObject(value: unknown, at: string, bad: Bad): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad(`${at} must be an object`);
  return value as JsonObject;
}

export function stringField(object: JsonObject, key: string, bad: Bad): string {
  const value = object[key];
  if (typeof value !== 'string' || value === '') throw bad(`"${key}" must be a non-empty string`);
  return value;
}

function objectField(object: JsonObject, key: string, bad: Bad): JsonObject {
  return asObject(object[key], `"${key}"`, bad);
}

export function arrayField(object: JsonObject, key: string, bad: Bad): unknown[] {
  const value = object[key];
  if (!Array.isArray(value)) throw bad(`"${key}" must be a list`);
  return value;
}

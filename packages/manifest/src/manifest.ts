import { readFile } from 'node:fs/promises';
import { FalcoAirgapError, isSemver, isSupportedPlatform, parseReference, SUPPORTED_PLATFORMS, type Platform } from '@falco-airgap/core';
import { ManifestError, ManifestErrorCode } from './errors.ts';
import { MANIFEST_API_VERSION, MANIFEST_KIND, type PluginEntry, type PluginsManifest, type PluginSource } from './types.ts';
import { YamlReader, type Located } from './yaml-reader.ts';

export const DEFAULT_MANIFEST_PATH = 'plugins/plugins-manifest.yaml';

// Plugin and rulesfile names as falcoctl's registries use them: lowercase, digits, dashes.
const NAME = /^[a-z0-9]+(?:[-_][a-z0-9]+)*$/;

/** Parses and validates plugins-manifest.yaml text; throws ManifestError listing every problem found. */
export function parseManifest(text: string, file = DEFAULT_MANIFEST_PATH): PluginsManifest {
  const reader = new YamlReader(text, file);
  if (reader.issues.length) throw new ManifestError(reader.issues);
  if (reader.root === null) {
    reader.report(
      ManifestErrorCode.Empty,
      null,
      '',
      'the manifest is empty',
      `start from the documented example: apiVersion: ${MANIFEST_API_VERSION}, kind: ${MANIFEST_KIND}`,
    );
    throw new ManifestError(reader.issues);
  }
  const top = reader.mapping(
    { node: reader.root, path: '' },
    ['apiVersion', 'kind', 'falco', 'platforms', 'plugins', 'rulesfiles'],
    ['apiVersion', 'kind', 'falco', 'platforms'],
  );
  if (!top) throw new ManifestError(reader.issues);

  const apiVersion = reader.string(top.get('apiVersion'));
  if (apiVersion !== undefined && apiVersion !== MANIFEST_API_VERSION) {
    reader.report(
      ManifestErrorCode.BadApiVersion,
      top.get('apiVersion')!.node,
      'apiVersion',
      `unsupported apiVersion "${apiVersion}"`,
      `use apiVersion: ${MANIFEST_API_VERSION}`,
    );
  }
  const kind = reader.string(top.get('kind'));
  if (kind !== undefined && kind !== MANIFEST_KIND) {
    reader.report(ManifestErrorCode.BadKind, top.get('kind')!.node, 'kind', `kind must be ${MANIFEST_KIND}, got "${kind}"`, `use kind: ${MANIFEST_KIND}`);
  }
  const falco = readFalco(reader, top.get('falco'));
  const platforms = readPlatforms(reader, top.get('platforms'));
  const plugins = readEntries(reader, top.get('plugins'), 'plugin');
  const rulesfiles = readEntries(reader, top.get('rulesfiles'), 'rulesfile');
  if (!top.has('plugins') && !top.has('rulesfiles') && reader.issues.length === 0) {
    reader.report(ManifestErrorCode.Empty, reader.root, '', 'the manifest lists no plugins and no rulesfiles', 'add a "plugins:" or "rulesfiles:" list');
  }

  if (reader.issues.length) throw new ManifestError(reader.issues);
  return {
    apiVersion: MANIFEST_API_VERSION,
    kind: MANIFEST_KIND,
    falco: falco!,
    platforms: platforms!,
    plugins: plugins ?? [],
    rulesfiles: rulesfiles ?? [],
  };
}

/** Reads and validates a manifest file; `displayName` is how positions name it (defaults to the path). */
export async function loadManifest(file = DEFAULT_MANIFEST_PATH, displayName = file): Promise<PluginsManifest> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new FalcoAirgapError(`cannot read manifest ${displayName}: ${(cause as NodeJS.ErrnoException).code ?? String(cause)}`, {
      code: ManifestErrorCode.ReadFailed,
      category: 'input',
      hint: 'check the path, or pass the manifest file explicitly',
      cause,
    });
  }
  return parseManifest(text, displayName);
}

function readFalco(reader: YamlReader, at: Located | undefined): { version: string } | undefined {
  if (!at) return undefined;
  const falco = reader.mapping(at, ['version'], ['version']);
  const version = readSemver(reader, falco?.get('version'));
  return version === undefined ? undefined : { version };
}

function readSemver(reader: YamlReader, at: Located | undefined): string | undefined {
  const value = reader.string(at);
  if (value === undefined || !at) return undefined;
  if (!isSemver(value)) {
    const hint =
      value.startsWith('v') && isSemver(value.slice(1)) ? `drop the leading "v": "${value.slice(1)}"` : 'use a full semantic version such as "0.18.0"';
    reader.report(ManifestErrorCode.BadSemver, at.node, at.path, `"${value}" is not a semantic version (MAJOR.MINOR.PATCH)`, hint);
    return undefined;
  }
  return value;
}

function readPlatforms(reader: YamlReader, at: Located | undefined): Platform[] | undefined {
  if (!at) return undefined;
  const items = reader.sequence(at);
  if (!items) return undefined;
  if (items.length === 0) {
    reader.report(ManifestErrorCode.UnsupportedPlatform, at.node, at.path, 'platforms is empty', `list at least one of ${SUPPORTED_PLATFORMS.join(', ')}`);
  }
  const platforms: Platform[] = [];
  for (const item of items) {
    const value = reader.string(item);
    if (value === undefined) continue;
    if (!isSupportedPlatform(value)) {
      reader.report(
        ManifestErrorCode.UnsupportedPlatform,
        item.node,
        item.path,
        `unsupported platform "${value}"`,
        `supported platforms: ${SUPPORTED_PLATFORMS.join(', ')}`,
      );
    } else if (platforms.includes(value)) {
      reader.report(ManifestErrorCode.DuplicatePlatform, item.node, item.path, `platform "${value}" is listed twice`, 'remove the duplicate');
    } else {
      platforms.push(value);
    }
  }
  return platforms;
}

function readEntries(reader: YamlReader, at: Located | undefined, what: 'plugin' | 'rulesfile'): PluginEntry[] | undefined {
  if (!at) return undefined;
  const items = reader.sequence(at);
  if (!items) return undefined;
  const entries: PluginEntry[] = [];
  const seen = new Map<string, string>();
  for (const item of items) {
    const fields = reader.mapping(item, ['name', 'version', 'from'], ['name', 'version', 'from']);
    if (!fields) continue;
    const nameAt = fields.get('name');
    const name = reader.string(nameAt);
    if (name !== undefined && nameAt) {
      if (!NAME.test(name)) {
        reader.report(
          ManifestErrorCode.BadName,
          nameAt.node,
          nameAt.path,
          `${what} name "${name}" is not valid`,
          'use lowercase letters, digits and dashes, as in the upstream registry',
        );
      } else if (seen.has(name)) {
        reader.report(
          ManifestErrorCode.DuplicateName,
          nameAt.node,
          nameAt.path,
          `${what} "${name}" is already declared at ${seen.get(name)}`,
          `give each ${what} one entry`,
        );
      } else {
        const pos = reader.positionOf(nameAt.node);
        seen.set(name, `line ${pos.line}`);
      }
    }
    const version = readSemver(reader, fields.get('version'));
    const from = readSource(reader, fields.get('from'));
    if (name !== undefined && version !== undefined && from !== undefined) entries.push({ name, version, from });
  }
  return entries;
}

function readSource(reader: YamlReader, at: Located | undefined): PluginSource | undefined {
  if (!at) return undefined;
  const fields = reader.mapping(at, ['artifact', 'image', 'path'], []);
  if (!fields) return undefined;
  const hasArtifact = fields.has('artifact');
  const hasImage = fields.has('image');
  if (hasArtifact === hasImage) {
    reader.report(
      ManifestErrorCode.BadSource,
      at.node,
      at.path,
      hasArtifact ? '"from" names both an artifact and an image' : '"from" names neither an artifact nor an image',
      'use either "artifact: <ref>" or "image: <ref>" with "path: <file in image>"',
    );
    return undefined;
  }
  if (hasArtifact) {
    if (fields.has('path')) {
      reader.report(
        ManifestErrorCode.BadSource,
        fields.get('path')!.node,
        fields.get('path')!.path,
        '"path" only applies to image sources',
        'remove "path", or use "image:" instead of "artifact:"',
      );
    }
    const artifact = readReference(reader, fields.get('artifact'));
    return artifact === undefined ? undefined : { artifact };
  }
  const image = readReference(reader, fields.get('image'));
  const pathAt = fields.get('path');
  if (!pathAt) {
    reader.report(
      ManifestErrorCode.MissingKey,
      at.node,
      `${at.path}.path`,
      'an image source needs "path", the file to take from the image',
      'add e.g. path: /usr/share/falco/plugins/libcontainer.so',
    );
    return undefined;
  }
  const path = reader.string(pathAt);
  if (path !== undefined && !isSafeImagePath(path)) {
    reader.report(
      ManifestErrorCode.BadPath,
      pathAt.node,
      pathAt.path,
      `"${path}" is not an absolute, normalised file path`,
      'use an absolute path without "..", "." or empty segments, e.g. /usr/share/falco/plugins/libcontainer.so',
    );
    return undefined;
  }
  return image === undefined || path === undefined ? undefined : { image, path };
}

function readReference(reader: YamlReader, at: Located | undefined): string | undefined {
  const value = reader.string(at);
  if (value === undefined || !at) return undefined;
  const parsed = parseReference(value);
  if (parsed.ok) return value;
  if (parsed.problem === 'no-tag-or-digest') {
    reader.report(
      ManifestErrorCode.ReferenceWithoutTagOrDigest,
      at.node,
      at.path,
      `${parsed.detail}`,
      `pin it: ${value}:<version> or ${value}@sha256:<digest>`,
    );
  } else if (parsed.problem === 'bad-digest') {
    reader.report(
      ManifestErrorCode.BadDigest,
      at.node,
      at.path,
      `invalid digest in "${value}": ${parsed.detail}`,
      'copy the digest exactly as the registry reports it',
    );
  } else {
    reader.report(
      ManifestErrorCode.BadReference,
      at.node,
      at.path,
      `invalid reference "${value}": ${parsed.detail}`,
      'write it as registry/repository:tag, e.g. ghcr.io/falcosecurity/plugins/plugin/k8saudit:0.18.0',
    );
  }
  return undefined;
}

function isSafeImagePath(path: string): boolean {
  if (!path.startsWith('/') || path.endsWith('/') || path.includes('\0')) return false;
  return path
    .slice(1)
    .split('/')
    .every((segment) => segment !== '' && segment !== '.' && segment !== '..');
}

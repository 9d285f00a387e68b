import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { FalcoAirgapError } from '@falco-airgap/core';
import { ManifestError, ManifestErrorCode, type ManifestIssue } from './errors.ts';
import { NAME_PATTERN } from './json-schema.ts';
import { manifestSchemaIssues } from './schema-issues.ts';
import { MANIFEST_API_VERSION, MANIFEST_KIND, type PluginEntry, type PluginsManifest } from './types.ts';
import { YamlReader } from './yaml-reader.ts';

export const DEFAULT_MANIFEST_PATH = 'plugins/plugins-manifest.yaml';

const NAME = new RegExp(NAME_PATTERN, 'u');

/**
 * Parses and validates plugins-manifest.yaml text against pluginsManifestJsonSchema, plus the one rule a
 * schema cannot state (each name once per list); throws ManifestError listing every problem found.
 */
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
  const value = reader.value();
  if (reader.issues.length) throw new ManifestError(reader.issues);
  const issues = [...manifestSchemaIssues(value, reader), ...duplicateNames(value, reader)];
  if (issues.length) throw new ManifestError(issues);
  const manifest = value as Partial<PluginsManifest>;
  return {
    apiVersion: MANIFEST_API_VERSION,
    kind: MANIFEST_KIND,
    falco: manifest.falco!,
    platforms: manifest.platforms!,
    plugins: manifest.plugins ?? [],
    rulesfiles: manifest.rulesfiles ?? [],
  };
}

/** A manifest file as read: its content, and the sha256 of its bytes that the lock records as `manifestSha256`. */
export interface ManifestFile {
  manifest: PluginsManifest;
  sha256: string;
}

/** Reads and validates a manifest file; `displayName` is how positions name it (defaults to the path). */
export async function loadManifest(file = DEFAULT_MANIFEST_PATH, displayName = file): Promise<PluginsManifest> {
  return (await readManifestFile(file, displayName)).manifest;
}

/** Reads, hashes and validates a manifest file in one read, so the hash is of the bytes validated. */
export async function readManifestFile(file = DEFAULT_MANIFEST_PATH, displayName = file): Promise<ManifestFile> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (cause) {
    throw new FalcoAirgapError(`cannot read manifest ${displayName}: ${(cause as NodeJS.ErrnoException).code ?? String(cause)}`, {
      code: ManifestErrorCode.ReadFailed,
      category: 'input',
      hint: 'check the path, or pass the manifest file explicitly',
      cause,
    });
  }
  return { manifest: parseManifest(bytes.toString('utf8'), displayName), sha256: createHash('sha256').update(bytes).digest('hex') };
}

// JSON Schema has no "unique by property": a name declared twice is found here, pointing at both lines.
function duplicateNames(value: unknown, reader: YamlReader): ManifestIssue[] {
  const issues: ManifestIssue[] = [];
  for (const [list, what] of [
    ['plugins', 'plugin'],
    ['rulesfiles', 'rulesfile'],
  ] as const) {
    const entries = (value as Record<string, unknown> | null)?.[list];
    if (!Array.isArray(entries)) continue;
    const firstLine = new Map<string, number>();
    entries.forEach((entry: Partial<PluginEntry> | null, index) => {
      const name = entry?.name;
      if (typeof name !== 'string' || !NAME.test(name)) return;
      const position = reader.positionOfPath([list, index, 'name']);
      const first = firstLine.get(name);
      if (first === undefined) {
        firstLine.set(name, position.line);
        return;
      }
      issues.push({
        code: ManifestErrorCode.DuplicateName,
        message: `${what} "${name}" is already declared at line ${first}`,
        hint: `give each ${what} one entry`,
        path: `${list}[${index}].name`,
        position,
      });
    });
  }
  return issues;
}

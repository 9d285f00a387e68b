import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Ajv2020, ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import { FalcoAirgapError, formatPath, locateSchemaError, pointerSegments, unknownKey, type PathSegment } from '@falco-airgap/core';
import { SHIPPED_VERSIONS_YAML } from '../schema/shipped-versions.js';
import { ManifestError, ManifestErrorCode, type ManifestIssue } from './errors.ts';
import {
  falcoVersionsJsonSchema,
  FALCO_CLASSIFICATIONS,
  VERSIONS_API_VERSION,
  VERSIONS_KIND,
  type FalcoClassification,
  type OfficialRulesfile,
} from './versions-schema.ts';
import { YamlReader } from './yaml-reader.ts';

/** How messages name the catalogue shipped with this package (versions.yaml at its root). */
export const SHIPPED_VERSIONS_NAME = 'versions.yaml (shipped)';

/** One Falco version of the catalogue. */
export interface FalcoVersionEntry {
  version: string;
  classification: FalcoClassification;
  /** YYYY-MM-DD, deprecated versions only: expired from 00:00 UTC of that day. */
  expirationDate?: string | undefined;
  releaseDate?: string | undefined;
  libsVersion: string;
  /** The plugin API version its libs provide. */
  pluginApiVersion: string;
  engineVersion: string;
  /** The version of each official rulesfile artifact deployed with it; falco-rules is always named. */
  rules: { 'falco-rules': string } & Partial<Record<OfficialRulesfile, string>>;
  /** The plugins it ships, by name. */
  plugins: Record<string, string>;
  falcosidekick?: string | undefined;
}

/** versions.yaml: the Falco versions on offer, in the order the file lists them. */
export interface FalcoVersionsCatalogue {
  apiVersion: typeof VERSIONS_API_VERSION;
  kind: typeof VERSIONS_KIND;
  versions: FalcoVersionEntry[];
  /** How positions and messages name the file. */
  file: string;
}

let compiled: ValidateFunction | undefined;
function validator(): ValidateFunction {
  if (compiled) return compiled;
  // Loaded on first use, not at import: commands that never read the catalogue should not pay for ajv at start-up.
  const { Ajv2020: Ajv } = createRequire(import.meta.url)('ajv/dist/2020.js') as { Ajv2020: typeof Ajv2020 };
  compiled = new Ajv({ allErrors: true, strict: true, verbose: true }).compile(falcoVersionsJsonSchema);
  return compiled;
}

/** Parses and validates the text of a versions catalogue; throws ManifestError with every problem at FILE:LINE:COL. */
export function parseVersionsCatalogue(text: string, file = 'versions.yaml'): FalcoVersionsCatalogue {
  const reader = new YamlReader(text, file);
  if (reader.issues.length) throw new ManifestError(reader.issues);
  if (reader.root === null) {
    reader.report(
      ManifestErrorCode.Empty,
      null,
      '',
      'the versions catalogue is empty',
      `start with apiVersion: ${VERSIONS_API_VERSION}, kind: ${VERSIONS_KIND}`,
    );
    throw new ManifestError(reader.issues);
  }
  const value = reader.value();
  if (reader.issues.length) throw new ManifestError(reader.issues);
  const validate = validator();
  const issues: ManifestIssue[] = [];
  if (!validate(value)) {
    for (const error of relevantErrors(validate.errors ?? [])) {
      const finding = describe(error);
      issues.push({ ...finding, position: locateSchemaError(error, reader.lookup) ?? reader.positionOf(reader.root) });
    }
  } else {
    issues.push(...catalogueRules(value as { versions: FalcoVersionEntry[] }, reader));
  }
  if (issues.length) throw new ManifestError(issues);
  const document = value as Omit<FalcoVersionsCatalogue, 'file'>;
  return {
    apiVersion: VERSIONS_API_VERSION,
    kind: VERSIONS_KIND,
    versions: document.versions.map((entry) => ({ ...entry, plugins: entry.plugins ?? {} })),
    file,
  };
}

/** Reads a versions catalogue: `file` when given (e.g. an operator's newer copy), else the one shipped here. */
export async function loadVersionsCatalogue(file?: string, displayName: string = file ?? SHIPPED_VERSIONS_NAME): Promise<FalcoVersionsCatalogue> {
  if (file === undefined) return parseVersionsCatalogue(SHIPPED_VERSIONS_YAML, displayName);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new FalcoAirgapError(`cannot read the versions catalogue ${displayName}: ${(cause as NodeJS.ErrnoException).code ?? String(cause)}`, {
      code: ManifestErrorCode.ReadFailed,
      category: 'input',
      hint: 'check the path given as the versions file, or leave it unset to use the catalogue shipped with falco-airgap',
      cause,
    });
  }
  return parseVersionsCatalogue(text, displayName);
}

// What a schema cannot say: each version once, and an expiration date exactly on deprecated versions.
function catalogueRules(document: { versions: FalcoVersionEntry[] }, reader: YamlReader): ManifestIssue[] {
  const issues: ManifestIssue[] = [];
  const firstLine = new Map<string, number>();
  document.versions.forEach((entry, index) => {
    const at = (...segments: PathSegment[]) => reader.positionOfPath(['versions', index, ...segments]);
    const path = (...segments: PathSegment[]) => formatPath(['versions', index, ...segments]);
    const first = firstLine.get(entry.version);
    if (first !== undefined) {
      issues.push({
        code: ManifestErrorCode.VersionsDuplicate,
        message: `Falco ${entry.version} is already listed at line ${first}`,
        hint: 'list each Falco version once',
        path: path('version'),
        position: at('version'),
      });
    } else firstLine.set(entry.version, at('version').line);
    if (entry.classification === 'deprecated' && entry.expirationDate === undefined) {
      issues.push({
        code: ManifestErrorCode.VersionsBadLifecycle,
        message: `Falco ${entry.version} is deprecated but has no expirationDate`,
        hint: 'add expirationDate: YYYY-MM-DD, the day environments on it must have moved on',
        path: path('classification'),
        position: at('classification'),
      });
    }
    if (entry.classification !== 'deprecated' && entry.expirationDate !== undefined) {
      issues.push({
        code: ManifestErrorCode.VersionsBadLifecycle,
        message: `Falco ${entry.version} is ${entry.classification} and cannot expire`,
        hint: 'classify it deprecated, or remove expirationDate',
        path: path('expirationDate'),
        position: at('expirationDate'),
      });
    }
    for (const key of ['expirationDate', 'releaseDate'] as const) {
      const day = entry[key];
      if (day !== undefined && !isCalendarDay(day)) {
        issues.push({
          code: ManifestErrorCode.VersionsBadDate,
          message: `${path(key)}: ${day} is not a day of the calendar`,
          hint: 'write an existing day as YYYY-MM-DD',
          path: path(key),
          position: at(key),
        });
      }
    }
  });
  return issues;
}

function isCalendarDay(day: string): boolean {
  const parsed = new Date(`${day}T00:00:00Z`);
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString().startsWith(day);
}

// A wrong type makes every other complaint about the same value noise.
function relevantErrors(errors: readonly ErrorObject[]): ErrorObject[] {
  const wrongType = new Set(errors.filter((e) => e.keyword === 'type').map((e) => e.instancePath));
  return errors.filter((e) => e.keyword === 'type' || !wrongType.has(e.instancePath));
}

function describe(error: ErrorObject): Omit<ManifestIssue, 'position'> {
  const at = pointerSegments(error.instancePath);
  const path = formatPath(at);
  const where = path ? `"${path}"` : 'the catalogue';
  const field = [...at].reverse().find((segment) => typeof segment === 'string');
  switch (error.keyword) {
    case 'additionalProperties': {
      const { key, allowed, suggestion } = unknownKey(error)!;
      return {
        code: ManifestErrorCode.UnknownKey,
        message: `unknown key "${key}" in ${where}`,
        hint: `${suggestion ? `did you mean "${suggestion}"? ` : ''}allowed keys: ${allowed.join(', ')}`,
        path: formatPath([...at, key]),
      };
    }
    case 'required': {
      const key = String(error.params.missingProperty);
      return { code: ManifestErrorCode.MissingKey, message: `${where} is missing required key "${key}"`, hint: `add "${key}:" to ${where}`, path };
    }
    case 'const':
      return field === 'kind'
        ? {
            code: ManifestErrorCode.BadKind,
            message: `kind must be ${VERSIONS_KIND}, got ${JSON.stringify(error.data)}`,
            hint: `use kind: ${VERSIONS_KIND}`,
            path,
          }
        : {
            code: ManifestErrorCode.BadApiVersion,
            message: `unsupported apiVersion ${JSON.stringify(error.data)}`,
            hint: `use apiVersion: ${VERSIONS_API_VERSION}`,
            path,
          };
    case 'enum':
      return {
        code: ManifestErrorCode.VersionsBadClassification,
        message: `${where}: ${JSON.stringify(error.data)} is not a classification`,
        hint: `use one of ${FALCO_CLASSIFICATIONS.join(', ')}`,
        path,
      };
    case 'pattern':
      if (field === 'expirationDate' || field === 'releaseDate') {
        return { code: ManifestErrorCode.VersionsBadDate, message: `${where}: ${JSON.stringify(error.data)} is not a date`, hint: 'write YYYY-MM-DD', path };
      }
      return {
        code: ManifestErrorCode.BadSemver,
        message: `${where}: ${JSON.stringify(error.data)} is not a semantic version (MAJOR.MINOR.PATCH)`,
        hint: 'write a version such as 0.44.1, without a leading "v"',
        path,
      };
    case 'propertyNames':
      return {
        code: ManifestErrorCode.BadName,
        message: `${where}: plugin name ${JSON.stringify(error.params.propertyName)} is not valid`,
        hint: 'use lowercase letters, digits and dashes',
        path,
      };
    case 'minItems':
      return { code: ManifestErrorCode.Empty, message: 'the catalogue lists no Falco versions', hint: 'add at least one entry under versions', path };
    case 'type':
      return {
        code: ManifestErrorCode.WrongType,
        message: `${where} must be ${error.params.type === 'object' ? 'a mapping' : error.params.type === 'array' ? 'a list' : `a ${String(error.params.type)}`}`,
        hint: 'quote versions and dates so YAML keeps them as strings, e.g. version: "0.44.1"',
        path,
      };
    default:
      return {
        code: ManifestErrorCode.WrongType,
        message: `${where} ${error.message ?? `fails ${error.keyword}`}`,
        hint: 'see the versions catalogue format in the README',
        path,
      };
  }
}

import type { Ajv2020, ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import { createRequire } from 'node:module';
import {
  formatPath,
  locateSchemaError,
  parseReference,
  pointerSegments,
  schemaErrorPath,
  SUPPORTED_PLATFORMS,
  unknownKey,
  type PathSegment,
} from '@falco-airgap/core';
import checkManifestShape from '../schema/manifest-check.js';
import { ManifestErrorCode, type ManifestIssue } from './errors.ts';
import { pluginsManifestJsonSchema, SEMVER_PATTERN } from './json-schema.ts';
import { MANIFEST_API_VERSION, MANIFEST_KIND } from './types.ts';
import type { YamlReader } from './yaml-reader.ts';

type Definition = keyof typeof pluginsManifestJsonSchema.$defs;

// Compiling is pure but not free: keep the one compiled validator instead of recompiling on every call.
let compiled: ValidateFunction | undefined;
function manifestValidator(): ValidateFunction {
  if (compiled) return compiled;
  // Loaded on first use, not at import: a valid manifest never needs ajv, and loading it is a good part of the CLI's start-up.
  const { Ajv2020: Ajv } = createRequire(import.meta.url)('ajv/dist/2020.js') as { Ajv2020: typeof Ajv2020 };
  // strictRequired is off because the oneOf/anyOf branches require keys their parent declares. The schema is a
  // constant that its tests check against the meta-schema, so compiling that meta-schema at every start is skipped.
  compiled = new Ajv({ allErrors: true, strict: true, strictRequired: false, verbose: true, validateSchema: false }).compile(pluginsManifestJsonSchema);
  return compiled;
}

// Which definition of the schema a failing keyword belongs to (ajv's verbose errors carry that schema object).
const definitions = new Map<unknown, Definition>(Object.entries(pluginsManifestJsonSchema.$defs).map(([name, node]) => [node, name as Definition]));
const semver = new RegExp(SEMVER_PATTERN, 'u');

/** An issue before it has a position; `at` overrides where the error points when a different node says it better. */
interface Finding {
  code: ManifestErrorCode;
  message: string;
  hint: string;
  path: PathSegment[];
  at?: PathSegment[];
}

/** Everything pluginsManifestJsonSchema refuses in a document, as issues with the position of the offending node. */
export function manifestSchemaIssues(value: unknown, reader: YamlReader): ManifestIssue[] {
  // The precompiled check answers for a valid manifest; only an invalid one pays for compiling the detailed validator.
  if (checkManifestShape(value)) return [];
  const validate = manifestValidator();
  if (validate(value)) return [];
  const errors = relevantErrors(validate.errors ?? []);
  const issues: ManifestIssue[] = [];
  const seen = new Set<string>();
  for (const error of errors) {
    const finding = findingFor(error);
    if (!finding) continue;
    const position = finding.at ? reader.positionOfPath(finding.at) : (locateSchemaError(error, reader.lookup) ?? reader.positionOf(reader.root));
    const issue = { code: finding.code, message: finding.message, hint: finding.hint, path: formatPath(finding.path), position };
    const key = `${issue.code} ${issue.path} ${issue.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push(issue);
  }
  // "Nothing to mirror" is usually the effect of another mistake (a misspelt "plugins:"), so it is said only alone.
  const substantive = issues.filter((issue) => issue.code !== ManifestErrorCode.Empty);
  return substantive.length ? substantive : issues;
}

/**
 * Drops errors that only explain another: why each branch of a oneOf/anyOf failed (the composite error is
 * reported instead), and anything else about a value whose type is already wrong.
 */
function relevantErrors(errors: readonly ErrorObject[]): ErrorObject[] {
  const wrongType = new Set(errors.filter((e) => e.keyword === 'type').map((e) => e.instancePath));
  return errors.filter((e) => {
    if (/\/(?:oneOf|anyOf)\/\d+\//.test(e.schemaPath)) return false;
    return e.keyword === 'type' || !wrongType.has(e.instancePath);
  });
}

function findingFor(error: ErrorObject): Finding | undefined {
  const at = pointerSegments(error.instancePath);
  const path = schemaErrorPath(error);
  const data = error.data;
  if (data === '' && ['pattern', 'const', 'enum', 'maxLength'].includes(error.keyword)) return notAString(at, data);
  switch (error.keyword) {
    case 'type': {
      const expected = String(error.params.type);
      if (expected === 'object') {
        return { code: ManifestErrorCode.NotAMapping, path, message: `${describe(at)} must be a mapping`, hint: `write ${describe(at)} as "key: value" lines` };
      }
      if (expected === 'array') {
        return { code: ManifestErrorCode.WrongType, path, message: `${describe(at)} must be a list`, hint: `write ${describe(at)} as a list of "- " items` };
      }
      return notAString(at, data);
    }
    case 'required': {
      const key = String(error.params.missingProperty);
      return {
        code: ManifestErrorCode.MissingKey,
        path,
        message: `${describe(at)} is missing required key "${key}"`,
        hint: `add "${key}:" to ${describe(at)}`,
      };
    }
    case 'additionalProperties': {
      const { key, allowed, suggestion } = unknownKey(error)!;
      const keys = `allowed keys: ${allowed.join(', ')}`;
      return {
        code: ManifestErrorCode.UnknownKey,
        path,
        message: `unknown key "${key}" in ${describe(at)}`,
        hint: suggestion ? `did you mean "${suggestion}"? ${keys}` : keys,
      };
    }
    case 'const':
      if (at[0] === 'kind') {
        return { code: ManifestErrorCode.BadKind, path, message: `kind must be ${MANIFEST_KIND}, got ${shown(data)}`, hint: `use kind: ${MANIFEST_KIND}` };
      }
      return { code: ManifestErrorCode.BadApiVersion, path, message: `unsupported apiVersion ${shown(data)}`, hint: `use apiVersion: ${MANIFEST_API_VERSION}` };
    case 'enum':
      return {
        code: ManifestErrorCode.UnsupportedPlatform,
        path,
        message: `unsupported platform ${shown(data)}`,
        hint: `supported platforms: ${SUPPORTED_PLATFORMS.join(', ')}`,
      };
    case 'minItems':
      return {
        code: ManifestErrorCode.UnsupportedPlatform,
        path,
        message: 'platforms is empty',
        hint: `list at least one of ${SUPPORTED_PLATFORMS.join(', ')}`,
      };
    case 'uniqueItems': {
      // An entry listed twice is also a name declared twice, which parseManifest reports with both lines.
      if (at[0] !== 'platforms') return undefined;
      const later = [...at, Number(error.params.i)];
      const item = (data as unknown[])[Number(error.params.i)];
      return {
        code: ManifestErrorCode.DuplicatePlatform,
        path: later,
        at: later,
        message: `platform ${shown(item)} is listed twice`,
        hint: 'remove the duplicate',
      };
    }
    case 'pattern':
    case 'maxLength':
      return badValue(definitions.get(error.parentSchema), path, String(data));
    case 'oneOf':
      return badSource(at, data as Record<string, unknown>);
    case 'anyOf':
      return {
        code: ManifestErrorCode.Empty,
        path,
        message: 'the manifest lists no plugins and no rulesfiles',
        hint: 'add a "plugins:" or "rulesfiles:" list',
      };
    default:
      return {
        code: ManifestErrorCode.WrongType,
        path,
        message: `${describe(at)} ${error.message ?? `fails ${error.keyword}`}`,
        hint: 'see the manifest format in the README',
      };
  }
}

function badValue(definition: Definition | undefined, path: PathSegment[], value: string): Finding {
  switch (definition) {
    case 'name': {
      const what = path[0] === 'rulesfiles' ? 'rulesfile' : 'plugin';
      return {
        code: ManifestErrorCode.BadName,
        path,
        message: `${what} name "${value}" is not valid`,
        hint: 'use lowercase letters, digits and dashes, as in the upstream registry',
      };
    }
    case 'semver': {
      const withoutV = value.startsWith('v') && semver.test(value.slice(1));
      return {
        code: ManifestErrorCode.BadSemver,
        path,
        message: `"${value}" is not a semantic version (MAJOR.MINOR.PATCH)`,
        hint: withoutV ? `drop the leading "v": "${value.slice(1)}"` : 'use a full semantic version such as "0.18.0"',
      };
    }
    case 'imagePath':
      return {
        code: ManifestErrorCode.BadPath,
        path,
        message: `"${value}" is not an absolute, normalised file path`,
        hint: 'use an absolute path without "..", "." or empty segments, e.g. /usr/share/falco/plugins/libcontainer.so',
      };
    default:
      return badReference(path, value);
  }
}

// The schema says whether a reference is valid; parsing it says what exactly is wrong.
function badReference(path: PathSegment[], value: string): Finding {
  const parsed = parseReference(value);
  if (!parsed.ok && parsed.problem === 'no-tag-or-digest') {
    return {
      code: ManifestErrorCode.ReferenceWithoutTagOrDigest,
      path,
      message: parsed.detail,
      hint: `pin it: ${value}:<version> or ${value}@sha256:<digest>`,
    };
  }
  if (!parsed.ok && parsed.problem === 'bad-digest') {
    return {
      code: ManifestErrorCode.BadDigest,
      path,
      message: `invalid digest in "${value}": ${parsed.detail}`,
      hint: 'copy the digest exactly as the registry reports it',
    };
  }
  const detail = parsed.ok ? 'it is not of the form registry/repository:tag' : parsed.detail;
  return {
    code: ManifestErrorCode.BadReference,
    path,
    message: `invalid reference "${value}": ${detail}`,
    hint: 'write it as registry/repository:tag, e.g. ghcr.io/falcosecurity/plugins/plugin/k8saudit:0.18.0',
  };
}

function badSource(at: PathSegment[], from: Record<string, unknown>): Finding {
  const hasArtifact = 'artifact' in from;
  if (hasArtifact === 'image' in from) {
    return {
      code: ManifestErrorCode.BadSource,
      path: at,
      message: hasArtifact ? '"from" names both an artifact and an image' : '"from" names neither an artifact nor an image',
      hint: 'use either "artifact: <ref>" or "image: <ref>" with "path: <file in image>"',
    };
  }
  if (hasArtifact) {
    const path = [...at, 'path'];
    return {
      code: ManifestErrorCode.BadSource,
      path,
      at: path,
      message: '"path" only applies to image sources',
      hint: 'remove "path", or use "image:" instead of "artifact:"',
    };
  }
  return {
    code: ManifestErrorCode.MissingKey,
    path: [...at, 'path'],
    at,
    message: 'an image source needs "path", the file to take from the image',
    hint: 'add e.g. path: /usr/share/falco/plugins/libcontainer.so',
  };
}

function notAString(at: PathSegment[], value: unknown): Finding {
  const got =
    value === '' ? 'an empty string' : value === null ? 'nothing' : typeof value === 'object' ? 'a structure' : `${typeof value} ${JSON.stringify(value)}`;
  const key = [...at].reverse().find((segment) => typeof segment === 'string') ?? 'value';
  return {
    code: ManifestErrorCode.WrongType,
    path: at,
    message: `${describe(at)} must be a non-empty string, got ${got}`,
    hint: `quote the value: ${key}: "..."`,
  };
}

function describe(at: PathSegment[]): string {
  return at.length ? `"${formatPath(at)}"` : 'the document';
}

function shown(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

import { createRequire } from 'node:module';
import type * as YamlLibrary from 'yaml';
import {
  closestMatch,
  locatePath,
  parseYamlSubset,
  yamlErrorLine,
  yamlSubsetValue,
  type PathSegment,
  type PositionLookup,
  type SourcePosition,
  type YamlSubsetNode,
} from '@falco-airgap/core';
import { ManifestErrorCode, type ManifestIssue } from './errors.ts';

/**
 * A node of a YAML document, as the reader walks it. `other` is what plain data does not hold
 * (an alias, a key that is a collection).
 */
export type YamlNode =
  | { kind: 'map'; start: number; pairs: { key: YamlNode | null; value: YamlNode | null }[] }
  | { kind: 'seq'; start: number; items: (YamlNode | null)[] }
  | { kind: 'scalar'; start: number; value: string | number | boolean | null }
  | { kind: 'other'; start: number };

/** A YAML node together with the dotted path that led to it. */
export interface Located {
  node: YamlNode | null;
  path: string;
}

/** The `yaml` library, loaded only for a document outside the subset `parseYamlSubset` reads (or writes). */
export const loadYaml = (() => {
  let library: typeof YamlLibrary | undefined;
  return () => (library ??= createRequire(import.meta.url)('yaml') as typeof YamlLibrary);
})();

/**
 * Reads a YAML document into plain values while collecting every problem with its position,
 * so one run reports all mistakes instead of the first one. Documents in the usual style are read
 * by a small reader; anything else by the full `yaml` library, with the same results.
 */
export class YamlReader {
  readonly issues: ManifestIssue[] = [];
  readonly file: string;
  readonly root: YamlNode | null;
  readonly #text: string;
  readonly #subsetRoot: YamlSubsetNode | null | undefined;
  /** The full library's document, when the small reader could not read the text. */
  readonly #document: YamlLibrary.Document | undefined;
  #lineStarts: number[] | undefined;

  constructor(text: string, file: string) {
    this.file = file;
    this.#text = text;
    const subset = parseYamlSubset(text);
    if (subset !== undefined) {
      this.root = this.#subsetRoot = subset;
      return;
    }
    const doc = loadYaml().parseDocument(text, { uniqueKeys: true, prettyErrors: false, strict: true });
    this.#document = doc;
    for (const err of doc.errors) {
      const code = err.code === 'DUPLICATE_KEY' ? ManifestErrorCode.DuplicateKey : ManifestErrorCode.YamlSyntax;
      const hint = code === ManifestErrorCode.DuplicateKey ? 'remove one of the two keys' : 'fix the YAML syntax at this position';
      this.issues.push({
        code,
        message: `invalid YAML: ${yamlErrorLine(err.message)}`,
        hint,
        path: '',
        position: this.positionAt(err.pos[0]),
      });
    }
    for (const warning of doc.warnings) {
      this.issues.push({
        code: ManifestErrorCode.YamlSyntax,
        message: `invalid YAML: ${yamlErrorLine(warning.message)}`,
        hint: 'remove tags and directives the manifest does not use',
        path: '',
        position: this.positionAt(warning.pos[0]),
      });
    }
    this.root = doc.errors.length ? null : fromLibrary(doc.contents as YamlLibrary.Node | null);
  }

  positionAt(offset: number): SourcePosition {
    const starts = (this.#lineStarts ??= lineStarts(this.#text));
    const at = Math.min(Math.max(0, offset), this.#text.length);
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (starts[middle]! <= at) low = middle;
      else high = middle - 1;
    }
    return { file: this.file, line: low + 1, column: at - starts[low]! + 1 };
  }

  positionOf(node: YamlNode | null | undefined): SourcePosition {
    return this.positionAt(node?.start ?? 0);
  }

  /** The document as plain data for schema validation; undefined, with issues, when it has keys that are not strings or aliases that expand without bound. */
  value(): unknown {
    if (!this.#document) return yamlSubsetValue(this.#subsetRoot ?? null);
    const yaml = loadYaml();
    yaml.visit(this.#document, {
      Pair: (_key, pair) => {
        if (!yaml.isScalar(pair.key))
          this.report(
            ManifestErrorCode.WrongType,
            fromLibrary(pair.key as YamlLibrary.Node | null),
            '',
            'a mapping has a key that is not a plain string',
            'use plain string keys',
          );
      },
    });
    if (this.issues.length) return undefined;
    try {
      return this.#document.toJS();
    } catch (error) {
      if (!(error instanceof ReferenceError)) throw error;
      this.report(ManifestErrorCode.YamlSyntax, this.root, '', `invalid YAML: ${error.message}`, 'write the values out instead of nesting aliases');
      return undefined;
    }
  }

  /** Where the document holds the value at a path, or the key that leads to it. */
  readonly lookup: PositionLookup = (segments, part) => {
    let node: YamlNode | null | undefined = this.root;
    let key: YamlNode | null | undefined;
    for (const segment of segments) {
      if (node?.kind === 'map') {
        const pair: { key: YamlNode | null; value: YamlNode | null } | undefined = node.pairs.find(
          (item) => item.key?.kind === 'scalar' && String(item.key.value) === String(segment),
        );
        key = pair?.key;
        node = pair?.value;
      } else if (node?.kind === 'seq' && typeof segment === 'number') {
        key = undefined;
        node = node.items[segment];
      } else {
        return undefined;
      }
      if (node === undefined) return part === 'key' && key ? this.positionOf(key) : undefined;
    }
    const found = part === 'key' ? key : node;
    return found ? this.positionOf(found) : undefined;
  };

  /** The position of the deepest node along a path; the start of the document when it holds none of it. */
  positionOfPath(segments: readonly PathSegment[]): SourcePosition {
    return locatePath(segments, this.lookup) ?? this.positionOf(this.root);
  }

  report(code: ManifestErrorCode, node: YamlNode | null | undefined, path: string, message: string, hint: string): void {
    this.issues.push({ code, message, hint, path, position: this.positionOf(node) });
  }

  /** Reads a mapping, reporting keys outside `allowed` and missing `required` keys. */
  mapping(at: Located, allowed: readonly string[], required: readonly string[]): Map<string, Located> | undefined {
    if (at.node?.kind !== 'map') {
      this.report(
        ManifestErrorCode.NotAMapping,
        at.node,
        at.path,
        `${describe(at.path)} must be a mapping`,
        `write ${describe(at.path)} as "key: value" lines`,
      );
      return undefined;
    }
    const entries = new Map<string, Located>();
    const map = at.node;
    for (const pair of map.pairs) {
      const key = pair.key?.kind === 'scalar' ? String(pair.key.value) : undefined;
      if (key === undefined) {
        this.report(ManifestErrorCode.WrongType, pair.key, at.path, `${describe(at.path)} has a key that is not a plain string`, 'use plain string keys');
        continue;
      }
      const childPath = at.path ? `${at.path}.${key}` : key;
      if (!allowed.includes(key)) {
        const suggestion = closestMatch(key, allowed);
        this.report(
          ManifestErrorCode.UnknownKey,
          pair.key,
          childPath,
          `unknown key "${key}" in ${describe(at.path)}`,
          suggestion ? `did you mean "${suggestion}"? allowed keys: ${allowed.join(', ')}` : `allowed keys: ${allowed.join(', ')}`,
        );
        continue;
      }
      entries.set(key, { node: pair.value ?? null, path: childPath });
    }
    for (const key of required) {
      if (!entries.has(key) && !map.pairs.some((pair) => pair.key?.kind === 'scalar' && String(pair.key.value) === key)) {
        this.report(
          ManifestErrorCode.MissingKey,
          at.node,
          at.path ? `${at.path}.${key}` : key,
          `${describe(at.path)} is missing required key "${key}"`,
          `add "${key}:" to ${describe(at.path)}`,
        );
      }
    }
    return entries;
  }

  sequence(at: Located): Located[] | undefined {
    if (at.node?.kind !== 'seq') {
      this.report(ManifestErrorCode.WrongType, at.node, at.path, `${describe(at.path)} must be a list`, `write ${describe(at.path)} as a list of "- " items`);
      return undefined;
    }
    return at.node.items.map((item, index) => ({ node: item, path: `${at.path}[${index}]` }));
  }

  /** A string scalar; numbers such as `0.18` are refused so versions are never silently reinterpreted. */
  string(at: Located | undefined): string | undefined {
    if (!at) return undefined;
    if (at.node?.kind !== 'scalar' || typeof at.node.value !== 'string' || at.node.value === '') {
      const got = at.node?.kind === 'scalar' ? `${typeof at.node.value} ${JSON.stringify(at.node.value)}` : at.node ? 'a structure' : 'nothing';
      this.report(
        ManifestErrorCode.WrongType,
        at.node,
        at.path,
        `${describe(at.path)} must be a non-empty string, got ${got}`,
        `quote the value: ${lastKey(at.path)}: "..."`,
      );
      return undefined;
    }
    return at.node.value;
  }

  integer(at: Located | undefined): number | undefined {
    if (!at) return undefined;
    if (at.node?.kind !== 'scalar' || typeof at.node.value !== 'number' || !Number.isSafeInteger(at.node.value) || at.node.value < 0) {
      this.report(ManifestErrorCode.WrongType, at.node, at.path, `${describe(at.path)} must be a non-negative integer`, 'write a whole number');
      return undefined;
    }
    return at.node.value;
  }
}

function describe(path: string): string {
  return path ? `"${path}"` : 'the document';
}

function lastKey(path: string): string {
  return (
    path
      .split('.')
      .pop()
      ?.replace(/\[\d+\]$/, '') ?? path
  );
}

/** Offsets where each line starts. */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let at = text.indexOf('\n'); at >= 0; at = text.indexOf('\n', at + 1)) starts.push(at + 1);
  return starts;
}

/** The full library's node as the reader walks it: its offsets, and plain values for scalars. */
function fromLibrary(node: YamlLibrary.Node | null | undefined): YamlNode | null {
  if (!node) return null;
  const yaml = loadYaml();
  const start = node.range?.[0] ?? 0;
  if (yaml.isMap(node)) {
    return {
      kind: 'map',
      start,
      pairs: node.items.map((pair) => ({ key: fromLibrary(pair.key as YamlLibrary.Node | null), value: fromLibrary(pair.value as YamlLibrary.Node | null) })),
    };
  }
  if (yaml.isSeq(node)) return { kind: 'seq', start, items: node.items.map((item) => fromLibrary(item as YamlLibrary.Node | null)) };
  if (yaml.isScalar(node)) return { kind: 'scalar', start, value: node.value as string | number | boolean | null };
  return { kind: 'other', start };
}

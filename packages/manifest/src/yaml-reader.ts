import { isMap, isNode, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node, type Pair, type YAMLMap } from 'yaml';
import { closestMatch, locatePath, type PathSegment, type PositionLookup, type SourcePosition } from '@falco-airgap/core';
import { ManifestErrorCode, type ManifestIssue } from './errors.ts';

/** A YAML node together with the dotted path that led to it. */
export interface Located {
  node: Node | null;
  path: string;
}

/**
 * Reads a YAML document into plain values while collecting every problem with its position,
 * so one run reports all mistakes instead of the first one.
 */
export class YamlReader {
  readonly issues: ManifestIssue[] = [];
  readonly file: string;
  readonly root: Node | null;
  private readonly document: Document;
  private readonly lineCounter: LineCounter;

  constructor(text: string, file: string) {
    this.file = file;
    this.lineCounter = new LineCounter();
    const doc = parseDocument(text, { lineCounter: this.lineCounter, uniqueKeys: true, prettyErrors: false, strict: true });
    this.document = doc;
    for (const err of doc.errors) {
      const code = err.code === 'DUPLICATE_KEY' ? ManifestErrorCode.DuplicateKey : ManifestErrorCode.YamlSyntax;
      const hint = code === ManifestErrorCode.DuplicateKey ? 'remove one of the two keys' : 'fix the YAML syntax at this position';
      this.issues.push({
        code,
        message: `invalid YAML: ${err.message.split('\n')[0]}`,
        hint,
        path: '',
        position: this.positionAt(err.pos[0]),
      });
    }
    for (const warning of doc.warnings) {
      this.issues.push({
        code: ManifestErrorCode.YamlSyntax,
        message: `invalid YAML: ${warning.message.split('\n')[0]}`,
        hint: 'remove tags and directives the manifest does not use',
        path: '',
        position: this.positionAt(warning.pos[0]),
      });
    }
    this.root = doc.errors.length ? null : (doc.contents as Node | null);
  }

  positionAt(offset: number): SourcePosition {
    const { line, col } = this.lineCounter.linePos(Math.max(0, offset));
    return { file: this.file, line, column: col };
  }

  positionOf(node: Node | null | undefined): SourcePosition {
    return this.positionAt(node?.range?.[0] ?? 0);
  }

  /** The document as plain data for schema validation; undefined, with issues, when it has keys that are not strings or aliases that expand without bound. */
  value(): unknown {
    visit(this.document, {
      Pair: (_key, pair) => {
        if (!isScalar(pair.key))
          this.report(ManifestErrorCode.WrongType, pair.key as Node | null, '', 'a mapping has a key that is not a plain string', 'use plain string keys');
      },
    });
    if (this.issues.length) return undefined;
    try {
      return this.document.toJS();
    } catch (error) {
      if (!(error instanceof ReferenceError)) throw error;
      this.report(ManifestErrorCode.YamlSyntax, this.root, '', `invalid YAML: ${error.message}`, 'write the values out instead of nesting aliases');
      return undefined;
    }
  }

  /** Where the document holds the value at a path, or the key that leads to it. */
  readonly lookup: PositionLookup = (segments, part) => {
    if (part === 'key') {
      const parent = this.document.getIn(segments.slice(0, -1), true);
      const key = segments.at(-1);
      const pair = isMap(parent) ? parent.items.find((item) => isScalar(item.key) && String(item.key.value) === String(key)) : undefined;
      return isNode(pair?.key) ? this.positionOf(pair.key) : undefined;
    }
    const node = this.document.getIn(segments, true);
    return isNode(node) ? this.positionOf(node) : undefined;
  };

  /** The position of the deepest node along a path; the start of the document when it holds none of it. */
  positionOfPath(segments: readonly PathSegment[]): SourcePosition {
    return locatePath(segments, this.lookup) ?? this.positionOf(this.root);
  }

  report(code: ManifestErrorCode, node: Node | null | undefined, path: string, message: string, hint: string): void {
    this.issues.push({ code, message, hint, path, position: this.positionOf(node) });
  }

  /** Reads a mapping, reporting keys outside `allowed` and missing `required` keys. */
  mapping(at: Located, allowed: readonly string[], required: readonly string[]): Map<string, Located> | undefined {
    if (!isMap(at.node)) {
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
    for (const pair of (at.node as YAMLMap<unknown, unknown>).items as Pair<Node, Node | null>[]) {
      const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
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
      if (!entries.has(key) && !this.hasKey(at.node as YAMLMap, key)) {
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

  private hasKey(map: YAMLMap, key: string): boolean {
    return map.items.some((pair) => isScalar(pair.key) && String(pair.key.value) === key);
  }

  sequence(at: Located): Located[] | undefined {
    if (!isSeq(at.node)) {
      this.report(ManifestErrorCode.WrongType, at.node, at.path, `${describe(at.path)} must be a list`, `write ${describe(at.path)} as a list of "- " items`);
      return undefined;
    }
    return at.node.items.map((item, index) => ({ node: (item as Node | null) ?? null, path: `${at.path}[${index}]` }));
  }

  /** A string scalar; numbers such as `0.18` are refused so versions are never silently reinterpreted. */
  string(at: Located | undefined): string | undefined {
    if (!at) return undefined;
    if (!isScalar(at.node) || typeof at.node.value !== 'string' || at.node.value === '') {
      const got = isScalar(at.node) ? `${typeof at.node.value} ${JSON.stringify(at.node.value)}` : at.node ? 'a structure' : 'nothing';
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
    if (!isScalar(at.node) || typeof at.node.value !== 'number' || !Number.isSafeInteger(at.node.value) || at.node.value < 0) {
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

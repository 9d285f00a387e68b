/**
 * A reader and writer for the plain YAML that manifests and locks are written in, so the files read
 * most need no YAML library. Whatever it returns equals what the `yaml` package (YAML 1.2 core schema,
 * `uniqueKeys` and `strict`) gives for the same text; anything it is not sure about yields `undefined`
 * and is left to the full library.
 */

export type YamlSubsetNode =
  | { kind: 'map'; start: number; pairs: { key: YamlSubsetScalar; value: YamlSubsetNode | null }[] }
  | { kind: 'seq'; start: number; items: (YamlSubsetNode | null)[] }
  | YamlSubsetScalar;

export interface YamlSubsetScalar {
  kind: 'scalar';
  start: number;
  value: string | number | boolean | null;
}

/** Thrown inside this module when the text or value is outside the subset; never escapes it. */
const OUTSIDE = Symbol('outside the YAML subset');
function outside(): never {
  throw OUTSIDE;
}

// The YAML 1.2 core schema's implicit types, tried in this order.
const NULL = /^(?:~|[Nn]ull|NULL)?$/;
const BOOL = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
const INT_OCT = /^0o[0-7]+$/;
const INT = /^[-+]?[0-9]+$/;
const INT_HEX = /^0x[0-9a-fA-F]+$/;
const FLOAT_SPECIAL = /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;
const FLOAT_EXP = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/;
const FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/;

// Only these can start a null, boolean or number, and none has two dots: the rest is a string without running the patterns.
const NON_STRING_START = new Set('~nNtTfF+-.0123456789');

/** What a plain (unquoted) scalar means under the core schema. */
function resolvePlain(text: string): string | number | boolean | null {
  if (text !== '' && (!NON_STRING_START.has(text[0]!) || text.indexOf('.') !== text.lastIndexOf('.'))) return text;
  if (NULL.test(text)) return null;
  if (BOOL.test(text)) return text[0] === 't' || text[0] === 'T';
  if (INT_OCT.test(text)) return parseInt(text.slice(2), 8);
  if (INT.test(text)) return parseInt(text, 10);
  if (INT_HEX.test(text)) return parseInt(text.slice(2), 16);
  if (FLOAT_SPECIAL.test(text)) return text.endsWith('nan') || text.endsWith('NaN') || text.endsWith('NAN') ? NaN : text[0] === '-' ? -Infinity : Infinity;
  if (FLOAT_EXP.test(text) || FLOAT.test(text)) return parseFloat(text);
  return text;
}

// Tabs, control characters, BOM and Unicode line separators are left to the full parser, as is a lone CR.
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const REFUSED_CHARACTERS = /[\x00-\x09\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]|\r(?!\n)/;
const INDICATOR_START = new Set('[]{},#&*!|>\'"%@`?:');
const DOUBLE_QUOTE_ESCAPES: Record<string, string> = {
  '0': '\0',
  a: '\x07',
  b: '\b',
  e: '\x1b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  N: '\u0085',
  _: '\u00a0',
  L: '\u2028',
  P: '\u2029',
  ' ': ' ',
  '"': '"',
  '/': '/',
  '\\': '\\',
};
const HEX_ESCAPE_LENGTH: Record<string, number> = { x: 2, u: 4, U: 8 };
const MAX_DEPTH = 64;
const MAX_KEY_LENGTH = 1000;

/** One line holding content; `indent` is the column where its current block content starts. */
interface Line {
  start: number;
  end: number;
  indent: number;
}

interface Scanned {
  node: YamlSubsetNode;
  next: number;
}

class SubsetParser {
  private readonly text: string;
  private readonly lines: Line[] = [];
  private index = 0;
  private depth = 0;

  constructor(text: string) {
    this.text = text;
    for (let start = 0; start < text.length;) {
      const newline = text.indexOf('\n', start);
      const next = newline === -1 ? text.length : newline + 1;
      const end = newline > start && text[newline - 1] === '\r' ? newline - 1 : newline === -1 ? text.length : newline;
      let content = start;
      while (content < end && text[content] === ' ') content++;
      if (content < end && text[content] !== '#') this.lines.push({ start, end, indent: content - start });
      start = next;
    }
  }

  parseDocument(): YamlSubsetNode | null {
    const first = this.lines[0];
    if (first && this.isDocumentMarker(first) && this.text[first.start] === '-' && this.endsHere(first.start + 3, first.end)) this.index++;
    for (let i = this.index; i < this.lines.length; i++) if (this.isDocumentMarker(this.lines[i]!)) outside();
    const root = this.lines[this.index];
    if (!root) return null;
    let node: YamlSubsetNode;
    if (this.isSequenceEntry(root) || this.readKey(root)) node = this.parseCollection(root.indent);
    else {
      node = this.parseValueToEnd(root.start + root.indent, root.end);
      this.index++;
    }
    if (this.index < this.lines.length) outside();
    return node;
  }

  private parseCollection(indent: number): YamlSubsetNode {
    if (++this.depth > MAX_DEPTH) outside();
    const line = this.lines[this.index]!;
    const node = this.isSequenceEntry(line) ? this.parseSequence(indent) : this.parseMap(indent);
    this.depth--;
    return node;
  }

  private parseSequence(indent: number): YamlSubsetNode {
    const items: (YamlSubsetNode | null)[] = [];
    const start = this.lines[this.index]!.start + indent;
    for (let line = this.lines[this.index]; line && line.indent === indent && this.isSequenceEntry(line); line = this.lines[this.index]) {
      const content = this.skipSpaces(line.start + indent + 1, line.end);
      if (this.endsHere(line.start + indent + 1, line.end)) {
        this.index++;
        items.push(this.parseIndented(indent, false));
      } else {
        // A compact entry (`- key: value`, `- - item`) is a block whose indentation is the column of its content.
        line.indent = content - line.start;
        if (this.isSequenceEntry(line) || this.readKey(line)) items.push(this.parseCollection(line.indent));
        else {
          items.push(this.parseValueToEnd(content, line.end));
          this.index++;
        }
      }
      this.refuseDeeperLine(indent);
    }
    return { kind: 'seq', start, items };
  }

  private parseMap(indent: number): YamlSubsetNode {
    const pairs: { key: YamlSubsetScalar; value: YamlSubsetNode | null }[] = [];
    const seen = new Set<string>();
    const start = this.lines[this.index]!.start + indent;
    for (let line = this.lines[this.index]; line && line.indent === indent; line = this.lines[this.index]) {
      const key = this.readKey(line) ?? outside();
      if (seen.has(key.node.value as string)) outside();
      seen.add(key.node.value as string);
      if (this.endsHere(key.next, line.end)) {
        this.index++;
        pairs.push({ key: key.node, value: this.parseIndented(indent, true) });
      } else {
        pairs.push({ key: key.node, value: this.parseValueToEnd(this.skipSpaces(key.next, line.end), line.end) });
        this.index++;
      }
      this.refuseDeeperLine(indent);
    }
    return { kind: 'map', start, pairs };
  }

  /** The block value on the lines after `key:` or `-`; a map's value may be a sequence at the map's own indentation. */
  private parseIndented(indent: number, sequenceAtSameIndent: boolean): YamlSubsetNode | null {
    const next = this.lines[this.index];
    if (!next) return null;
    if (next.indent > indent) {
      if (!this.isSequenceEntry(next) && !this.readKey(next)) outside();
      return this.parseCollection(next.indent);
    }
    if (sequenceAtSameIndent && next.indent === indent && this.isSequenceEntry(next)) return this.parseCollection(indent);
    return null;
  }

  /** A line indented deeper than the block that just ended would continue a scalar or break the structure. */
  private refuseDeeperLine(indent: number): void {
    const next = this.lines[this.index];
    if (next && next.indent > indent) outside();
  }

  private isDocumentMarker({ start, end, indent }: Line): boolean {
    const marker = indent === 0 && (this.text.startsWith('---', start) || this.text.startsWith('...', start));
    return marker && (start + 3 === end || this.text[start + 3] === ' ');
  }

  private isSequenceEntry(line: Line): boolean {
    const at = line.start + line.indent;
    return this.text[at] === '-' && (at + 1 === line.end || this.text[at + 1] === ' ');
  }

  /** The key of a `key: value` line and the offset after its `:`, or undefined when the line holds no key. */
  private readKey(line: Line): { node: YamlSubsetScalar; next: number } | undefined {
    const at = line.start + line.indent;
    const quoted = this.text[at] === '"' || this.text[at] === "'";
    let node: YamlSubsetScalar;
    let after: number;
    if (quoted) {
      const scanned = this.scanQuoted(at, line.end);
      node = scanned.node;
      after = this.skipSpaces(scanned.next, line.end);
    } else {
      if (!this.plainMayStartAt(at, line.end, false)) return undefined;
      after = this.scanPlain(at, line.end, false);
      node = { kind: 'scalar', start: at, value: this.text.slice(at, this.trimEnd(at, after)) };
    }
    if (this.text[after] !== ':' || (after + 1 < line.end && this.text[after + 1] !== ' ')) return undefined;
    // Keys that resolve to numbers, booleans or null become strings in toJS only by yaml's own rules: left to yaml.
    if ((!quoted && typeof resolvePlain(node.value as string) !== 'string') || after - at > MAX_KEY_LENGTH) outside();
    return { node, next: after + 1 };
  }

  private parseValueToEnd(at: number, end: number): YamlSubsetNode {
    const { node, next } = this.scanValue(at, end, false);
    if (!this.endsHere(next, end)) outside();
    return node;
  }

  private scanValue(at: number, end: number, inFlow: boolean): Scanned {
    const ch = this.text[at];
    if (ch === '"' || ch === "'") return this.scanQuoted(at, end);
    if (ch === '[' && !inFlow) return this.scanFlowSequence(at, end);
    if (ch === '{' && !inFlow) {
      const close = this.skipSpaces(at + 1, end);
      if (this.text[close] !== '}') outside();
      return { node: { kind: 'map', start: at, pairs: [] }, next: close + 1 };
    }
    if (!this.plainMayStartAt(at, end, inFlow)) outside();
    const stop = this.scanPlain(at, end, inFlow);
    return { node: { kind: 'scalar', start: at, value: resolvePlain(this.text.slice(at, this.trimEnd(at, stop))) }, next: stop };
  }

  private scanFlowSequence(at: number, end: number): Scanned {
    const items: YamlSubsetNode[] = [];
    let pos = this.skipSpaces(at + 1, end);
    if (this.text[pos] !== ']') {
      for (;;) {
        const item = this.scanValue(pos, end, true);
        items.push(item.node);
        pos = this.skipSpaces(item.next, end);
        if (this.text[pos] === ']') break;
        if (this.text[pos] !== ',' || pos >= end) outside();
        pos = this.skipSpaces(pos + 1, end);
      }
    }
    return { node: { kind: 'seq', start: at, items }, next: pos + 1 };
  }

  private plainMayStartAt(at: number, end: number, inFlow: boolean): boolean {
    const ch = this.text[at]!;
    if (at >= end || INDICATOR_START.has(ch)) return false;
    const next = this.text[at + 1];
    return ch !== '-' || (at + 1 < end && next !== ' ' && !(inFlow && (next === ',' || next === ']')));
  }

  /** Where a one-line plain scalar stops: at `: `, ` #`, the line end, or (in a flow sequence) `,` or `]`. */
  private scanPlain(at: number, end: number, inFlow: boolean): number {
    for (let pos = at; pos < end; pos++) {
      const ch = this.text[pos];
      if (inFlow) {
        if (ch === ',' || ch === ']') return pos;
        if (ch === '[' || ch === '{' || ch === '}' || ch === ':' || ch === '#') outside();
      } else if ((ch === ':' && (pos + 1 === end || this.text[pos + 1] === ' ')) || (ch === ' ' && this.text[pos + 1] === '#')) return pos;
    }
    if (inFlow) outside();
    return end;
  }

  private scanQuoted(at: number, end: number): { node: YamlSubsetScalar; next: number } {
    const quote = this.text[at];
    let value = '';
    for (let pos = at + 1; pos < end; pos++) {
      const ch = this.text[pos]!;
      if (ch === quote) {
        if (quote === "'" && this.text[pos + 1] === "'" && pos + 1 < end) {
          value += "'";
          pos++;
        } else return { node: { kind: 'scalar', start: at, value }, next: pos + 1 };
      } else if (ch === '\\' && quote === '"') {
        const code = this.text[++pos] ?? '';
        const hexLength = HEX_ESCAPE_LENGTH[code];
        if (hexLength) {
          const hex = this.text.slice(pos + 1, pos + 1 + hexLength);
          const point = /^[0-9a-fA-F]+$/.test(hex) && hex.length === hexLength ? parseInt(hex, 16) : NaN;
          if (!(point <= 0x10ffff)) outside();
          value += String.fromCodePoint(point);
          pos += hexLength;
        } else if (pos < end && Object.hasOwn(DOUBLE_QUOTE_ESCAPES, code)) value += DOUBLE_QUOTE_ESCAPES[code];
        else outside();
      } else value += ch;
    }
    return outside();
  }

  private skipSpaces(pos: number, end: number): number {
    while (pos < end && this.text[pos] === ' ') pos++;
    return pos;
  }

  private trimEnd(start: number, end: number): number {
    while (end > start && this.text[end - 1] === ' ') end--;
    return end;
  }

  /** True when nothing but spaces and a comment (which needs a space before it) follows `pos` on the line. */
  private endsHere(pos: number, end: number): boolean {
    const rest = this.skipSpaces(pos, end);
    return rest === end || (this.text[rest] === '#' && rest > pos);
  }
}

/** The document's root node (null for an empty document or one holding only comments); undefined when the text is outside the subset. */
export function parseYamlSubset(text: string): YamlSubsetNode | null | undefined {
  if (REFUSED_CHARACTERS.test(text)) return undefined;
  try {
    return new SubsetParser(text).parseDocument();
  } catch (error) {
    if (error === OUTSIDE) return undefined;
    throw error;
  }
}

/** Plain JS value of a node (objects with string keys, arrays, scalars), as yaml's toJS gives it. */
export function yamlSubsetValue(node: YamlSubsetNode | null): unknown {
  if (node === null) return null;
  if (node.kind === 'scalar') return node.value;
  if (node.kind === 'seq') return node.items.map(yamlSubsetValue);
  const object: Record<string, unknown> = {};
  // defineProperty, as yaml does for keys such as `__proto__`, so every key becomes an own property.
  for (const { key, value } of node.pairs) {
    Object.defineProperty(object, key.value as string, { value: yamlSubsetValue(value), writable: true, enumerable: true, configurable: true });
  }
  return object;
}

// Control characters, newlines and document markers make yaml choose escapes or block styles this writer does not reproduce.
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const REFUSED_IN_STRINGS = /[\x00-\x1f\x7f-\x9f\ud800-\udfff\u2028\u2029\ufeff]|^(?:---|\.\.\.)/;
const NEEDS_QUOTES = /^[ ,[\]{}#&*!|>'"%@`]|^[?-]$|^[?-] |: | #|[ :]$/;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

function writeString(value: string): string {
  if (REFUSED_IN_STRINGS.test(value)) outside();
  if (!NEEDS_QUOTES.test(value) && typeof resolvePlain(value) === 'string') return value;
  return value.includes('"') && !value.includes("'") ? `'${value}'` : JSON.stringify(value);
}

/** Block collections start on the next line after `key:`; scalars and empty collections stay on the key's line. */
function isBlockCollection(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0;
  return isPlainObject(value) && Object.values(value).some((entry) => entry !== undefined);
}

function writeNode(value: unknown, indent: string, seen: Set<object>): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'number') return Number.isFinite(value) && !Object.is(value, -0) ? String(value) : outside();
  if (typeof value === 'string') return writeString(value);
  if (typeof value !== 'object') return outside();
  // yaml writes an object met twice as an anchor and an alias.
  if (seen.has(value)) outside();
  seen.add(value);
  const inner = `${indent}  `;
  if (Array.isArray(value) && Object.getPrototypeOf(value) === Array.prototype) {
    if (value.length === 0) return '[]';
    return Array.from(value, (item: unknown) => `- ${writeNode(item === undefined ? null : item, inner, seen)}`).join(`\n${indent}`);
  }
  if (!isPlainObject(value)) return outside();
  const lines: string[] = [];
  for (const [key, entry] of Object.entries(value)) {
    if (entry === undefined) continue;
    const writtenKey = writeString(key);
    if (writtenKey.length > 1024) outside();
    lines.push(`${writtenKey}:${isBlockCollection(entry) ? `\n${inner}` : ' '}${writeNode(entry, inner, seen)}`);
  }
  return lines.length ? lines.join(`\n${indent}`) : '{}';
}

/** YAML text identical, byte for byte, to yaml's `stringify(value, { lineWidth: 0, indent: 2 })`, or undefined when the value is outside what this writer reproduces exactly. */
export function stringifyYamlSubset(value: unknown): string | undefined {
  try {
    return value === undefined ? undefined : `${writeNode(value, '', new Set())}\n`;
  } catch (error) {
    if (error === OUTSIDE) return undefined;
    throw error;
  }
}

/**
 * The first line of a `yaml` library error, fit for one line of output: each quoted piece of source
 * cut to 40 characters and the line to 200 (a binary file read as YAML quotes kilobytes of itself).
 */
export function yamlErrorLine(message: string): string {
  const line = (message.split('\n')[0] ?? '').replace(/"((?:[^"\\]|\\.)*)"/g, (whole, inner: string) =>
    inner.length > 40 ? `"${inner.slice(0, 40)}…"` : whole,
  );
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

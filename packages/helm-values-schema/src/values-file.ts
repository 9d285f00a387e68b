import { locatePath, yamlErrorLine, type PositionLookup, type SourcePosition } from '@falco-airgap/core';
import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument, type Document } from 'yaml';
import { ValuesError, ValuesErrorCode, type ValuesIssue } from './errors.ts';
import { mergeValues, type ValuesLayer } from './merge.ts';
import { validateValues, type ValidateValuesOptions } from './validate.ts';
import { parsePath } from './value-path.ts';

/** One parsed values file, kept with its YAML document so issues can point at lines. */
export interface ValuesFile {
  file: string;
  values: ValuesLayer;
  document: Document;
  lines: LineCounter;
}

/** Parses the text of a values file; YAML errors and a non-map document throw a ValuesError with the position. */
export function parseValuesFile(text: string, file: string): ValuesFile {
  const lines = new LineCounter();
  const document = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const syntax = document.errors[0];
  if (syntax) {
    const { line, col } = lines.linePos(syntax.pos[0]);
    throw new ValuesError([
      {
        code: ValuesErrorCode.YamlSyntax,
        path: '',
        message: yamlErrorLine(syntax.message),
        hint: 'fix the YAML: indent with spaces and quote values that contain ": " or start with special characters',
        position: { file, line, column: col },
      },
    ]);
  }
  let values: unknown;
  try {
    values = document.toJS();
  } catch (error) {
    // The yaml library refuses to expand aliases past its limit (a "billion laughs" document).
    throw new ValuesError([
      {
        code: ValuesErrorCode.YamlSyntax,
        path: '',
        message: yamlErrorLine((error as Error).message),
        hint: 'write the values out instead of nesting aliases',
        position: { file, line: 1, column: 1 },
      },
    ]);
  }
  if (values === null || values === undefined) return { file, values: {}, document, lines };
  if (typeof values !== 'object' || Array.isArray(values)) {
    throw new ValuesError([
      {
        code: ValuesErrorCode.NotAMapping,
        path: '',
        message: 'a values file must be a map of keys',
        hint: 'write the values as YAML keys at the top level, e.g. pluginStrategy: sidecar',
        position: { file, line: 1, column: 1 },
      },
    ]);
  }
  return { file, values: values as ValuesLayer, document, lines };
}

/** Where a values file sets the value at a path (issues are located by the value they name). */
function lookupIn(layer: ValuesFile): PositionLookup {
  return (segments) => {
    const node = layer.document.getIn(segments, true) as { range?: [number, number, number] } | undefined;
    if (!node?.range) return undefined;
    const { line, col } = layer.lines.linePos(node.range[0]);
    return { file: layer.file, line, column: col };
  };
}

/** Where an issue's value was set: the last layer that sets it (later layers win), if any does. */
export function locateIssue(layers: readonly ValuesFile[], issue: ValuesIssue): SourcePosition | undefined {
  const segments = parsePath(issue.path);
  for (let i = layers.length - 1; i >= 0; i--) {
    const position = locatePath(segments, lookupIn(layers[i]!));
    if (position) return position;
  }
  return undefined;
}

export interface ValuesFilesResult {
  /** The layers merged as helm -f merges them (before the chart defaults). */
  values: ValuesLayer;
  issues: ValuesIssue[];
}

/** Reads values files in -f order, merges them and validates the result; issues carry the file and line that set the value. */
export async function checkValuesFiles(files: readonly string[], options: ValidateValuesOptions = {}): Promise<ValuesFilesResult> {
  const layers: ValuesFile[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (cause) {
      throw new ValuesError(
        [
          {
            code: ValuesErrorCode.ReadFailed,
            path: '',
            message: `cannot read ${file}`,
            hint: 'check the path of the values file',
            position: { file, line: 1, column: 1 },
          },
        ],
        { cause },
      );
    }
    layers.push(parseValuesFile(text, file));
  }
  const values = mergeValues(...layers.map((layer) => layer.values));
  const issues = validateValues(values, options).map((issue) => ({ ...issue, position: locateIssue(layers, issue) }));
  return { values, issues };
}

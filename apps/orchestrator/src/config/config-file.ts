import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import {
  closestMatch,
  formatPath,
  locatePath,
  locateSchemaError,
  pointerSegments,
  unknownKey,
  yamlErrorLine,
  type PathSegment,
  type PositionLookup,
  type SourcePosition,
} from '@falco-airgap/core';
import { readFile } from 'node:fs/promises';
import { isMap, isNode, isScalar, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { ConfigError, ConfigErrorCode, type ConfigIssue } from './config-error.ts';
import {
  CONFIG_API_VERSION,
  CONFIG_KIND,
  configJsonSchema,
  SECRET_FIELDS,
  VARIABLE_REFERENCE,
  type ConfigDocument,
  type EnvironmentConfig,
} from './config-schema.ts';

/** A configuration file read and checked, with a way to point at its lines. */
export interface LoadedConfig {
  file: string;
  document: ConfigDocument;
  /** Where a path of the document is written (the start of the file when it is not). */
  positionOf(path: readonly PathSegment[], part?: 'key' | 'value'): SourcePosition;
}

let compiled: ValidateFunction | undefined;
function validator(): ValidateFunction {
  compiled ??= new Ajv2020({ allErrors: true, strict: true, strictRequired: false, verbose: true }).compile(configJsonSchema);
  return compiled;
}

/** Reads a configuration file; refuses it with every issue at FILE:LINE:COL. */
export async function loadConfigFile(file: string, shownAs: string = file): Promise<LoadedConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const position = { file: shownAs, line: 1, column: 1 };
    throw new ConfigError([
      {
        code: ConfigErrorCode.NotFound,
        message: `cannot read ${shownAs}: ${(error as Error).message}`,
        hint: 'check the path given to the config option',
        position,
      },
    ]);
  }
  return parseConfig(text, shownAs);
}

/** Parses and checks the text of a configuration file. */
export function parseConfig(text: string, file: string): LoadedConfig {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false, strict: true });
  const at = (offset: number): SourcePosition => {
    const { line, col } = lines.linePos(Math.max(0, offset));
    return { file, line, column: col };
  };
  const syntax = [...doc.errors, ...doc.warnings].map<ConfigIssue>((error) => ({
    code: error.code === 'DUPLICATE_KEY' ? ConfigErrorCode.DuplicateKey : ConfigErrorCode.YamlSyntax,
    message: `invalid YAML: ${yamlErrorLine(error.message)}`,
    hint: error.code === 'DUPLICATE_KEY' ? 'remove one of the two keys' : 'fix the YAML syntax at this position',
    position: at(error.pos[0]),
  }));
  if (syntax.length) throw new ConfigError(syntax);

  const lookup = documentLookup(doc, at);
  const positionOf = (path: readonly PathSegment[], part: 'key' | 'value' = 'value') => locatePath(path, lookup, part) ?? at(0);
  let value: unknown;
  try {
    value = doc.toJS();
  } catch (error) {
    // The yaml library refuses to expand aliases past its limit (a "billion laughs" document).
    throw new ConfigError([
      {
        code: ConfigErrorCode.YamlSyntax,
        message: `invalid YAML: ${yamlErrorLine((error as Error).message)}`,
        hint: 'write the values out instead of nesting aliases',
        position: at(0),
      },
    ]);
  }
  const validate = validator();
  const issues: ConfigIssue[] = [];
  if (!validate(value)) {
    for (const error of relevant(validate.errors ?? [])) {
      const position = locateSchemaError(error, lookup) ?? at(0);
      issues.push({ ...describeError(error), position });
    }
  } else {
    issues.push(...semanticIssues(value as ConfigDocument, positionOf));
  }
  if (issues.length) throw new ConfigError(dedupe(issues));
  return { file, document: value as ConfigDocument, positionOf };
}

/** The settings of one environment; an unknown name is refused at the environments key. */
export function selectEnvironment(config: LoadedConfig, name: string): EnvironmentConfig {
  const environments = config.document.environments;
  if (Object.hasOwn(environments, name)) return environments[name]!;
  const known = Object.keys(environments);
  const suggestion = closestMatch(name, known);
  throw new ConfigError([
    {
      code: ConfigErrorCode.UnknownEnvironment,
      message: `environment "${name}" is not defined in ${config.file}`,
      hint: `${suggestion ? `did you mean "${suggestion}"? ` : ''}defined environments: ${known.join(', ')}`,
      position: config.positionOf(['environments'], 'key'),
    },
  ]);
}

/** Where a YAML file holds a path (the start of the file when it holds none of it): for findings about files other than the configuration. */
export function yamlPositions(text: string, file: string): (path: readonly PathSegment[]) => SourcePosition {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  const at = (offset: number): SourcePosition => {
    const { line, col } = lines.linePos(Math.max(0, offset));
    return { file, line, column: col };
  };
  const lookup = documentLookup(doc, at);
  return (path) => locatePath(path, lookup) ?? at(0);
}

function documentLookup(doc: Document, at: (offset: number) => SourcePosition): PositionLookup {
  return (segments, part) => {
    if (part === 'key') {
      const parent = doc.getIn(segments.slice(0, -1), true);
      const key = segments.at(-1);
      const pair = isMap(parent) ? parent.items.find((item) => isScalar(item.key) && String(item.key.value) === String(key)) : undefined;
      return isNode(pair?.key) ? at((pair.key as Node).range?.[0] ?? 0) : undefined;
    }
    const node = doc.getIn(segments, true);
    return isNode(node) ? at(node.range?.[0] ?? 0) : undefined;
  };
}

// The then-branch of strategy s3 and the reasons inside a failed branch only explain another error.
function relevant(errors: readonly ErrorObject[]): ErrorObject[] {
  const wrongType = new Set(errors.filter((e) => e.keyword === 'type').map((e) => e.instancePath));
  return errors.filter((e) => e.keyword !== 'if' && !e.schemaPath.includes('/propertyNames/') && (e.keyword === 'type' || !wrongType.has(e.instancePath)));
}

function describeError(error: ErrorObject): Omit<ConfigIssue, 'position'> {
  const at = pointerSegments(error.instancePath);
  const where = at.length ? formatPath(at) : 'the file';
  const field = at.at(-1);
  switch (error.keyword) {
    case 'additionalProperties': {
      const { key, allowed, suggestion } = unknownKey(error)!;
      if (key === 'falcoVersion' && allowed.includes('falco')) {
        return {
          code: ConfigErrorCode.UnknownKey,
          message: `${where}: falcoVersion has moved to falco.version`,
          hint: 'write "falco: { version: X.Y.Z }" (or version: auto, the latest supported), optionally with autoUpdate: true',
        };
      }
      return {
        code: ConfigErrorCode.UnknownKey,
        message: `unknown key "${key}" in ${where}`,
        hint: `${suggestion ? `did you mean "${suggestion}"? ` : ''}allowed keys: ${allowed.join(', ')}`,
      };
    }
    case 'required': {
      const key = String(error.params.missingProperty);
      if (error.schemaPath.includes('/then/')) {
        const env = formatPath(at.slice(0, 2));
        return {
          code: ConfigErrorCode.BucketRequired,
          message: `${env} uses strategy s3 but names no store bucket`,
          hint: `add "store: { bucket: <name> }" to ${env}, or use strategy sidecar`,
        };
      }
      if (key === 'cluster')
        return {
          code: ConfigErrorCode.MissingCluster,
          message: `${where} names no cluster`,
          hint: 'add "cluster:" with kubeContext (any kubeconfig) or eks: { name, region }',
        };
      if (key === 'registry')
        return {
          code: ConfigErrorCode.MissingRegistry,
          message: `${where} names no registry`,
          hint: 'add "registry:" with host (e.g. localhost:5000) or ecr: { account, region }',
        };
      return { code: ConfigErrorCode.MissingKey, message: `${where} is missing required key "${key}"`, hint: `add "${key}:" to ${where}` };
    }
    case 'minProperties': {
      if (field === 'cluster')
        return { code: ConfigErrorCode.MissingCluster, message: `${where} is empty`, hint: 'set kubeContext (any kubeconfig) or eks: { name, region }' };
      if (field === 'registry')
        return { code: ConfigErrorCode.MissingRegistry, message: `${where} is empty`, hint: 'set host (e.g. localhost:5000) or ecr: { account, region }' };
      return { code: ConfigErrorCode.MissingKey, message: `${where} defines no environment`, hint: 'add at least one environment, e.g. "local:"' };
    }
    case 'type':
      return {
        code: ConfigErrorCode.WrongType,
        message: `${where} must be ${article(String(error.params.type))}`,
        hint: 'see falco-airgap.config.yaml at the root of the repository for the format',
      };
    case 'const':
      return field === 'kind'
        ? { code: ConfigErrorCode.BadVersion, message: `kind must be ${CONFIG_KIND}, got ${JSON.stringify(error.data)}`, hint: `use kind: ${CONFIG_KIND}` }
        : { code: ConfigErrorCode.BadVersion, message: `unsupported apiVersion ${JSON.stringify(error.data)}`, hint: `use apiVersion: ${CONFIG_API_VERSION}` };
    case 'propertyNames':
      return {
        code: ConfigErrorCode.BadEnvironmentName,
        message: `environment name "${String(error.params.propertyName)}" is not valid`,
        hint: 'use lowercase letters, digits and dashes, starting with a letter',
      };
    case 'pattern':
      if (field === 'version' && at.at(-2) === 'falco')
        return {
          code: ConfigErrorCode.BadFalcoVersion,
          message: `${where}: ${JSON.stringify(error.data)} is neither a Falco version nor auto`,
          hint: 'write a version of the catalogue such as 0.44.1 (no leading v; see falco-airgap versions list), or auto for the latest supported',
        };
      if (field === 'region')
        return {
          code: ConfigErrorCode.BadRegion,
          message: `${where}: "${String(error.data)}" is not an AWS region`,
          hint: 'write a region such as eu-west-1 or us-east-1',
        };
      if (field === 'account')
        return {
          code: ConfigErrorCode.BadAccount,
          message: `${where}: "${String(error.data)}" is not an AWS account id`,
          hint: 'write the 12-digit account id in quotes, e.g. "123456789012"',
        };
      return {
        code: ConfigErrorCode.BadValue,
        message: `${where}: ${JSON.stringify(error.data)} is not valid`,
        hint: `it must match ${String(error.params.pattern)}`,
      };
    case 'dependentRequired': {
      const present = String(error.params.property);
      const missing = String(error.params.missingProperty);
      const reference = SECRET_FIELDS.includes(`${String(field)}.${missing}`) ? ' (or ${NAME}, read from that variable when it is used)' : '';
      return {
        code: ConfigErrorCode.CredentialsIncomplete,
        message: `${where} has ${present} but no ${missing}: credentials need both`,
        hint: `add ${missing}${reference}, or remove ${present}`,
      };
    }
    case 'enum':
      return {
        code: ConfigErrorCode.BadValue,
        message: `${where}: ${JSON.stringify(error.data)} is not one of ${(error.params.allowedValues as unknown[]).join(', ')}`,
        hint: `use one of ${(error.params.allowedValues as unknown[]).join(', ')}`,
      };
    default:
      return {
        code: ConfigErrorCode.BadValue,
        message: `${where} ${error.message ?? `fails ${error.keyword}`}`,
        hint: 'see falco-airgap.config.yaml at the root of the repository for the format',
      };
  }
}

function article(type: string): string {
  return type === 'object' ? 'a mapping' : type === 'array' ? 'a list' : `a ${type}`;
}

// What the schema cannot say: one way to name each target, and references only where secrets go.
function semanticIssues(config: ConfigDocument, positionOf: LoadedConfig['positionOf']): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const [name, env] of Object.entries(config.environments)) {
    const base = ['environments', name];
    if (env.cluster.eks && (env.cluster.kubeContext !== undefined || env.cluster.kubeconfig !== undefined)) {
      issues.push({
        code: ConfigErrorCode.AmbiguousTarget,
        message: `environments.${name}.cluster names both an EKS cluster and a kubeconfig context`,
        hint: 'keep either eks or kubeContext/kubeconfig',
        position: positionOf([...base, 'cluster']),
      });
    }
    if (env.registry.ecr && env.registry.host !== undefined) {
      issues.push({
        code: ConfigErrorCode.AmbiguousTarget,
        message: `environments.${name}.registry names both a host and ECR`,
        hint: 'keep either host or ecr',
        position: positionOf([...base, 'registry']),
      });
    }
    if (!env.registry.ecr && env.registry.host === undefined) {
      issues.push({
        code: ConfigErrorCode.MissingRegistry,
        message: `environments.${name}.registry names no host`,
        hint: 'add host (e.g. localhost:5000), or ecr: { account, region }',
        position: positionOf([...base, 'registry']),
      });
    }
    const login = (['username', 'password'] as const).find((key) => env.registry[key] !== undefined);
    if (env.registry.ecr && login) {
      issues.push({
        code: ConfigErrorCode.EcrCredentials,
        message: `environments.${name}.registry names ECR and a ${login}: ECR takes no username or password`,
        hint: 'remove username and password: ECR is reached with a token obtained with the AWS identity (AWS_* variables, profile or role)',
        position: positionOf([...base, 'registry', login], 'key'),
      });
    }
    for (const [path, text] of strings(env, [])) {
      if (!VARIABLE_REFERENCE.test(text) || SECRET_FIELDS.includes(formatPath(path))) continue;
      issues.push({
        code: ConfigErrorCode.ReferenceNotAllowed,
        message: `environments.${name}.${formatPath(path)}: \${...} references are allowed only in ${SECRET_FIELDS.join(', ')}`,
        hint: 'write the value itself; only secrets are read from the environment',
        position: positionOf([...base, ...path]),
      });
    }
  }
  return issues;
}

function* strings(value: unknown, path: PathSegment[]): Generator<[PathSegment[], string]> {
  if (typeof value === 'string') yield [path, value];
  else if (Array.isArray(value)) for (const [index, item] of value.entries()) yield* strings(item, [...path, index]);
  else if (value && typeof value === 'object') for (const [key, item] of Object.entries(value)) yield* strings(item, [...path, key]);
}

function dedupe(issues: ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  return issues.filter((issue) => {
    const key = `${issue.code} ${issue.position.line}:${issue.position.column} ${issue.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

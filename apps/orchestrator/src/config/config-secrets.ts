import type { PathSegment, SourcePosition } from '@falco-airgap/core';
import { canonicalRegistryHost } from '@falco-airgap/oci';
import { ConfigError, ConfigErrorCode, type ConfigIssue } from './config-error.ts';
import type { LoadedConfig } from './config-file.ts';
import { VARIABLE_REFERENCE } from './config-schema.ts';

/** A secret field of one environment as the file writes it: a literal, or text with `${NAME}` references. */
export interface WrittenSecret {
  /** e.g. `environments.ci.registry.password`. */
  field: string;
  written: string;
  position: SourcePosition;
}

/** A secret with its references replaced by the variables' values. */
export interface ResolvedSecret {
  value: string;
  /** The variables it was read from; empty for a literal written in the file. */
  variables: string[];
}

/** Variables as the CLI read them at start: undefined when unset. */
export type VariableLookup = (name: string) => string | undefined;

/** Replaces every `${NAME}` of a secret; a variable that is unset or empty is refused with the field, the variable and what to do. */
export function resolveSecret(secret: WrittenSecret, variable: VariableLookup): ResolvedSecret {
  const issues: ConfigIssue[] = [];
  const variables: string[] = [];
  const value = secret.written.replace(new RegExp(VARIABLE_REFERENCE.source, 'g'), (_whole, name: string) => {
    variables.push(name);
    const found = variable(name);
    if (found) return found;
    issues.push({
      code: ConfigErrorCode.SecretUnset,
      message: `${secret.field} refers to \${${name}}, but ${name} is ${found === undefined ? 'not set' : 'empty'}`,
      hint: `set ${name} in the environment falco-airgap runs in (e.g. from a CI credential), or write the value into the file`,
      position: secret.position,
    });
    return '';
  });
  if (issues.length) throw new ConfigError(issues);
  return { value, variables };
}

/** Credentials an environment gives for its registry host, the password as written. */
export interface RegistryLogin {
  environment: string;
  /** The canonical host (`canonicalRegistryHost`), as the registry client asks for it. */
  host: string;
  username: string;
  password: WrittenSecret;
}

/** Keys an environment gives for its plugin store, the secret as written. */
export interface StoreKeys {
  environment: string;
  accessKeyId: string;
  secretAccessKey: WrittenSecret;
}

/** The store a command talks to: keys are given only to the bucket and endpoint the environment names. */
export interface StoreLocation {
  bucket: string;
  endpoint?: string | undefined;
}

/**
 * The login the configuration gives for a registry host: the selected environment's, or without one the
 * one every environment naming that host agrees on. Undefined when none names the host with credentials.
 */
export function registryLoginFor(config: LoadedConfig, host: string, selected?: string): RegistryLogin | undefined {
  const wanted = canonicalRegistryHost(host);
  const logins = environments(config, selected).flatMap(([name, env]): RegistryLogin[] => {
    const { host: named, username, password } = env.registry;
    if (named === undefined || username === undefined || password === undefined || canonicalRegistryHost(named) !== wanted) return [];
    return [{ environment: name, host: wanted, username, password: written(config, name, ['registry', 'password'], password) }];
  });
  return agreed(config, logins, (login) => `${login.username}\n${login.password.written}`, `registry ${wanted}`, 'registry');
}

/** The keys the configuration gives for a store, chosen as for registries; a selected environment without a bucket gives them to the command's bucket. */
export function storeKeysFor(config: LoadedConfig, location: StoreLocation, selected?: string): StoreKeys | undefined {
  const keys = environments(config, selected).flatMap(([name, env]): StoreKeys[] => {
    const store = env.store;
    if (store?.accessKeyId === undefined || store.secretAccessKey === undefined) return [];
    const bucket = store.bucket ?? (selected === undefined ? undefined : location.bucket);
    if (bucket !== location.bucket || endpointKey(store.endpoint) !== endpointKey(location.endpoint)) return [];
    return [{ environment: name, accessKeyId: store.accessKeyId, secretAccessKey: written(config, name, ['store', 'secretAccessKey'], store.secretAccessKey) }];
  });
  const where = `bucket ${location.bucket}${location.endpoint ? ` at ${location.endpoint}` : ''}`;
  return agreed(config, keys, (k) => `${k.accessKeyId}\n${k.secretAccessKey.written}`, where, 'store');
}

function environments(config: LoadedConfig, selected: string | undefined) {
  return Object.entries(config.document.environments).filter(([name]) => selected === undefined || name === selected);
}

function written(config: LoadedConfig, environment: string, path: PathSegment[], text: string): WrittenSecret {
  return { field: `environments.${environment}.${path.join('.')}`, written: text, position: config.positionOf(['environments', environment, ...path]) };
}

// Two environments may share a registry or a bucket; a command without --env cannot choose between different credentials.
function agreed<T extends { environment: string }>(config: LoadedConfig, found: T[], identity: (item: T) => string, what: string, key: string): T | undefined {
  if (new Set(found.map(identity)).size <= 1) return found[0];
  const names = found.map((item) => item.environment);
  throw new ConfigError(
    found.map((item) => ({
      code: ConfigErrorCode.AmbiguousCredentials,
      message: `environments ${names.join(', ')} give different credentials for ${what}`,
      hint: 'give them the same credentials, or keep them in one environment (pipeline and bundle use only those of their --env)',
      position: config.positionOf(['environments', item.environment, key]),
    })),
  );
}

// http://Minio:9000/ and http://minio:9000 are one server; no endpoint is AWS itself.
function endpointKey(endpoint: string | undefined): string {
  if (endpoint === undefined) return 'aws';
  if (!URL.canParse(endpoint)) return endpoint;
  const url = new URL(endpoint);
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;
}

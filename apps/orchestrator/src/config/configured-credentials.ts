import { formatPosition, isFalcoAirgapError } from '@falco-airgap/core';
import type { CredentialSource, RegistryCredentials } from '@falco-airgap/oci';
import type { AwsKeys } from '../environment.ts';
import type { DiagnosticEvent } from '../output/events.ts';
import type { LoadedConfig } from './config-file.ts';
import type { RegistryLogin, ResolvedSecret, StoreKeys, StoreLocation, WrittenSecret } from './config-secrets.ts';

/** The warning for a secret written into the configuration file itself. */
export const LITERAL_SECRET_WARNING = 'CONFIG_LITERAL_SECRET';

export interface ConfiguredCredentialsOptions {
  /** The configuration file of the run, read when first needed; undefined when there is none. */
  readConfig: () => Promise<LoadedConfig | undefined>;
  /** The variables as the run started with them (`ResolvedEnvironment.variable`). */
  variable: (name: string) => string | undefined;
  warn: (warning: Omit<DiagnosticEvent, 'type' | 'severity'>) => void;
}

interface Used<T> {
  given: T;
  secret: ResolvedSecret;
  file: string;
}

/**
 * The registry logins and store keys the configuration file gives, for one run. A secret is resolved when a
 * command first uses it, never when the file is read; a refusal of those credentials says whose they were.
 * Modules beyond the error base are loaded only when credentials are asked for.
 */
export class ConfiguredCredentials {
  readonly #options: ConfiguredCredentialsOptions;
  readonly #warned = new Set<string>();
  readonly #raised = new WeakSet<object>();
  readonly #explained = new WeakSet<object>();
  readonly #logins = new Map<string, Used<RegistryLogin>>();
  #keys: Used<StoreKeys> | undefined;

  constructor(options: ConfiguredCredentialsOptions) {
    this.#options = options;
  }

  /** Credentials for registry hosts, asked before the docker config: the selected environment's, or those every environment naming the host agrees on. */
  registry(environment?: string): CredentialSource {
    return { lookup: (host) => this.#lookup(host, environment) };
  }

  /** The keys the configuration gives for this store, to use instead of AWS_* and the SDK chain; undefined when it gives none. */
  async storeKeys(location: StoreLocation, environment?: string): Promise<AwsKeys | undefined> {
    const config = await this.#options.readConfig();
    if (!config) return undefined;
    const { storeKeysFor } = await import('./config-secrets.ts');
    const given = storeKeysFor(config, location, environment);
    if (!given) return undefined;
    const secret = await this.#resolve(given.secretAccessKey);
    this.#keys = { given, secret, file: config.file };
    return { accessKeyId: given.accessKeyId, secretAccessKey: secret.value };
  }

  /**
   * The failure as the user should see it: a secret that could not be resolved, however the client that asked
   * wrapped it; a registry or bucket refusing configured credentials, with whose they were (never the secret).
   */
  async explain(error: unknown): Promise<unknown> {
    for (let cause = error, depth = 0; cause instanceof Error && depth < 10; cause = cause.cause, depth++) {
      if (this.#raised.has(cause)) return cause;
    }
    if (!isFalcoAirgapError(error) || this.#explained.has(error)) return error;
    let explained: Error | undefined;
    if (this.#logins.size && error.code.startsWith('OCI_')) {
      const { canonicalRegistryHost, isOciError, OciError, OciErrorCode } = await import('@falco-airgap/oci');
      const used = isOciError(error) && error.registry !== undefined ? this.#logins.get(canonicalRegistryHost(error.registry)) : undefined;
      if (used && isOciError(error) && (error.code === OciErrorCode.Unauthorized || error.code === OciErrorCode.AccessDenied)) {
        const { given, secret, file } = used;
        const refused = error.code === OciErrorCode.Unauthorized;
        const hint = refused ? `check registry.username and registry.password of environments.${given.environment} in ${file}${readFrom(secret)}` : error.hint;
        const message = `${error.message} (user ${given.username} of environments.${given.environment}.registry in ${file})`;
        explained = new OciError(error.code, message, hint, error, { status: error.status, registryCodes: error.registryCodes, registry: error.registry });
      }
    }
    if (this.#keys && error.code.startsWith('S3STORE_')) {
      const { isS3StoreError, S3StoreError, S3StoreErrorCode } = await import('@falco-airgap/s3-plugin-store');
      if (isS3StoreError(error, S3StoreErrorCode.AccessDenied)) {
        const { given, secret, file } = this.#keys;
        explained = new S3StoreError(
          error.code,
          `${error.message} with access key ${given.accessKeyId} of environments.${given.environment}.store in ${file}`,
          {
            hint: `check store.accessKeyId and store.secretAccessKey of environments.${given.environment} in ${file}${readFrom(secret)}; if they are right, give their user the policy falco-airgap releases policy prints`,
            key: error.key,
            cause: error,
          },
        );
      }
    }
    if (!explained) return error;
    this.#explained.add(explained);
    return explained;
  }

  async #lookup(host: string, environment: string | undefined): Promise<RegistryCredentials | undefined> {
    try {
      const config = await this.#options.readConfig();
      if (!config) return undefined;
      const { registryLoginFor } = await import('./config-secrets.ts');
      const given = registryLoginFor(config, host, environment);
      if (!given) return undefined;
      const secret = await this.#resolve(given.password);
      this.#logins.set(given.host, { given, secret, file: config.file });
      return { username: given.username, password: secret.value };
    } catch (error) {
      // The registry client that asked reports this as its own failure (unreachable); explain() finds it inside.
      if (error instanceof Error) this.#raised.add(error);
      throw error;
    }
  }

  async #resolve(secret: WrittenSecret): Promise<ResolvedSecret> {
    const { resolveSecret } = await import('./config-secrets.ts');
    const resolved = resolveSecret(secret, this.#options.variable);
    if (resolved.variables.length === 0 && !this.#warned.has(secret.field)) {
      this.#warned.add(secret.field);
      this.#options.warn({
        code: LITERAL_SECRET_WARNING,
        message: `${secret.field} is written into the configuration file itself`,
        hint: 'keep the file out of version control, or write ${NAME} there and set NAME where falco-airgap runs',
        location: formatPosition(secret.position),
      });
    }
    return resolved;
  }
}

function readFrom(secret: ResolvedSecret): string {
  return secret.variables.length ? ` (read from ${secret.variables.join(', ')})` : '';
}

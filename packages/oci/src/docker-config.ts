import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OciError, OciErrorCode } from './errors.ts';
import { canonicalRegistryHost, DOCKER_HUB, DOCKER_HUB_CONFIG_KEY } from './registry-host.ts';

/** Credentials for one registry host. */
export interface RegistryCredentials {
  username?: string | undefined;
  password?: string | undefined;
  /** An OAuth2 refresh token (docker's "identitytoken"), exchanged at the token endpoint. */
  identityToken?: string | undefined;
}

/** Where credentials come from; the registry client asks by canonical host (`ghcr.io`, `127.0.0.1:5443`, `docker.io`; see `canonicalRegistryHost`). */
export interface CredentialSource {
  lookup(registry: string): Promise<RegistryCredentials | undefined>;
}

interface AuthEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
}

/** The parts of ~/.docker/config.json that hold credentials. */
export interface DockerConfig {
  auths: Record<string, AuthEntry>;
  credHelpers: Record<string, string>;
  credsStore: string | undefined;
}

/** Runs `docker-credential-<helper> get` for a server; undefined when the helper has nothing for it. */
export type CredentialHelperRunner = (helper: string, server: string) => Promise<RegistryCredentials | undefined>;

export function parseDockerConfig(text: string, file: string): DockerConfig {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new OciError(
      OciErrorCode.DockerConfig,
      `${file} is not valid JSON: ${(cause as Error).message}`,
      'fix the file or point `dockerConfigDir` at another directory',
      cause,
    );
  }
  const record = (typeof json === 'object' && json !== null ? json : {}) as Record<string, unknown>;
  const asObject = (value: unknown) => (typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, never>) : {});
  return {
    auths: asObject(record.auths),
    credHelpers: asObject(record.credHelpers),
    credsStore: typeof record.credsStore === 'string' && record.credsStore ? record.credsStore : undefined,
  };
}

/**
 * Credentials for a registry from a docker config: credHelpers first, then auths, then credsStore,
 * like docker. Keys match however they are spelled (`https://GHCR.io/v2/`, `ghcr.io:443`, Docker Hub's aliases).
 */
export async function dockerConfigCredentials(
  config: DockerConfig,
  registry: string,
  runHelper: CredentialHelperRunner,
): Promise<RegistryCredentials | undefined> {
  const wanted = canonicalRegistryHost(registry);
  // Helpers are asked the way docker asks them: the host, or Docker Hub's historical key.
  const serverUrl = wanted === DOCKER_HUB ? DOCKER_HUB_CONFIG_KEY : wanted;
  const helper = Object.entries(config.credHelpers).find(([key, name]) => typeof name === 'string' && name && canonicalRegistryHost(key) === wanted)?.[1];
  if (helper) return runHelper(helper, serverUrl);
  const entry = Object.entries(config.auths).find(
    ([key, value]) =>
      canonicalRegistryHost(key) === wanted && typeof value === 'object' && value !== null && (value.auth || value.username || value.identitytoken),
  )?.[1];
  if (entry) {
    let { username, password } = entry;
    if (entry.auth) {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon === -1) {
        throw new OciError(
          OciErrorCode.DockerConfig,
          `the docker config entry for ${registry} has an "auth" value that is not base64 of user:password`,
          `run docker login ${registry} again`,
        );
      }
      username = decoded.slice(0, colon);
      password = decoded.slice(colon + 1);
    }
    return { username, password, identityToken: entry.identitytoken || undefined };
  }
  if (config.credsStore) return runHelper(config.credsStore, serverUrl);
  return undefined;
}

/** The docker-credential-* protocol: server URL on stdin, JSON {Username, Secret} on stdout. */
export const runDockerCredentialHelper: CredentialHelperRunner = (helper, server) =>
  new Promise((resolve, reject) => {
    if (!/^[A-Za-z0-9._-]+$/.test(helper)) {
      reject(
        new OciError(
          OciErrorCode.CredentialHelper,
          `credential helper name "${helper}" is not a plain name`,
          'fix credHelpers/credsStore in your docker config',
        ),
      );
      return;
    }
    // Loaded here: only a registry whose credentials come from a helper needs child processes.
    const child = process
      .getBuiltinModule('node:child_process')
      .execFile(`docker-credential-${helper}`, ['get'], { timeout: 30_000 }, (error, stdout, stderr) => {
        const output = `${stdout}${stderr}`;
        // Helpers answer "credentials not found" with a non-zero exit: that means anonymous, not an error.
        if (error && /credentials not found/i.test(output)) return resolve(undefined);
        if (error) {
          return reject(
            new OciError(
              OciErrorCode.CredentialHelper,
              `docker-credential-${helper} get failed for ${server}: ${output.trim() || error.message}`,
              `check that docker-credential-${helper} is installed and logged in`,
              error,
            ),
          );
        }
        try {
          const parsed = JSON.parse(stdout) as { Username?: string; Secret?: string };
          // "<token>" as the user name means the secret is an identity (refresh) token.
          resolve(parsed.Username === '<token>' ? { identityToken: parsed.Secret } : { username: parsed.Username, password: parsed.Secret });
        } catch (cause) {
          reject(new OciError(OciErrorCode.CredentialHelper, `docker-credential-${helper} printed something that is not JSON`, 'check the helper', cause));
        }
      });
    child.stdin?.end(server);
  });

export interface DockerConfigSourceOptions {
  /** The directory holding config.json (what DOCKER_CONFIG names; see `defaultDockerConfigDirectory`). */
  directory: string;
  runHelper?: CredentialHelperRunner | undefined;
}

/** Where docker keeps its config: $DOCKER_CONFIG, else ~/.docker. The caller hands in the environment. */
export function defaultDockerConfigDirectory(env: Readonly<Record<string, string | undefined>>, home: string): string {
  return env.DOCKER_CONFIG || join(home, '.docker');
}

/** Credentials from the user's docker config, read once; a missing file means anonymous access. */
export class DockerConfigCredentials implements CredentialSource {
  readonly file: string;
  readonly #runHelper: CredentialHelperRunner;
  #config: Promise<DockerConfig | undefined> | undefined;

  constructor(options: DockerConfigSourceOptions) {
    this.file = join(options.directory, 'config.json');
    this.#runHelper = options.runHelper ?? runDockerCredentialHelper;
  }

  async lookup(registry: string): Promise<RegistryCredentials | undefined> {
    this.#config ??= this.#load();
    const config = await this.#config;
    return config ? dockerConfigCredentials(config, registry, this.#runHelper) : undefined;
  }

  async #load(): Promise<DockerConfig | undefined> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new OciError(
        OciErrorCode.DockerConfig,
        `cannot read ${this.file}: ${(cause as Error).message}`,
        'fix its permissions or point `dockerConfigDir` elsewhere',
        cause,
      );
    }
    return parseDockerConfig(text, this.file);
  }
}

/** No credentials for any host: every registry is accessed anonymously. */
export const ANONYMOUS: CredentialSource = { lookup: async () => undefined };

/** Fixed credentials per host, e.g. from flags or a CI secret; falls through to `next`. */
export class StaticCredentials implements CredentialSource {
  readonly #byHost: Map<string, RegistryCredentials>;
  readonly #next: CredentialSource | undefined;

  constructor(byHost: Record<string, RegistryCredentials>, next?: CredentialSource) {
    this.#byHost = new Map(Object.entries(byHost).map(([host, creds]) => [canonicalRegistryHost(host), creds]));
    this.#next = next;
  }

  async lookup(registry: string): Promise<RegistryCredentials | undefined> {
    return this.#byHost.get(canonicalRegistryHost(registry)) ?? this.#next?.lookup(registry);
  }
}

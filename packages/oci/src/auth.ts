import type { CredentialSource, RegistryCredentials } from './docker-config.ts';
import { OciError, OciErrorCode } from './errors.ts';
import { proxyFailure } from './proxy.ts';
import type { HttpTransport } from './transport.ts';

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Parses a WWW-Authenticate header: `Bearer realm="...",service="...",scope="..."` or `Basic realm="..."`. */
export function parseWwwAuthenticate(header: string): Challenge[] {
  const challenges: Challenge[] = [];
  const pattern = /([A-Za-z][\w-]*)(?:\s+((?:[\w-]+\s*=\s*(?:"(?:[^"\\]|\\.)*"|[^\s,]*)\s*,?\s*)*))?/g;
  let rest = header.trim();
  while (rest.length) {
    pattern.lastIndex = 0;
    const m = pattern.exec(rest);
    if (!m || m.index !== 0) break;
    const params: Record<string, string> = {};
    for (const p of (m[2] ?? '').matchAll(/([\w-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/g)) {
      params[p[1]!.toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : (p[3] ?? '');
    }
    challenges.push({ scheme: m[1]!.toLowerCase(), params });
    rest = rest.slice(m[0].length).replace(/^\s*,\s*/, '');
  }
  return challenges;
}

/** The `error` a bearer challenge carries (`insufficient_scope`, `invalid_token`), if any. */
export function challengeError(wwwAuthenticate: string | undefined): string | undefined {
  return parseWwwAuthenticate(wwwAuthenticate ?? '').find((c) => c.scheme === 'bearer')?.params.error;
}

export interface RegistryAuthOptions {
  credentials: CredentialSource;
  transport: HttpTransport;
  userAgent: string;
}

/**
 * Answers registry challenges: basic auth with the host's credentials, or the bearer-token flow
 * (anonymous, with basic credentials, or with an identity token). Tokens are kept per host and
 * scope; hosts are canonical (`canonicalRegistryHost`).
 */
export class RegistryAuth {
  readonly #options: RegistryAuthOptions;
  readonly #headers = new Map<string, string>();
  readonly #credentials = new Map<string, Promise<RegistryCredentials | undefined>>();
  /** Token requests under way: parallel requests refused at once share one token. */
  readonly #pending = new Map<string, Promise<void>>();

  constructor(options: RegistryAuthOptions) {
    this.#options = options;
  }

  /** The Authorization header to send for a host and scope, if a challenge was answered before. */
  header(registry: string, scope: string): string | undefined {
    // A token that may push to a repository may pull from it too.
    const widened = scope.endsWith(':pull') ? this.#headers.get(`${registry} ${scope},push`) : undefined;
    return this.#headers.get(`${registry} ${scope}`) ?? widened ?? this.#headers.get(`${registry} *`);
  }

  /**
   * Answers a 401 to a request sent with `sent` (an expired token, or nothing); afterwards
   * `header()` returns what to send. When another request renewed it meanwhile, nothing is asked
   * again. Throws when we cannot authenticate.
   */
  async answer(registry: string, scope: string, wwwAuthenticate: string | undefined, sent: string | undefined, signal?: AbortSignal): Promise<void> {
    const key = `${registry} ${scope}`;
    const pending = this.#pending.get(key);
    if (pending) return pending;
    const current = this.header(registry, scope);
    if (current !== undefined && current !== sent) return;
    const answering = this.#answer(registry, scope, wwwAuthenticate, signal).finally(() => this.#pending.delete(key));
    this.#pending.set(key, answering);
    return answering;
  }

  async #answer(registry: string, scope: string, wwwAuthenticate: string | undefined, signal?: AbortSignal): Promise<void> {
    const challenges = parseWwwAuthenticate(wwwAuthenticate ?? '');
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    const basic = challenges.find((c) => c.scheme === 'basic');
    const credentials = await this.#lookup(registry);
    if (bearer) {
      this.#headers.set(`${registry} ${scope}`, `Bearer ${await this.#token(registry, scope, bearer, credentials, signal)}`);
      return;
    }
    if (basic) {
      if (!credentials?.username || credentials.password === undefined)
        throw unauthorized(registry, 'it asks for a user name and password and none are configured', false);
      this.#headers.set(`${registry} *`, basicHeader(credentials));
      return;
    }
    throw unauthorized(
      registry,
      `it answered 401 with a challenge we cannot answer (${wwwAuthenticate ?? 'no WWW-Authenticate header'})`,
      credentials !== undefined,
    );
  }

  /** Whether credentials exist for a host: a 401 after sending them means they are wrong, not missing. */
  async hasCredentials(registry: string): Promise<boolean> {
    return (await this.#lookup(registry)) !== undefined;
  }

  #lookup(registry: string): Promise<RegistryCredentials | undefined> {
    let pending = this.#credentials.get(registry);
    if (!pending) {
      pending = this.#options.credentials.lookup(registry);
      this.#credentials.set(registry, pending);
    }
    return pending;
  }

  async #token(registry: string, scope: string, challenge: Challenge, credentials: RegistryCredentials | undefined, signal?: AbortSignal): Promise<string> {
    const realm = challenge.params.realm;
    if (!realm || !/^https?:\/\//.test(realm))
      throw unauthorized(registry, `its bearer challenge has no usable realm (${realm ?? 'none'})`, credentials !== undefined);
    const url = new URL(realm);
    const service = challenge.params.service;
    const wantedScope = challenge.params.scope ?? scope;
    const headers: Record<string, string> = { 'user-agent': this.#options.userAgent };
    let body: string | undefined;
    if (credentials?.identityToken) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: credentials.identityToken,
        service: service ?? '',
        scope: wantedScope,
        client_id: 'falco-airgap',
      }).toString();
    } else {
      if (service) url.searchParams.set('service', service);
      // One scope per parameter: a cross-repository mount asks for two repositories at once.
      for (const one of wantedScope.split(' ')) url.searchParams.append('scope', one);
      if (credentials?.username && credentials.password !== undefined) headers.authorization = basicHeader(credentials);
    }
    let res;
    try {
      res = await this.#options.transport({ method: body ? 'POST' : 'GET', url: url.href, headers, body, signal });
    } catch (cause) {
      throw (
        proxyFailure(`token server ${url.origin}`, cause) ??
        new OciError(
          OciErrorCode.RegistryUnreachable,
          `token server ${url.origin} for ${registry} cannot be reached: ${(cause as Error).message}`,
          'check the network and the proxy settings (`proxy`)',
          cause,
        )
      );
    }
    const chunks: Uint8Array[] = [];
    for await (const chunk of res.body) chunks.push(chunk);
    const text = Buffer.concat(chunks).toString('utf8');
    if (res.status === 401 || res.status === 403) {
      throw unauthorized(
        registry,
        credentials
          ? `its token server refused the configured credentials (${res.status})`
          : `its token server requires credentials and none are configured (${res.status})`,
        credentials !== undefined,
      );
    }
    if (res.status !== 200) {
      throw new OciError(
        OciErrorCode.RegistryError,
        `token server ${url.origin} for ${registry} answered ${res.status}`,
        'try again later; if it persists, check the registry status',
      );
    }
    let token: string | undefined;
    try {
      const json = JSON.parse(text) as { token?: unknown; access_token?: unknown };
      token = typeof json.token === 'string' ? json.token : typeof json.access_token === 'string' ? json.access_token : undefined;
    } catch (cause) {
      throw new OciError(OciErrorCode.RegistryError, `token server ${url.origin} answered with something that is not JSON`, 'check the registry', cause);
    }
    if (!token) throw new OciError(OciErrorCode.RegistryError, `token server ${url.origin} answered without a token`, 'check the registry');
    return token;
  }
}

/**
 * Authentication failed. With credentials configured they are wrong (or expired): log in again.
 * Without any, the registry may also be hiding a repository that does not exist.
 */
export function unauthorized(registry: string, why: string, withCredentials: boolean): OciError {
  return new OciError(
    OciErrorCode.Unauthorized,
    `${registry} refused access: ${why}`,
    withCredentials ? loginHint(registry) : `${loginHint(registry)}, or check that the repository exists`,
    undefined,
    { registry },
  );
}

/** How to get credentials for a registry; option names are in backticks so a CLI can show its own flags. */
export function loginHint(registry: string): string {
  return `log in with docker login ${registry} (credentials come from config.json in \`dockerConfigDir\`: auths, credHelpers, credsStore)`;
}

function basicHeader(credentials: RegistryCredentials): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
}

import { BlockList, isIP } from 'node:net';
import { OciError, OciErrorCode } from './errors.ts';

/**
 * Forward proxies as HTTPS_PROXY / HTTP_PROXY / NO_PROXY describe them; the caller reads the
 * environment and passes the values. Proxies are `http://[user:password@]host[:port]`.
 */
export interface ProxySettings {
  /** Proxy for https:// registries (and token servers): tunnelled with CONNECT, TLS still verified end to end. */
  httpsProxy?: string | undefined;
  /** Proxy for plain-HTTP registries: requests sent to it with their absolute URL. */
  httpProxy?: string | undefined;
  /**
   * Hosts reached directly, comma-separated or as a list: `*` (every host), `host` (and its
   * subdomains), `.domain` or `*.domain` (subdomains only), `host:port`, IP addresses and CIDR
   * ranges. Loopback is proxied like any other host unless listed.
   */
  noProxy?: string | readonly string[] | undefined;
}

/** A proxy to send a request through: where it listens and what it wants in Proxy-Authorization. */
export interface ProxyRoute {
  host: string;
  port: number;
  /** `Basic ...` from the URL's user info, when it has some. */
  authorization: string | undefined;
  /** The proxy URL without its password, for messages. */
  display: string;
}

interface NoProxyEntry {
  /** A domain (lower case, no leading dot) or an IP address. */
  host: string;
  /** Subdomains only, not the domain itself (`.domain`). */
  subdomainsOnly: boolean;
  port: number | undefined;
}

/** Proxy settings checked once; `route(url)` answers per request which proxy, if any, to use. */
export class ProxyPlan {
  readonly #https: ProxyRoute | undefined;
  readonly #http: ProxyRoute | undefined;
  readonly #everyHost: boolean;
  readonly #entries: NoProxyEntry[];
  readonly #ranges = new BlockList();

  constructor(settings: ProxySettings = {}) {
    this.#https = parseProxyUrl(settings.httpsProxy, 'httpsProxy');
    this.#http = parseProxyUrl(settings.httpProxy, 'httpProxy');
    const list = typeof settings.noProxy === 'string' ? settings.noProxy.split(/[\s,]+/) : (settings.noProxy ?? []);
    const words = list.map((w) => w.trim().toLowerCase()).filter(Boolean);
    this.#everyHost = words.includes('*');
    this.#entries = [];
    for (const word of words) {
      const cidr = /^([^/]+)\/(\d{1,3})$/.exec(word);
      const family = cidr ? isIP(cidr[1]!) : 0;
      if (cidr && family) {
        this.#ranges.addSubnet(cidr[1]!, Number(cidr[2]), family === 6 ? 'ipv6' : 'ipv4');
        continue;
      }
      const { host, port } = splitHostPort(word);
      const bare = host.replace(/^\*?\./, '');
      if (bare) this.#entries.push({ host: bare, subdomainsOnly: bare !== host, port });
    }
  }

  /** Whether any proxy is configured at all. */
  get enabled(): boolean {
    return this.#https !== undefined || this.#http !== undefined;
  }

  /** The proxy for this URL, or undefined to connect directly (no proxy for its scheme, or NO_PROXY lists it). */
  route(url: URL): ProxyRoute | undefined {
    const proxy = url.protocol === 'https:' ? this.#https : url.protocol === 'http:' ? this.#http : undefined;
    if (!proxy || this.#everyHost) return undefined;
    return this.bypasses(url) ? undefined : proxy;
  }

  /** Whether NO_PROXY sends this URL's host directly. */
  bypasses(url: URL): boolean {
    if (this.#everyHost) return true;
    const host = url.hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');
    const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
    const family = isIP(host);
    if (family && this.#ranges.check(host, family === 6 ? 'ipv6' : 'ipv4')) return true;
    return this.#entries.some((entry) => {
      if (entry.port !== undefined && entry.port !== port) return false;
      if (family || isIP(entry.host)) return host === entry.host;
      return host.endsWith(`.${entry.host}`) || (!entry.subdomainsOnly && host === entry.host);
    });
  }
}

/** `host`, `host:port`, `[v6]:port` or a bare IPv6 address. */
function splitHostPort(word: string): { host: string; port: number | undefined } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(word);
  if (bracketed) return { host: bracketed[1]!, port: bracketed[2] ? Number(bracketed[2]) : undefined };
  if (isIP(word) === 6) return { host: word, port: undefined };
  const withPort = /^(.*):(\d+)$/.exec(word);
  return withPort ? { host: withPort[1]!, port: Number(withPort[2]) } : { host: word, port: undefined };
}

function parseProxyUrl(value: string | undefined, option: string): ProxyRoute | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  // curl and docker take `host:port` without a scheme as an HTTP proxy.
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch (cause) {
    throw new OciError(OciErrorCode.ProxyConfig, `the proxy "${redact(text)}" is not a URL`, `set \`${option}\` to http://host:port`, cause);
  }
  const display = `${url.protocol}//${url.username ? `${decodeURIComponent(url.username)}@` : ''}${url.host}`;
  if (url.protocol !== 'http:') {
    throw new OciError(
      OciErrorCode.ProxyConfig,
      `the proxy ${display} uses ${url.protocol.slice(0, -1)}, but only http:// forward proxies are supported`,
      `set \`${option}\` to the proxy's http://host:port address`,
    );
  }
  const authorization = url.username
    ? `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`
    : undefined;
  return { host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(url.port || 80), authorization, display };
}

/** A proxy URL as it may be shown: the password replaced. */
function redact(text: string): string {
  return text.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}

/**
 * What went wrong at the proxy, as the transport reports it: it could not be reached (`code` is the
 * socket's errno), it refused the tunnel or request (`status`), or it wants credentials (407).
 */
export class ProxyError extends Error {
  override name = 'ProxyError';
  readonly code: string;
  readonly proxy: string;
  readonly status: number | undefined;

  constructor(proxy: string, message: string, details: { code?: string | undefined; status?: number | undefined; cause?: unknown }) {
    super(message, { cause: details.cause });
    this.proxy = proxy;
    this.status = details.status;
    this.code = details.code ?? 'ERR_PROXY_REFUSED';
  }
}

/** The OciError for a failure that happened at a proxy, or undefined when the proxy was not the problem. */
export function proxyFailure(target: string, cause: unknown, attempts = 1): OciError | undefined {
  let found: ProxyError | undefined;
  for (let e: unknown = cause, depth = 0; e instanceof Error && depth < 5 && !found; e = e.cause, depth++) {
    if (e instanceof ProxyError) found = e;
  }
  if (!found) return undefined;
  const tries = attempts > 1 ? ` after ${attempts} attempts` : '';
  if (found.status === 407) {
    return new OciError(
      OciErrorCode.ProxyAuth,
      `the proxy ${found.proxy} refused to forward to ${target} without valid proxy credentials (407)`,
      'put the proxy user and password in the proxy URL (`proxy`: http://user:password@host:port)',
      cause,
      { status: 407 },
    );
  }
  return new OciError(
    OciErrorCode.ProxyFailed,
    `${found.message} (for ${target}${tries})`,
    found.status === undefined
      ? 'check the proxy address in `proxy`, or list the registry in `proxy.noProxy` to reach it directly'
      : 'the proxy does not let this registry through: ask its administrators to allow it, or list the registry in `proxy.noProxy`',
    cause,
    { status: found.status },
  );
}

import type { ClientRequest, ClientRequestArgs, IncomingMessage } from 'node:http';
import type { Agent as HttpsAgent, AgentOptions } from 'node:https';
import type { Duplex } from 'node:stream';
import type { ConnectionOptions } from 'node:tls';
import { ProxyError, ProxyPlan, type ProxyRoute, type ProxySettings } from './proxy.ts';

// Not `import ... from 'node:http'`: its ESM facade evaluates lazy exports that load undici, ~50 ms of start-up.
const { Agent: HttpAgent, request: httpRequest } = process.getBuiltinModule('node:http');
// TLS is loaded by the first https request: a run against plain-http registries never pays for it.
const httpsModule = () => process.getBuiltinModule('node:https');

/** One HTTP exchange as the registry client needs it; the port that tests replace with a fake. */
export interface HttpRequest {
  method: HttpMethod;
  url: string;
  headers: Record<string, string>;
  /** Sent whole with its content-length; uploads go in bounded chunks, so bodies fit in memory. */
  body?: string | Uint8Array | undefined;
  signal?: AbortSignal | undefined;
}

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface HttpResponse {
  status: number;
  /** Header names in lower case. */
  headers: Record<string, string | undefined>;
  body: AsyncIterable<Uint8Array>;
  /** Drops the body unread so the connection can be reused. */
  discard(): Promise<void>;
}

export type HttpTransport = (request: HttpRequest) => Promise<HttpResponse>;

export interface HttpTransportOptions {
  /** Extra PEM certificates to trust besides the public roots (a private registry's CA). */
  ca?: string | Buffer | undefined;
  /** Connections per origin; bounded parallel transfers rely on it too. */
  connections?: number | undefined;
  /** A connection silent for this long is dropped (and the request retried). */
  idleTimeoutMs?: number | undefined;
  /** Forward proxies (HTTPS_PROXY, HTTP_PROXY, NO_PROXY as values); none by default. */
  proxy?: ProxySettings | undefined;
}

/**
 * The default transport on node:http/https: keep-alive pools, TLS verification always on, the
 * public roots plus an optional CA, and forward proxies (CONNECT tunnels for https). Built-ins keep
 * the CLI's start-up short.
 */
export function createHttpTransport(options: HttpTransportOptions = {}): { transport: HttpTransport; close(): Promise<void> } {
  const maxSockets = options.connections ?? 8;
  const idleTimeout = options.idleTimeoutMs ?? 120_000;
  const plan = new ProxyPlan(options.proxy);
  const tlsOptions = (): AgentOptions => ({
    keepAlive: true,
    maxSockets,
    ...(options.ca ? { ca: [...process.getBuiltinModule('node:tls').rootCertificates, options.ca.toString()] } : {}),
  });
  const http = new HttpAgent({ keepAlive: true, maxSockets });
  let https: HttpsAgent | undefined;
  // One pool per proxy: plain requests to it, and tunnels through it that keep TLS to the registry.
  const viaProxy = new Map<ProxyRoute, InstanceType<typeof HttpAgent>>();
  const tunnels = new Map<ProxyRoute, HttpsAgent>();
  const transport: HttpTransport = (req) =>
    new Promise((resolve, reject) => {
      const url = new URL(req.url);
      const secure = url.protocol === 'https:';
      const proxy = plan.route(url);
      // Requests that may carry a body always say how long it is, an empty one included.
      const body = req.body ?? (req.method === 'GET' || req.method === 'HEAD' ? undefined : '');
      const headers = body === undefined ? req.headers : { ...req.headers, 'content-length': String(Buffer.byteLength(body)) };
      const onResponse = (res: IncomingMessage) => {
        if (proxy && !secure && res.statusCode === 407) {
          res.resume();
          reject(new ProxyError(proxy.display, `the proxy ${proxy.display} asks for credentials`, { status: 407 }));
          return;
        }
        const flat: Record<string, string | undefined> = {};
        for (const [key, value] of Object.entries(res.headers)) flat[key] = Array.isArray(value) ? value.join(', ') : value;
        resolve({
          status: res.statusCode ?? 0,
          headers: flat,
          body: res,
          discard: async () => {
            res.resume();
          },
        });
      };
      let request: ClientRequest;
      if (!proxy) {
        request = secure
          ? httpsModule().request(
              url,
              { method: req.method, headers, agent: (https ??= new (httpsModule().Agent)(tlsOptions())), signal: req.signal },
              onResponse,
            )
          : httpRequest(url, { method: req.method, headers, agent: http, signal: req.signal }, onResponse);
      } else if (secure) {
        let agent = tunnels.get(proxy);
        if (!agent) tunnels.set(proxy, (agent = new (tunnelAgentClass())(tlsOptions(), proxy, idleTimeout)));
        request = httpsModule().request(url, { method: req.method, headers, agent, signal: req.signal }, onResponse);
      } else {
        let agent = viaProxy.get(proxy);
        if (!agent) viaProxy.set(proxy, (agent = new HttpAgent({ keepAlive: true, maxSockets })));
        const proxied = { ...headers, host: url.host, ...(proxy.authorization ? { 'proxy-authorization': proxy.authorization } : {}) };
        request = httpRequest(
          { host: proxy.host, port: proxy.port, path: url.href, method: req.method, headers: proxied, agent, signal: req.signal },
          onResponse,
        );
        // Only a failure to reach the proxy itself is the proxy's; later errors belong to the exchange.
        let reached = false;
        request.on('socket', (socket) => {
          if (socket.connecting) socket.once('connect', () => (reached = true));
          else reached = true;
        });
        request.on('error', (error: NodeJS.ErrnoException) => {
          if (!reached)
            reject(new ProxyError(proxy.display, `the proxy ${proxy.display} cannot be reached: ${error.message}`, { code: error.code, cause: error }));
        });
      }
      request.setTimeout(idleTimeout, () =>
        request.destroy(Object.assign(new Error(`no data from ${url.host} for ${idleTimeout / 1000}s`), { code: 'ETIMEDOUT' })),
      );
      request.on('error', reject);
      request.end(body);
    });
  return {
    transport,
    close: async () => {
      http.destroy();
      https?.destroy();
      for (const agent of [...viaProxy.values(), ...tunnels.values()]) agent.destroy();
    },
  };
}

let tunnelAgent: ReturnType<typeof defineTunnelAgent> | undefined;
const tunnelAgentClass = () => (tunnelAgent ??= defineTunnelAgent());

/** An https agent whose connections are CONNECT tunnels through a proxy; TLS to the registry runs inside, verified as usual. */
const defineTunnelAgent = () =>
  class TunnelAgent extends httpsModule().Agent {
    readonly #proxy: ProxyRoute;
    readonly #timeoutMs: number;

    constructor(options: AgentOptions, proxy: ProxyRoute, timeoutMs: number) {
      super(options);
      this.#proxy = proxy;
      this.#timeoutMs = timeoutMs;
    }

    override createConnection(options: ClientRequestArgs, callback?: (err: Error | null, stream: Duplex) => void): Duplex | null | undefined {
      const done = callback ?? (() => undefined);
      const proxy = this.#proxy;
      const host = String(options.host ?? options.hostname ?? 'localhost');
      const target = `${host.includes(':') ? `[${host}]` : host}:${options.port ?? 443}`;
      const fail = (error: Error) => done(error, undefined as unknown as Duplex);
      const connect = httpRequest({
        host: proxy.host,
        port: proxy.port,
        method: 'CONNECT',
        path: target,
        headers: { host: target, ...(proxy.authorization ? { 'proxy-authorization': proxy.authorization } : {}) },
        agent: false,
      });
      connect.setTimeout(this.#timeoutMs, () => connect.destroy(Object.assign(new Error(`no answer for ${this.#timeoutMs / 1000}s`), { code: 'ETIMEDOUT' })));
      connect.once('connect', (res, socket) => {
        connect.setTimeout(0);
        const status = res.statusCode ?? 0;
        if (status < 200 || status > 299) {
          socket.destroy();
          fail(
            new ProxyError(proxy.display, `the proxy ${proxy.display} refused to open a tunnel to ${target}: ${status} ${res.statusMessage ?? ''}`.trim(), {
              status,
            }),
          );
          return;
        }
        done(null, process.getBuiltinModule('node:tls').connect({ ...(options as ConnectionOptions), socket }));
      });
      connect.once('error', (error: NodeJS.ErrnoException) =>
        fail(new ProxyError(proxy.display, `the proxy ${proxy.display} cannot be reached: ${error.message}`, { code: error.code, cause: error })),
      );
      connect.end();
      return undefined;
    }
  };

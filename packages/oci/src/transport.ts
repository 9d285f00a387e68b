import type { IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { rootCertificates } from 'node:tls';

// Not `import ... from 'node:http'`: its ESM facade evaluates lazy exports that load undici, ~50 ms of start-up.
const { Agent: HttpAgent, request: httpRequest } = process.getBuiltinModule('node:http');

/** One HTTP exchange as the registry client needs it; the port that tests replace with a fake. */
export interface HttpRequest {
  method: HttpMethod;
  url: string;
  headers: Record<string, string>;
  /** Sent whole with its content-length; uploads go in bounded chunks, so bodies fit in memory. */
  body?: string | Uint8Array | undefined;
  signal?: AbortSignal | undefined;
}

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH';

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
}

/**
 * The default transport on node:http/https: keep-alive pools, TLS verification always on, the
 * public roots plus an optional CA. Built-ins keep the CLI's start-up short.
 */
export function createHttpTransport(options: HttpTransportOptions = {}): { transport: HttpTransport; close(): Promise<void> } {
  const maxSockets = options.connections ?? 8;
  const http = new HttpAgent({ keepAlive: true, maxSockets });
  const https = new HttpsAgent({ keepAlive: true, maxSockets, ...(options.ca ? { ca: [...rootCertificates, options.ca.toString()] } : {}) });
  const idleTimeout = options.idleTimeoutMs ?? 120_000;
  const transport: HttpTransport = (req) =>
    new Promise((resolve, reject) => {
      const url = new URL(req.url);
      const secure = url.protocol === 'https:';
      // Requests that may carry a body always say how long it is, an empty one included.
      const body = req.body ?? (req.method === 'GET' || req.method === 'HEAD' ? undefined : '');
      const headers = body === undefined ? req.headers : { ...req.headers, 'content-length': String(Buffer.byteLength(body)) };
      const request = (secure ? httpsRequest : httpRequest)(
        url,
        { method: req.method, headers, agent: secure ? https : http, signal: req.signal },
        (res: IncomingMessage) => {
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
        },
      );
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
      https.destroy();
    },
  };
}

import { rootCertificates } from 'node:tls';
import { Agent, request } from 'undici';

/** One HTTP exchange as the registry client needs it; the port that tests replace with a fake. */
export interface HttpRequest {
  method: 'GET' | 'HEAD' | 'POST';
  url: string;
  headers: Record<string, string>;
  body?: string;
  signal?: AbortSignal | undefined;
}

export interface HttpResponse {
  status: number;
  /** Header names in lower case. */
  headers: Record<string, string | undefined>;
  body: AsyncIterable<Uint8Array>;
  /** Drops the body unread so the connection can be reused. */
  discard(): Promise<void>;
}

export type HttpTransport = (request: HttpRequest) => Promise<HttpResponse>;

export interface UndiciTransportOptions {
  /** Extra PEM certificates to trust besides the public roots (a private registry's CA). */
  ca?: string | Buffer | undefined;
  /** Connections per origin; bounded parallel downloads rely on it too. */
  connections?: number;
}

/** The default transport: undici with keep-alive, TLS verification on, the public roots plus an optional CA. */
export function createHttpTransport(options: UndiciTransportOptions = {}): { transport: HttpTransport; close(): Promise<void> } {
  const agent = new Agent({
    connections: options.connections ?? 8,
    connect: options.ca ? { ca: [...rootCertificates, options.ca.toString()] } : {},
    headersTimeout: 60_000,
    bodyTimeout: 120_000,
  });
  const transport: HttpTransport = async (req) => {
    const res = await request(req.url, { method: req.method, headers: req.headers, body: req.body, signal: req.signal, dispatcher: agent });
    const headers: Record<string, string | undefined> = {};
    for (const [key, value] of Object.entries(res.headers)) headers[key.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
    return {
      status: res.statusCode,
      headers,
      body: res.body,
      discard: async () => {
        // A body we do not want may fail to drain; undici then drops the connection, which is all we need.
        await res.body.dump().catch(() => undefined);
      },
    };
  };
  return { transport, close: () => agent.close() };
}

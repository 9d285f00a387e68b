import { createServer, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect, type Socket } from 'node:net';

// A real forward proxy on loopback, as corporate networks have them: CONNECT tunnels for https and
// absolute-URI requests for plain http, optionally demanding Proxy-Authorization or refusing hosts.
// Integration tests send the client through it and count what it forwarded.

export interface ForwardProxyOptions {
  /** Demand these proxy credentials (Basic); requests without them get 407. */
  credentials?: { username: string; password: string };
  /** A status to refuse a target (`host:port`) with, e.g. 403 for a host the proxy does not allow. */
  refuse?: (target: string) => number | undefined;
}

export interface ForwardProxy {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  /** Targets of the CONNECT tunnels it opened (`host:port`), one per connection. */
  tunnels: string[];
  /** Plain requests it forwarded, as `METHOD absolute-url`. */
  requests: string[];
  /** Requests it refused, as `METHOD target status`. */
  refused: string[];
  close(): Promise<void>;
}

export async function startForwardProxy(options: ForwardProxyOptions = {}): Promise<ForwardProxy> {
  const tunnels: string[] = [];
  const requests: string[] = [];
  const refused: string[] = [];
  const sockets = new Set<Socket>();
  const expected = options.credentials
    ? `Basic ${Buffer.from(`${options.credentials.username}:${options.credentials.password}`).toString('base64')}`
    : undefined;
  const verdict = (method: string, target: string, headers: IncomingHttpHeaders): number | undefined => {
    const status = expected && headers['proxy-authorization'] !== expected ? 407 : options.refuse?.(target);
    if (status) refused.push(`${method} ${target} ${status}`);
    return status;
  };

  const server = createServer((req, res) => {
    const target = new URL(req.url ?? '/');
    const status = verdict(req.method ?? 'GET', target.host, req.headers);
    if (status) {
      res.writeHead(status, status === 407 ? { 'proxy-authenticate': 'Basic realm="proxy"' } : {}).end();
      return;
    }
    requests.push(`${req.method} ${target.href}`);
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    delete headers['proxy-connection'];
    const upstream = httpRequest(target, { method: req.method, headers, agent: false }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });

  server.on('connect', (req, client: Socket, head: Buffer) => {
    sockets.add(client);
    client.on('error', () => client.destroy());
    const target = req.url ?? '';
    const status = verdict('CONNECT', target, req.headers);
    if (status) {
      client.end(`HTTP/1.1 ${status} Refused\r\n${status === 407 ? 'proxy-authenticate: Basic realm="proxy"\r\n' : ''}content-length: 0\r\n\r\n`);
      return;
    }
    const [, host, port] = /^\[?([^\]]+?)\]?:(\d+)$/.exec(target) ?? [];
    const upstream = connect(Number(port), host ?? '', () => {
      tunnels.push(target);
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on('error', () => {
      if (!client.destroyed) client.end('HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n');
    });
    client.on('close', () => upstream.destroy());
  });
  server.on('connection', (socket: Socket) => sockets.add(socket));

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    tunnels,
    requests,
    refused,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

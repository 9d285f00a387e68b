import { createServer, connect, type Server, type Socket } from 'node:net';

// A TCP proxy in front of a real registry that misbehaves on purpose: answers 500 to the first
// requests, or cuts the connection in the middle of a blob. Integration tests use it to show
// retries and resumed downloads against the real server.

export interface FaultPlan {
  /** Answer this many requests with a 500 before passing traffic through. */
  failFirst?: number;
  /** Destroy the connection after this many response bytes of a GET for this blob (first `times` such GETs). */
  resetBlob?: { digest: string; afterBytes: number; times: number };
}

export interface FaultProxy {
  address: string;
  /** Requests seen, as their request lines (with ` range=...` when the client asked for a range). */
  requests: string[];
  close(): Promise<void>;
}

export async function startFaultProxy(upstream: string, plan: FaultPlan): Promise<FaultProxy> {
  const [upstreamHost, upstreamPort] = upstream.split(':') as [string, string];
  const requests: string[] = [];
  let failures = plan.failFirst ?? 0;
  let resets = plan.resetBlob?.times ?? 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    sockets.add(client);
    const server = connect(Number(upstreamPort), upstreamHost);
    sockets.add(server);
    let armed = false;
    let sent = 0;
    client.on('data', (chunk: Buffer) => {
      const text = chunk.toString('latin1');
      const line = /^(GET|HEAD|POST|PUT|PATCH) \S+ HTTP\/1\.1/m.exec(text)?.[0];
      const range = /^range: *(\S+)/im.exec(text)?.[1];
      if (line) requests.push(range ? `${line} range=${range}` : line);
      if (line && failures > 0) {
        failures--;
        client.write('HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
        client.end();
        server.destroy();
        return;
      }
      if (line && plan.resetBlob && resets > 0 && line.startsWith('GET') && line.includes(`/blobs/${plan.resetBlob.digest}`) && !/^range:/im.test(text)) {
        resets--;
        armed = true;
        sent = 0;
      }
      server.write(chunk);
    });
    server.on('data', (chunk: Buffer) => {
      if (armed && plan.resetBlob) {
        const room = plan.resetBlob.afterBytes - sent;
        if (chunk.length >= room) {
          client.write(chunk.subarray(0, Math.max(0, room)));
          client.resetAndDestroy();
          server.destroy();
          return;
        }
        sent += chunk.length;
      }
      client.write(chunk);
    });
    const close = () => {
      client.destroy();
      server.destroy();
    };
    client.on('error', close);
    server.on('error', close);
    client.on('close', close);
    server.on('close', () => client.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    address: `127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

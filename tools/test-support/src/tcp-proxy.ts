import net from 'node:net';

/**
 * How the proxy treats connections: `pass` relays both ways; `stall` accepts and never answers (a
 * hung endpoint); `cut` resets each new connection; `throttle` trickles responses back at
 * `bytesPerSecond`; `cutAfter` relays then resets a connection once `bytes` of response went through.
 */
export type ProxyMode =
  { kind: 'pass' } | { kind: 'stall' } | { kind: 'cut' } | { kind: 'throttle'; bytesPerSecond: number } | { kind: 'cutAfter'; bytes: number };

export interface TcpProxy {
  endpoint: string;
  port: number;
  /** Changes how new connections are treated; `stall` and `cut` also apply to the open ones. */
  setMode(mode: ProxyMode): void;
  /** Connections accepted so far. */
  readonly connections: number;
  close(): Promise<void>;
}

/** A loopback TCP proxy that injects faults between a client and a real server. */
export async function tcpProxy(target: { host: string; port: number } | undefined, initial: ProxyMode = { kind: 'pass' }): Promise<TcpProxy> {
  let mode = initial;
  let accepted = 0;
  const open = new Set<{ client: net.Socket; upstream: net.Socket | undefined }>();
  const server = net.createServer((client) => {
    accepted++;
    client.on('error', () => client.destroy());
    if (mode.kind === 'cut') {
      client.resetAndDestroy();
      return;
    }
    if (mode.kind === 'stall' || !target) {
      // Read and drop what the client sends, answer nothing, keep the connection open.
      client.on('data', () => undefined);
      const entry = { client, upstream: undefined };
      open.add(entry);
      client.on('close', () => open.delete(entry));
      return;
    }
    const upstream = net.connect(target.port, target.host);
    const entry = { client, upstream };
    open.add(entry);
    const connectionMode = mode;
    let relayed = 0;
    // Throttled, both directions trickle: an upload is slow as well as a download.
    const trickle = (from: net.Socket, to: net.Socket, bytesPerSecond: number) =>
      from.on('data', (chunk: Buffer) => {
        from.pause();
        to.write(chunk);
        setTimeout(() => from.resume(), (chunk.length / bytesPerSecond) * 1000);
      });
    if (connectionMode.kind === 'throttle') {
      trickle(client, upstream, connectionMode.bytesPerSecond);
      trickle(upstream, client, connectionMode.bytesPerSecond);
    } else {
      client.pipe(upstream);
      upstream.on('data', (chunk: Buffer) => {
        relayed += chunk.length;
        if (connectionMode.kind === 'cutAfter' && relayed > connectionMode.bytes) {
          client.write(chunk.subarray(0, chunk.length - (relayed - connectionMode.bytes)));
          client.resetAndDestroy();
          upstream.destroy();
          return;
        }
        client.write(chunk);
      });
    }
    upstream.on('end', () => client.end());
    const close = () => {
      open.delete(entry);
      client.destroy();
      upstream.destroy();
    };
    upstream.on('error', close);
    client.on('close', close);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    get connections() {
      return accepted;
    },
    setMode(next) {
      mode = next;
      if (next.kind !== 'stall' && next.kind !== 'cut') return;
      // A stalled connection loses its server but stays open to the client, silent.
      for (const { client, upstream } of open) {
        if (next.kind === 'cut') client.resetAndDestroy();
        upstream?.destroy();
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const { client, upstream } of open) {
          client.destroy();
          upstream?.destroy();
        }
        server.close(() => resolve());
      }),
  };
}

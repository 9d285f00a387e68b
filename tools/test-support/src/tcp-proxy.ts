import net from 'node:net';

/**
 * How the proxy treats connections: `pass` relays both ways; `stall` accepts and never answers (a
 * hung endpoint); `cut` resets each new connection; `throttle` trickles responses back at
 * `bytesPerSecond`; `cutAfter` relays then resets a connection once `bytes` of response went through;
 * `link` is a path to a distant server: a round trip of `rttMs` (one more for each new connection's
 * handshake) and `bitsPerSecond` each way, shared by every connection made under that mode.
 */
export type ProxyMode =
  { kind: 'pass' } | { kind: 'stall' } | { kind: 'cut' } | { kind: 'throttle'; bytesPerSecond: number } | { kind: 'cutAfter'; bytes: number } | LinkMode;

export interface LinkMode {
  kind: 'link';
  rttMs: number;
  bitsPerSecond: number;
}

/** `30ms,100mbit` (rates in kbit, mbit or gbit) as a link mode. */
export function parseLink(text: string): LinkMode {
  const match = /^(\d+(?:\.\d+)?)ms,(\d+(?:\.\d+)?)(k|m|g)bit$/i.exec(text.trim());
  if (!match) throw new Error(`link ${JSON.stringify(text)} is not RTTms,RATE(k|m|g)bit, e.g. 30ms,100mbit`);
  const unit = { k: 1e3, m: 1e6, g: 1e9 }[match[3]!.toLowerCase() as 'k' | 'm' | 'g'];
  return { kind: 'link', rttMs: Number(match[1]), bitsPerSecond: Number(match[2]) * unit };
}

/**
 * One direction of a link: chunks leave in order, each once the ones before it went through at the
 * link's rate, and arrive half a round trip later.
 */
class Lane {
  readonly #halfRttMs: number;
  readonly #bitsPerSecond: number;
  #idleAt = 0;
  readonly #queue: { due: number; deliver: () => void }[] = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(mode: LinkMode) {
    this.#halfRttMs = mode.rttMs / 2;
    this.#bitsPerSecond = mode.bitsPerSecond;
  }

  send(bytes: number, deliver: () => void): void {
    this.#idleAt = Math.max(performance.now(), this.#idleAt) + (bytes * 8000) / this.#bitsPerSecond;
    this.#queue.push({ due: this.#idleAt + this.#halfRttMs, deliver });
    this.#schedule();
  }

  #schedule(): void {
    if (this.#timer || this.#queue.length === 0) return;
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined;
        // Timers fire on whole milliseconds: what is due within one goes out now, in order.
        const now = performance.now() + 1;
        while (this.#queue.length > 0 && this.#queue[0]!.due <= now) this.#queue.shift()!.deliver();
        this.#schedule();
      },
      Math.max(0, this.#queue[0]!.due - performance.now()),
    );
  }
}

/** Relays one direction over a lane; the sender is paused while a megabyte is on its way. */
function relayOverLane(from: net.Socket, to: net.Socket, lane: Lane): void {
  let inFlight = 0;
  from.on('data', (chunk: Buffer) => {
    inFlight += chunk.length;
    if (inFlight > 1024 * 1024) from.pause();
    lane.send(chunk.length, () => {
      inFlight -= chunk.length;
      if (!to.destroyed) to.write(chunk);
      if (inFlight <= 1024 * 1024 && from.isPaused()) from.resume();
    });
  });
  from.on('end', () => lane.send(0, () => to.end()));
}

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
  const lanes = new WeakMap<LinkMode, { up: Lane; down: Lane }>();
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
    if (connectionMode.kind === 'link') {
      let link = lanes.get(connectionMode);
      if (!link) lanes.set(connectionMode, (link = { up: new Lane(connectionMode), down: new Lane(connectionMode) }));
      // The handshake: the client's first bytes leave a round trip after it connected.
      client.pause();
      setTimeout(() => client.resume(), connectionMode.rttMs);
      relayOverLane(client, upstream, link.up);
      relayOverLane(upstream, client, link.down);
    } else if (connectionMode.kind === 'throttle') {
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
    if (connectionMode.kind !== 'link') upstream.on('end', () => client.end());
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

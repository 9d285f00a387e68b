import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseLink, tcpProxy, type TcpProxy } from './tcp-proxy.ts';

/** A server that answers each connection's first byte with `size` random bytes, then closes. */
async function sender(payloads: Map<number, Buffer>): Promise<net.Server> {
  const server = net.createServer((socket) => {
    socket.once('data', (request) => socket.end(payloads.get(request[0]!) ?? Buffer.alloc(0)));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

/** Connects through the proxy, asks for payload `id`, and reads it to the end. */
async function fetchThrough(port: number, id: number): Promise<{ bytes: Buffer; firstByteMs: number; totalMs: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let firstByteMs = -1;
    const socket = net.connect(port, '127.0.0.1', () => socket.write(Buffer.from([id])));
    socket.on('data', (chunk: Buffer) => {
      if (firstByteMs < 0) firstByteMs = performance.now() - started;
      chunks.push(chunk);
    });
    socket.on('end', () => resolve({ bytes: Buffer.concat(chunks), firstByteMs, totalMs: performance.now() - started }));
    socket.on('error', reject);
  });
}

const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('tcpProxy link mode', () => {
  const payloads = new Map([
    [1, randomBytes(400_000)],
    [2, randomBytes(200_000)],
    [3, randomBytes(200_000)],
  ]);
  let server: net.Server;
  let proxy: TcpProxy;

  beforeAll(async () => {
    server = await sender(payloads);
    proxy = await tcpProxy({ host: '127.0.0.1', port: (server.address() as net.AddressInfo).port }, parseLink('40ms,16mbit'));
  });
  afterAll(async () => {
    await proxy.close();
    await new Promise((resolve) => server.close(resolve));
  });

  it('costs a round trip for the handshake and one for the request, then delivers at the rate, bytes intact', async () => {
    const { bytes, firstByteMs, totalMs } = await fetchThrough(proxy.port, 1);
    expect(sha(bytes)).toBe(sha(payloads.get(1)!));
    expect(firstByteMs).toBeGreaterThanOrEqual(80);
    // 400 kB at 2 MB/s is 200 ms on the wire after those round trips.
    expect(totalMs).toBeGreaterThanOrEqual(80 + 190);
    expect(totalMs).toBeLessThan(2_000);
  });

  it('shares the rate between connections', async () => {
    const started = performance.now();
    const [a, b] = await Promise.all([fetchThrough(proxy.port, 2), fetchThrough(proxy.port, 3)]);
    expect(sha(a.bytes)).toBe(sha(payloads.get(2)!));
    expect(sha(b.bytes)).toBe(sha(payloads.get(3)!));
    // 2 x 200 kB through one 2 MB/s path: 200 ms, not the 100 ms each would take alone.
    expect(performance.now() - started).toBeGreaterThanOrEqual(80 + 190);
  });

  it('reads a link as RTT and rate, and refuses anything else', () => {
    expect(parseLink('30ms,100mbit')).toEqual({ kind: 'link', rttMs: 30, bitsPerSecond: 100e6 });
    expect(parseLink('0.5ms,1Gbit')).toEqual({ kind: 'link', rttMs: 0.5, bitsPerSecond: 1e9 });
    expect(() => parseLink('30,100mbit')).toThrow(/RTTms,RATE/);
    expect(() => parseLink('30ms,100mb')).toThrow(/RTTms,RATE/);
  });
});

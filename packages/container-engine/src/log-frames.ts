import type { ContainerLogs } from './container-engine.ts';

/**
 * Splits the engine's multiplexed log stream: frames of an 8-byte header (stream 1 stdout or
 * 2 stderr, three zero bytes, big-endian size) and the payload. A container with a TTY sends raw
 * bytes instead; whatever does not start with a frame header is taken as stdout.
 */
export function demultiplexLogs(body: Buffer): ContainerLogs {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let offset = 0;
  while (offset < body.length) {
    if (!isFrameHeader(body, offset)) {
      out.push(body.subarray(offset));
      break;
    }
    const size = body.readUInt32BE(offset + 4);
    (body[offset] === 2 ? err : out).push(body.subarray(offset + 8, offset + 8 + size));
    offset += 8 + size;
  }
  return { stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}

function isFrameHeader(body: Buffer, offset: number): boolean {
  return offset + 8 <= body.length && body[offset]! <= 2 && body[offset + 1] === 0 && body[offset + 2] === 0 && body[offset + 3] === 0;
}

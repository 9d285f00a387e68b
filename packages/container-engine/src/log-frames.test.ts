import { describe, expect, it } from 'vitest';
import { demultiplexLogs } from './log-frames.ts';

function frame(stream: 1 | 2, text: string): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

describe('demultiplexLogs', () => {
  it('splits stdout and stderr frames, keeping the order within each', () => {
    const body = Buffer.concat([frame(1, 'one\n'), frame(2, 'oops\n'), frame(1, 'two\n'), frame(2, '')]);
    expect(demultiplexLogs(body)).toEqual({ stdout: 'one\ntwo\n', stderr: 'oops\n' });
  });

  it('takes a raw (TTY) stream as stdout', () => {
    expect(demultiplexLogs(Buffer.from('hello from a tty\n'))).toEqual({ stdout: 'hello from a tty\n', stderr: '' });
  });

  it('answers empty output for an empty stream', () => {
    expect(demultiplexLogs(Buffer.alloc(0))).toEqual({ stdout: '', stderr: '' });
  });
});

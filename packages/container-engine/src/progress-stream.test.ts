import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { EngineProgressEvent } from './container-engine.ts';
import { EngineErrorCode, isEngineError } from './errors.ts';
import { followProgress } from './progress-stream.ts';

/** A stream as the engine sends it: JSON lines, cut into chunks wherever the network cuts them. */
function engineStream(lines: unknown[], chunkSize = 7): Readable {
  const text = lines.map((line) => (typeof line === 'string' ? line : JSON.stringify(line))).join('\r\n') + '\r\n';
  const bytes = Buffer.from(text);
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunkSize) chunks.push(bytes.subarray(i, i + chunkSize));
  return Readable.from(chunks);
}

async function failure(call: Promise<unknown>): Promise<unknown> {
  try {
    await call;
  } catch (error) {
    return error;
  }
  throw new Error('the call succeeded, but it should have failed');
}

describe('followProgress', () => {
  it('reads a successful build to the end, reports each line and returns the aux objects', async () => {
    const events: EngineProgressEvent[] = [];
    const outcome = await followProgress(
      engineStream([
        { stream: 'Step 1/2 : FROM scratch\n' },
        { stream: ' ---> Running in 0123 ünïcödé\n' },
        { aux: { ID: 'sha256:abc' } },
        { stream: 'Successfully built abc\n' },
      ]),
      { operation: 'build', subject: 'demo:1', onProgress: (event) => events.push(event) },
    );
    expect(outcome.aux).toEqual([{ ID: 'sha256:abc' }]);
    expect(events).toEqual([
      { type: 'output', operation: 'build', text: 'Step 1/2 : FROM scratch' },
      { type: 'output', operation: 'build', text: ' ---> Running in 0123 ünïcödé' },
      { type: 'output', operation: 'build', text: 'Successfully built abc' },
    ]);
  });

  it('rejects a build whose stream carries an error detail, with the output before it', async () => {
    const error = await failure(
      followProgress(
        engineStream([
          { stream: 'Step 2/2 : RUN false\n' },
          { errorDetail: { code: 1, message: "The command '/bin/sh -c false' returned a non-zero code: 1" }, error: 'ignored' },
          { stream: 'never read\n' },
        ]),
        { operation: 'build', subject: 'demo:1' },
      ),
    );
    expect(isEngineError(error, EngineErrorCode.BuildFailed)).toBe(true);
    expect((error as Error).message).toBe("building demo:1 failed: The command '/bin/sh -c false' returned a non-zero code: 1");
    expect(error).toMatchObject({ category: 'operational', output: ['Step 2/2 : RUN false'] });
  });

  it('rejects on an error without errorDetail, and on the very last line without a newline', async () => {
    const stream = Readable.from([Buffer.from('{"status":"Pulling fs layer","id":"a1"}\n{"error":"manifest unknown"}')]);
    const error = await failure(followProgress(stream, { operation: 'pull', subject: 'r/x:1' }));
    expect(isEngineError(error, EngineErrorCode.PullFailed)).toBe(true);
    expect((error as Error).message).toBe('pulling r/x:1 failed: manifest unknown');
  });

  it('turns a refused login on pull or push into ENGINE_UNAUTHORIZED, an input error', async () => {
    const error = await failure(
      followProgress(engineStream([{ status: 'The push refers to repository [r/x]' }, { errorDetail: { message: 'unauthorized: authentication required' } }]), {
        operation: 'push',
        subject: 'r/x:1',
      }),
    );
    expect(isEngineError(error, EngineErrorCode.Unauthorized)).toBe(true);
    expect(error).toMatchObject({ category: 'input' });
  });

  it('reports layer progress with byte counts and plain status lines', async () => {
    const events: EngineProgressEvent[] = [];
    await followProgress(
      engineStream([
        { status: 'Pulling from x' },
        { status: 'Downloading', id: 'a1', progressDetail: { current: 10, total: 40 }, progress: '[==>  ]' },
        { status: 'Digest: sha256:0f' },
      ]),
      { operation: 'pull', subject: 'x', onProgress: (event) => events.push(event) },
    );
    expect(events).toEqual([
      { type: 'status', operation: 'pull', text: 'Pulling from x' },
      { type: 'layer', operation: 'pull', layer: 'a1', status: 'Downloading', current: 10, total: 40 },
      { type: 'status', operation: 'pull', text: 'Digest: sha256:0f' },
    ]);
  });

  it('rejects a line that is not JSON instead of resolving', async () => {
    const error = await failure(followProgress(engineStream([{ stream: 'ok\n' }, '<html>502 Bad Gateway</html>']), { operation: 'build', subject: 'demo' }));
    expect(isEngineError(error, EngineErrorCode.BuildFailed)).toBe(true);
    expect((error as Error).message).toContain('unreadable progress line: <html>502');
  });

  it('rejects when the stream breaks off with an error', async () => {
    const stream = new Readable({ read() {} });
    stream.push('{"stream":"Step 1/3\\n"}\n');
    setImmediate(() => stream.destroy(new Error('socket hang up')));
    await expect(followProgress(stream, { operation: 'build', subject: 'demo' })).rejects.toThrow('socket hang up');
  });

  it('stops at once when the signal aborts', async () => {
    const stream = new Readable({ read() {} });
    const controller = new AbortController();
    const reading = followProgress(stream, { operation: 'pull', subject: 'x', signal: controller.signal });
    controller.abort(new Error('stop'));
    await expect(reading).rejects.toMatchObject({ name: 'AbortError' });
    expect(stream.destroyed).toBe(true);
  });
});

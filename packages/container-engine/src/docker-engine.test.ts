import { createServer } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDockerEngine } from './docker-engine.ts';
import { EngineErrorCode } from './errors.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'docker-engine-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('createDockerEngine', () => {
  it('reports a socket nobody listens on as ENGINE_UNREACHABLE, naming where it looked', async () => {
    const host = `unix://${join(dir, 'absent.sock')}`;
    const error = await createDockerEngine({ host })
      .ping()
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toMatchObject({ code: EngineErrorCode.Unreachable, category: 'operational' });
    expect((error as Error).message).toContain(host);
  });

  it('bounds a call to an engine that accepts the connection but never answers', async () => {
    const path = join(dir, 'silent.sock');
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(path, resolve));
    try {
      const started = Date.now();
      const error = await createDockerEngine({ host: `unix://${path}`, requestTimeoutMs: 300 })
        .inspectImage('anything')
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(error).toMatchObject({ code: EngineErrorCode.Timeout });
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      silent.close();
    }
  });

  it('refuses a host it cannot read with ENGINE_BAD_HOST', () => {
    expect(() => createDockerEngine({ host: 'ssh://me@host' })).toThrow(expect.objectContaining({ code: EngineErrorCode.BadHost }));
  });
});

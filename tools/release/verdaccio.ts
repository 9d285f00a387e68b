import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { VerifyError } from './errors.ts';
import { groupIsAlive, killGroup } from './processes.ts';
import { tail } from './release-files.ts';

export interface VerdaccioOptions {
  /** The verdaccio executable (its bin script; the node on PATH runs it). */
  bin: string;
  /** tools/release/verdaccio.yaml; copied into `dir` so storage and htpasswd land there. */
  configTemplate: string;
  dir: string;
  env: NodeJS.ProcessEnv;
  startTimeoutMs?: number;
}

export interface RunningVerdaccio {
  /** Base URL with a trailing slash, e.g. http://127.0.0.1:41234/ */
  url: string;
  pid: number;
  logFile: string;
  /** Registers a user through the npm adduser API and returns its token. */
  addUser(name: string): Promise<string>;
  /** GET on the registry with the token, as npm would; returns status and parsed JSON body (or null). */
  get(path: string, token?: string): Promise<{ status: number; body: unknown }>;
  logTail(): Promise<string>;
  /** Stops the server and waits until its process group is gone. */
  stop(): Promise<void>;
  /** For a second interrupt: kill without waiting. */
  kill(): void;
}

const START_ATTEMPTS = 3;
const STOP_GRACE_MS = 5_000;

/** Starts Verdaccio on a free loopback port; retries on another port if the one picked was taken meanwhile. */
export async function startVerdaccio(options: VerdaccioOptions): Promise<RunningVerdaccio> {
  await mkdir(options.dir, { recursive: true });
  const config = join(options.dir, 'config.yaml');
  await copyFile(options.configTemplate, config);
  const logFile = join(options.dir, 'verdaccio.log');
  let lastError: unknown;
  for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
    const port = await freeLoopbackPort();
    try {
      return await startOnPort(options, config, logFile, port);
    } catch (error) {
      lastError = error;
      const log = await readFile(logFile, 'utf8').catch(() => '');
      if (!log.includes('EADDRINUSE')) throw error;
    }
  }
  throw lastError;
}

async function startOnPort(options: VerdaccioOptions, config: string, logFile: string, port: number): Promise<RunningVerdaccio> {
  const url = `http://127.0.0.1:${port}/`;
  const logFd = openSync(logFile, 'w');
  const child = spawn(options.bin, ['--config', config, '--listen', `127.0.0.1:${port}`], {
    cwd: options.dir,
    env: options.env,
    stdio: ['ignore', logFd, logFd],
    detached: true,
  });
  closeSync(logFd);
  const pid = child.pid;
  if (pid === undefined) throw new VerifyError(`cannot start ${options.bin}`, { code: 'RELEASE_VERIFY_REGISTRY' });
  let exited = false;
  const exitedPromise = new Promise<void>((resolveExit) => child.on('exit', () => resolveExit()));
  child.on('exit', () => (exited = true));
  child.on('error', () => (exited = true));

  const logTail = async () => tail(await readFile(logFile, 'utf8').catch(() => ''), 30);
  const stop = async () => {
    if (!groupIsAlive(pid)) return;
    killGroup(pid, 'SIGTERM');
    const deadline = Date.now() + STOP_GRACE_MS;
    while (groupIsAlive(pid) && Date.now() < deadline) await sleep(100);
    if (groupIsAlive(pid)) killGroup(pid, 'SIGKILL');
    if (!exited) await Promise.race([exitedPromise, sleep(STOP_GRACE_MS)]);
  };

  const deadline = Date.now() + (options.startTimeoutMs ?? 30_000);
  for (;;) {
    if (exited) {
      throw new VerifyError(`verdaccio exited while starting on port ${port}`, { code: 'RELEASE_VERIFY_REGISTRY', detail: await logTail() });
    }
    if (await answersPing(url)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new VerifyError(`verdaccio did not answer ${url}-/ping in time`, { code: 'RELEASE_VERIFY_REGISTRY', detail: await logTail() });
    }
    await sleep(200);
  }

  const get = async (path: string, token?: string) => {
    const response = await fetch(new URL(path, url), { headers: token ? { authorization: `Bearer ${token}` } : {} });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as unknown) : null };
  };

  return {
    url,
    pid,
    logFile,
    get,
    logTail,
    stop,
    kill: () => killGroup(pid, 'SIGKILL'),
    addUser: async (name) => {
      // A fresh password per run: the registry and its htpasswd file live only as long as this run.
      const password = randomBytes(18).toString('base64url');
      const response = await fetch(new URL(`-/user/org.couchdb.user:${encodeURIComponent(name)}`, url), {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ _id: `org.couchdb.user:${name}`, name, password, type: 'user', roles: [], date: new Date().toISOString() }),
      });
      const body = (await response.json().catch(() => ({}))) as { token?: unknown; error?: unknown };
      if (response.status !== 201 || typeof body.token !== 'string') {
        throw new VerifyError(`registering ${name} on ${url} answered ${response.status} ${String(body.error ?? '')}`.trim(), {
          code: 'RELEASE_VERIFY_REGISTRY',
          detail: await logTail(),
        });
      }
      return body.token;
    },
  };
}

function answersPing(url: string): Promise<boolean> {
  return fetch(new URL('-/ping', url), { signal: AbortSignal.timeout(2_000) }).then(
    async (response) => {
      await response.body?.cancel();
      return response.ok;
    },
    // Connection refused while the server boots: not ready yet.
    () => false,
  );
}

function freeLoopbackPort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

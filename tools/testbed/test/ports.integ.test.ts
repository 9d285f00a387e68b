import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTestbedEnv, repoRoot } from '../env.ts';

// The busy laptop: the usual ports of the cheap services are taken (by the shared testbed, or by listeners opened here).
const USUAL_PORTS = { REGISTRY_PLAIN: 5000, REGISTRY_AUTH: 5443, S3: 9000, S3_CONSOLE: 9001 };
const testbedCommand = join(repoRoot, 'tools/testbed/testbed');
const listeners: net.Server[] = [];
let dir: string;

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  stdout: string;
  /** Every pid the testbed recorded in run/ while the command ran. */
  pids: Set<number>;
}

/** Runs tools/testbed/testbed on the temporary testbed; `interrupt` sends Ctrl-C once it returns true. */
async function testbed(args: string[], env: Record<string, string> = {}, interrupt?: () => boolean): Promise<Run> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, FALCO_AIRGAP_TESTBED_DIR: dir, ...env };
  delete childEnv.FALCO_AIRGAP_TESTBED_LOCKED;
  const child = spawn(testbedCommand, args, { env: childEnv, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const run: Run = { code: null, signal: null, stderr: '', stdout: '', pids: new Set() };
  child.stdout.on('data', (chunk: Buffer) => (run.stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (run.stderr += chunk.toString()));
  let running = true;
  child.on('close', (code, signal) => {
    run.code = code;
    run.signal = signal;
    running = false;
  });
  let interrupted = false;
  while (running) {
    for (const pid of recordedPids()) run.pids.add(pid);
    if (interrupt && !interrupted && interrupt()) {
      // As a terminal's Ctrl-C does: the signal goes to the whole foreground process group.
      process.kill(-child.pid!, 'SIGINT');
      interrupted = true;
    }
    await sleep(20);
  }
  return run;
}

function recordedPids(): number[] {
  const run = join(dir, 'run');
  if (!existsSync(run)) return [];
  return readdirSync(run)
    .filter((f) => f.endsWith('.pid'))
    .flatMap((f) => {
      const pid = Number(readFileSync(join(run, f), 'utf8').trim());
      return Number.isSafeInteger(pid) && pid > 0 ? [pid] : [];
    });
}

/** Alive and not a zombie waiting for init to reap it. */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Processes whose command line names the temporary testbed: its daemons all do (configs, data dirs, sockets). */
function processesOfTestbed(): string[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry) && Number(entry) !== process.pid)
    .flatMap((pid) => {
      try {
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
        return cmdline.includes(dir) && alive(Number(pid)) ? [`${pid}: ${cmdline.trim()}`] : [];
      } catch {
        return [];
      }
    });
}

async function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Waits (bounded) until nothing of the temporary testbed runs any more. */
async function settled(): Promise<string[]> {
  for (let i = 0; i < 150 && processesOfTestbed().length; i++) await sleep(100);
  return processesOfTestbed();
}

/** The ports the log says were chosen instead of the usual ones: `KEY: port 5000 is taken, using 5001`. */
function movedPorts(stderr: string): Record<string, number> {
  return Object.fromEntries([...stderr.matchAll(/^\[testbed\] (\w+): port \d+ is taken, using (\d+)$/gm)].map((m) => [m[1]!, Number(m[2])]));
}

async function occupy(port: number): Promise<void> {
  const server = net.createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => {
    server.once('error', () => resolve()); // already taken by someone else: just as good
    server.listen(port, '127.0.0.1', () => {
      listeners.push(server);
      resolve();
    });
  });
}

beforeAll(async () => {
  for (const port of Object.values(USUAL_PORTS)) await occupy(port);
  dir = await mkdtemp(join(tmpdir(), 'testbed-ports-'));
});

afterAll(async () => {
  // Whatever a failed assertion left running goes; the shared testbed is never touched.
  if (processesOfTestbed().length) await testbed(['down', 'registry', 's3']);
  await Promise.all(listeners.map((server) => new Promise((resolve) => server.close(resolve))));
  await rm(dir, { recursive: true, force: true });
}, 120_000);

describe('tools/testbed/testbed on a machine where the usual ports are taken', () => {
  it('up picks free ports, says which, writes them to the env file; status is healthy; down leaves no process', async () => {
    const up = await testbed(['up', 'registry', 's3']);
    expect(up.code, up.stderr).toBe(0);
    const env = readTestbedEnv(join(dir, 'testbed.env'));
    expect(env.TESTBED_DIR).toBe(dir);
    const ports = Object.fromEntries(Object.keys(USUAL_PORTS).map((key) => [key, Number(env[`TESTBED_PORT_${key}`])]));
    for (const [key, usual] of Object.entries(USUAL_PORTS)) {
      expect(ports[key], key).not.toBe(usual);
      expect(up.stderr).toContain(`${key}: port ${usual} is taken, using ${ports[key]}`);
    }
    expect(new Set(Object.values(ports)).size).toBe(4);
    expect(up.stderr).toMatch(new RegExp(`ports: .*REGISTRY_PLAIN=${ports.REGISTRY_PLAIN}`));
    expect(env.TESTBED_REGISTRY).toBe(`127.0.0.1:${ports.REGISTRY_PLAIN}`);
    expect(env.TESTBED_REGISTRY_AUTH).toBe(`127.0.0.1:${ports.REGISTRY_AUTH}`);
    expect(env.TESTBED_S3_ENDPOINT).toBe(`http://127.0.0.1:${ports.S3}`);
    expect((await fetch(`http://${env.TESTBED_REGISTRY}/v2/`)).status).toBe(200);
    expect((await fetch(`${env.TESTBED_S3_ENDPOINT}/minio/health/ready`)).status).toBe(200);

    const status = await testbed(['status', 'registry', 's3']);
    expect(status.code, status.stdout).toBe(0);
    expect(status.stdout).toMatch(
      new RegExp(`^registry +healthy +http://127\\.0\\.0\\.1:${ports.REGISTRY_PLAIN}, https://127\\.0\\.0\\.1:${ports.REGISTRY_AUTH}`, 'm'),
    );
    expect(status.stdout).toMatch(new RegExp(`^s3 +healthy +http://127\\.0\\.0\\.1:${ports.S3} `, 'm'));

    // A second up reuses what runs: same ports, same processes.
    const again = await testbed(['up', 'registry', 's3']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('registry healthy, reused');
    expect(readTestbedEnv(join(dir, 'testbed.env'))).toEqual(env);
    const pids = recordedPids();
    expect(pids).toHaveLength(3);
    expect([...again.pids].sort()).toEqual([...pids].sort());

    const down = await testbed(['down', 'registry', 's3']);
    expect(down.code, down.stderr).toBe(0);
    expect(await settled()).toEqual([]);
    for (const pid of pids) expect(alive(pid), `pid ${pid}`).toBe(false);
    for (const port of [ports.REGISTRY_PLAIN!, ports.REGISTRY_AUTH!, ports.S3!]) expect(await listening(port), `port ${port}`).toBe(false);
    expect(readFileSync(join(dir, 'testbed.env'), 'utf8')).not.toContain('TESTBED_PORT_');
    // The usual ports stay as they were: taken.
    for (const port of [USUAL_PORTS.REGISTRY_PLAIN, USUAL_PORTS.S3]) expect(await listening(port)).toBe(true);
  });

  it('a service that cannot start takes down what the same up started before it', async () => {
    // S3 pinned to a port that is taken: the registry is up by then.
    const up = await testbed(['up', 'registry', 's3'], { FALCO_AIRGAP_S3_PORT: String(USUAL_PORTS.S3) });
    expect(up.code).toBe(1);
    expect(up.stderr).toContain(`error: port ${USUAL_PORTS.S3}, pinned by FALCO_AIRGAP_S3_PORT, is already taken`);
    expect(up.stderr).toContain('stopping registry: this up started it and did not finish');
    expect(up.pids.size).toBe(2);
    expect(await settled()).toEqual([]);
    for (const pid of up.pids) expect(alive(pid), `pid ${pid}`).toBe(false);
    for (const port of Object.values(movedPorts(up.stderr))) expect(await listening(port), `port ${port}`).toBe(false);
    expect(readFileSync(join(dir, 'testbed.env'), 'utf8')).not.toMatch(/TESTBED_REGISTRY|TESTBED_PORT_/);
  });

  it('Ctrl-C during up stops what it started', async () => {
    // Interrupted once MinIO runs and is being waited for.
    const up = await testbed(['up', 'registry', 's3'], {}, () => existsSync(join(dir, 'run', 's3.pid')));
    expect(up.signal ?? up.code).not.toBe(0);
    expect(up.pids.size).toBe(3);
    expect(await settled()).toEqual([]);
    for (const pid of up.pids) expect(alive(pid), `pid ${pid}`).toBe(false);
    for (const port of Object.values(movedPorts(up.stderr))) expect(await listening(port), `port ${port}`).toBe(false);
  });
});

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export function testbedEnvFile(): string {
  return process.env.FALCO_AIRGAP_TESTBED_ENV ?? join(process.env.FALCO_AIRGAP_TESTBED_DIR ?? join(repoRoot, '.testbed'), 'testbed.env');
}

/** Reads the KEY=VALUE env file that `tools/testbed/testbed up` writes. */
export function readTestbedEnv(file = testbedEnvFile()): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line);
    if (m) env[m[1]!] = m[2]!;
  }
  return env;
}

/** The testbed env, or a thrown error telling the developer to bring the testbed up. */
export function requireTestbed(...keys: string[]): Record<string, string> {
  let env: Record<string, string>;
  try {
    env = readTestbedEnv();
  } catch (cause) {
    throw new Error(`testbed env file ${testbedEnvFile()} is missing: run tools/testbed/testbed up`, { cause });
  }
  const missing = keys.filter((k) => !env[k]);
  if (missing.length) throw new Error(`testbed does not provide ${missing.join(', ')}: run tools/testbed/testbed up`);
  return env;
}

/**
 * Holds the lock that `tools/testbed/testbed up` and `down` take, until the returned function releases it. Shared: the
 * services stay as they are while a test relies on them. Exclusive: a test may take a service down and up again
 * (running tools/testbed with FALCO_AIRGAP_TESTBED_LOCKED=1) with no one else's up or down in between.
 */
export async function holdTestbedLock(mode: 'shared' | 'exclusive', env: Record<string, string> = readTestbedEnv()): Promise<() => void> {
  const lock = join(env.TESTBED_DIR ?? join(repoRoot, '.testbed'), 'run', 'testbed.lock');
  const holder = spawn('flock', [`--${mode}`, '--wait', '900', '--close', lock, 'sh', '-c', 'echo held; exec sleep 1800'], {
    detached: true,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  await new Promise<void>((resolve, reject) => {
    holder.stdout.once('data', () => resolve());
    holder.once('error', reject);
    holder.once('exit', (code) => reject(new Error(`flock ${lock} exited with ${code} before taking the lock`)));
  });
  // The holder and its sleep are one process group: both go, and the lock with them.
  return () => process.kill(-holder.pid!, 'SIGKILL');
}

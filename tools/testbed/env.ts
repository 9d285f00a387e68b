import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export function testbedEnvFile(): string {
  return process.env.FALCO_AIRGAP_TESTBED_ENV ?? join(process.env.FALCO_AIRGAP_TESTBED_DIR ?? join(repoRoot, '.testbed'), 'testbed.env');
}

/** Reads the KEY=VALUE env file that `tools/testbed up` writes. */
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
    throw new Error(`testbed env file ${testbedEnvFile()} is missing: run tools/testbed up`, { cause });
  }
  const missing = keys.filter((k) => !env[k]);
  if (missing.length) throw new Error(`testbed does not provide ${missing.join(', ')}: run tools/testbed up`);
  return env;
}

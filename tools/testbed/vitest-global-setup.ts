import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { readTestbedEnv, repoRoot, testbedEnvFile } from './env.ts';

// Integration tests never skip: a missing or unhealthy testbed fails the whole run up front.
export default function setup(): void {
  try {
    readTestbedEnv();
  } catch (cause) {
    throw new Error(`integration tests need the testbed, but ${testbedEnvFile()} does not exist: run tools/testbed/testbed up`, { cause });
  }
  try {
    execFileSync(join(repoRoot, 'tools/testbed/testbed'), ['status'], { stdio: 'pipe', encoding: 'utf8' });
  } catch (err) {
    const out = (err as { stdout?: string }).stdout ?? '';
    throw new Error(`testbed is not healthy: run tools/testbed/testbed up\n${out}`, { cause: err });
  }
}

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { requireTestbed } from '../env.ts';

const run = promisify(execFile);
const env = requireTestbed('TESTBED_POSTGRES_URL', 'TESTBED_POSTGRES_BIN');
const psql = `${env.TESTBED_POSTGRES_BIN}/psql`;

async function query(url: string, sql: string): Promise<string> {
  const { stdout } = await run(psql, ['--no-psqlrc', '--tuples-only', '--no-align', `--dbname=${url}`, '--command', sql], {
    env: { PATH: process.env.PATH!, PGCONNECT_TIMEOUT: '5' },
  });
  return stdout.trim();
}

describe('testbed PostgreSQL', () => {
  it("is Debian's PostgreSQL 15, on loopback only, with the tests' database", async () => {
    expect(await query(env.TESTBED_POSTGRES_URL!, 'SHOW server_version')).toMatch(/^15\.\d+/);
    expect(await query(env.TESTBED_POSTGRES_URL!, 'SHOW listen_addresses')).toBe('127.0.0.1');
    expect(await query(env.TESTBED_POSTGRES_URL!, 'SELECT current_database()')).toBe(new URL(env.TESTBED_POSTGRES_URL!).pathname.slice(1));
  });

  it('refuses a wrong password', async () => {
    const wrong = new URL(env.TESTBED_POSTGRES_URL!);
    wrong.password = 'not-the-password';
    await expect(query(wrong.toString(), 'SELECT 1')).rejects.toMatchObject({ stderr: expect.stringContaining('password authentication failed') });
  });
});

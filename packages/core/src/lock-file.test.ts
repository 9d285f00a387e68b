import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireLock, DIRECTORY_LOCK_FILE, isLockError, LockErrorCode, lockDirectory, readLockHolder, type LockHolder } from './lock-file.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'core-lock-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const holderFile = (holder: Partial<LockHolder>) =>
  `${JSON.stringify({ purpose: 'extract', pid: process.pid, hostname: hostname(), since: '2025-01-01T00:00:00.000Z', ...holder })}\n`;

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.fail('the lock was taken'),
    (error: unknown) => error,
  );
}

describe('lockDirectory / acquireLock', () => {
  it('writes who holds the lock, refuses a second holder at once, and is free again after release', async () => {
    const out = join(dir, 'plugins');
    const lock = await lockDirectory(out, { purpose: 'extract' });
    const written = JSON.parse(await readFile(join(out, DIRECTORY_LOCK_FILE), 'utf8')) as LockHolder;
    expect(written).toMatchObject({ purpose: 'extract', pid: process.pid, hostname: hostname() });

    const error = await rejection(lockDirectory(out, { purpose: 'extract' }));
    expect(isLockError(error, LockErrorCode.Held)).toBe(true);
    expect((error as Error).message).toContain(`another extract (pid ${process.pid}) is using ${out}`);
    expect((error as { category: string }).category).toBe('operational');

    await lock.release();
    expect(await readLockHolder(join(out, DIRECTORY_LOCK_FILE))).toBeUndefined();
    await (await lockDirectory(out, { purpose: 'extract' })).release();
  });

  it('waits for the holder with one notice, then takes the lock', async () => {
    const file = join(dir, 'store.lock');
    const first = await acquireLock(file, { purpose: 'publish' });
    setTimeout(() => void first.release(), 300);
    const notices: LockHolder[] = [];
    const began = Date.now();
    const second = await acquireLock(file, { purpose: 'publish', waitMs: 10_000, pollMs: 20, onWait: (holder) => notices.push(holder) });
    expect(Date.now() - began).toBeGreaterThanOrEqual(250);
    expect(notices).toEqual([first.holder]);
    await second.release();
  });

  it('gives up after waitMs with LOCK_HELD', async () => {
    const file = join(dir, 'store.lock');
    const first = await acquireLock(file, { purpose: 'publish', resource: 's3://corp/falco' });
    const error = await rejection(acquireLock(file, { purpose: 'publish', resource: 's3://corp/falco', waitMs: 150, pollMs: 20 }));
    expect((error as Error).message).toMatch(/^another publish \(pid \d+\) is using s3:\/\/corp\/falco since .* \(waited 0s\)$/);
    await first.release();
  });

  it('says so when the directory to lock is a file, or lies under one', async () => {
    await writeFile(join(dir, 'file'), 'x');
    for (const target of [join(dir, 'file'), join(dir, 'file', 'plugins')]) {
      const error = await rejection(lockDirectory(target, { purpose: 'extract' }));
      expect(isLockError(error) && error.code).toBe(LockErrorCode.Unwritable);
      expect((error as Error).message).toBe(
        `cannot use ${target} as a directory: it or a parent is a file (${target.endsWith('file') ? 'EEXIST' : 'ENOTDIR'})`,
      );
    }
  });

  it.runIf(existsSync('/proc/self'))('refuses, at once, a directory the filesystem will not create (under /proc)', async () => {
    const started = Date.now();
    const error = await rejection(lockDirectory('/proc/falco-airgap-not-here/plugins', { purpose: 'extract' }));
    expect(isLockError(error) && error.code).toBe(LockErrorCode.Unwritable);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('stops waiting when the signal aborts', async () => {
    const file = join(dir, 'held.lock');
    const first = await acquireLock(file, { purpose: 'install' });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('stop')), 100);
    const error = await rejection(acquireLock(file, { purpose: 'install', waitMs: 60_000, signal: controller.signal }));
    expect((error as Error).message).toBe('stop');
    await first.release();
  });

  it('takes over a lock whose process is gone', async () => {
    const gone = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
    const file = join(dir, DIRECTORY_LOCK_FILE);
    await writeFile(file, holderFile({ pid: Number(gone.stdout.trim()) }));
    const lock = await lockDirectory(dir, { purpose: 'extract' });
    expect(lock.holder.pid).toBe(process.pid);
    await lock.release();
  });

  it('takes over a lock whose pid now belongs to another process', async () => {
    const file = join(dir, DIRECTORY_LOCK_FILE);
    await writeFile(file, holderFile({ pid: process.ppid, processStart: '1' }));
    const lock = await lockDirectory(dir, { purpose: 'extract' });
    await lock.release();
  });

  it('takes over a lock naming this pid that this process does not hold (a restarted container)', async () => {
    const file = join(dir, DIRECTORY_LOCK_FILE);
    await writeFile(file, holderFile({ pid: process.pid, processStart: '1' }));
    await (await lockDirectory(dir, { purpose: 'install' })).release();
  });

  it('never takes over a lock of another host, and says how to clear it', async () => {
    const file = join(dir, DIRECTORY_LOCK_FILE);
    await writeFile(file, holderFile({ pid: 4242, hostname: 'builder-7' }));
    const error = await rejection(lockDirectory(dir, { purpose: 'extract' }));
    expect((error as Error).message).toContain(`another extract (pid 4242 on builder-7) is using ${dir}`);
    expect((error as { hint: string }).hint).toBe(`wait for it to finish and run again; if no such process runs on builder-7, delete ${file}`);
  });

  it('takes over a lock file left empty by a process that died while creating it', async () => {
    const file = join(dir, DIRECTORY_LOCK_FILE);
    await writeFile(file, '');
    const old = new Date(Date.now() - 60_000);
    await utimes(file, old, old);
    await (await lockDirectory(dir, { purpose: 'extract' })).release();
  });

  it('lets exactly one of several processes racing for it hold it at a time', async () => {
    const file = join(dir, 'race.lock');
    const journal = join(dir, 'journal');
    const script = `
      import { acquireLock } from ${JSON.stringify(join(import.meta.dirname, 'lock-file.ts'))};
      import { appendFileSync } from 'node:fs';
      const wait = Number(process.argv[1]);
      try {
        const lock = await acquireLock(${JSON.stringify(file)}, { purpose: 'extract', waitMs: wait, pollMs: 10 });
        appendFileSync(${JSON.stringify(journal)}, 'in ' + process.pid + '\\n');
        await new Promise((r) => setTimeout(r, 150));
        appendFileSync(${JSON.stringify(journal)}, 'out ' + process.pid + '\\n');
        await lock.release();
        console.log('held');
      } catch (error) {
        console.log(error.code);
      }`;
    const race = (wait: number) =>
      Promise.all(
        Array.from({ length: 6 }, () =>
          promisify(execFile)(process.execPath, ['--input-type=module', '-e', script, String(wait)]).then(({ stdout }) => stdout.trim()),
        ),
      );

    const failFast = await race(0);
    expect(failFast.filter((r) => r === 'held').length).toBeGreaterThanOrEqual(1);
    expect(failFast.every((r) => r === 'held' || r === 'LOCK_HELD')).toBe(true);

    await rm(journal, { force: true });
    const patient = await race(30_000);
    expect(patient).toEqual(Array(6).fill('held'));
    const lines = (await readFile(journal, 'utf8')).trim().split('\n');
    // Never two holders at once: every "in" is followed by the same process's "out".
    for (let i = 0; i < lines.length; i += 2) expect(lines[i + 1]).toBe(lines[i]!.replace('in', 'out'));
    expect(await readLockHolder(file)).toBeUndefined();
  }, 60_000);
});

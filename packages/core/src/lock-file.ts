import { makeDirectory } from './directories.ts';
import { open, readFile, rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { sleep } from './async.ts';
import { defineErrorCodes, FalcoAirgapError } from './errors.ts';

const lockErrors = defineErrorCodes({
  operational: {
    Held: 'LOCK_HELD',
    Unwritable: 'LOCK_UNWRITABLE',
  },
});
export const LockErrorCode = lockErrors.codes;
export type LockErrorCode = (typeof LockErrorCode)[keyof typeof LockErrorCode];

/** Who holds a lock, as written in its lock file. */
export interface LockHolder {
  /** What the holder is doing, named in messages: `extract`, `publish`, `install`. */
  purpose: string;
  pid: number;
  hostname: string;
  /** When the holder took the lock (ISO 8601). */
  since: string;
  /** The kernel's start time of the holder process where the system tells it (Linux): a reused pid is not taken for the holder. */
  processStart?: string | undefined;
}

/** A lock could not be taken: another process holds it, or the lock file cannot be written. */
export class LockError extends FalcoAirgapError {
  override name = 'LockError';
  declare readonly code: LockErrorCode;
  /** The process holding the lock, for `LOCK_HELD`. */
  readonly holder: LockHolder | undefined;

  constructor(code: LockErrorCode, message: string, options: { hint: string; holder?: LockHolder | undefined; cause?: unknown }) {
    super(message, { code, category: lockErrors.categoryOf(code), hint: options.hint, cause: options.cause });
    this.holder = options.holder;
  }
}

export function isLockError(error: unknown, code?: LockErrorCode): error is LockError {
  return error instanceof LockError && (code === undefined || error.code === code);
}

/** The file a directory lock keeps inside the directory it guards. */
export const DIRECTORY_LOCK_FILE = '.falco-airgap.lock';

export interface LockOptions {
  /** What this process is about to do, written for others to read: `extract`, `publish`, `install`. */
  purpose: string;
  /** What messages call the guarded thing (a directory, `s3://bucket/prefix`); the lock file by default. */
  resource?: string | undefined;
  /** How long to wait for another holder before giving up; 0 (the default) gives up at once. */
  waitMs?: number | undefined;
  /** How often a waiting process looks again. */
  pollMs?: number | undefined;
  /** Called once when the lock is found held and this process starts waiting. */
  onWait?: ((holder: LockHolder) => void) | undefined;
  signal?: AbortSignal | undefined;
}

/** A lock this process holds until `release()` (or `await using`). */
export interface HeldLock extends AsyncDisposable {
  readonly file: string;
  readonly holder: LockHolder;
  release(): Promise<void>;
}

// A lock file still empty after this long was left by a process that died between creating and writing it.
const UNWRITTEN_GRACE_MS = 5_000;
// A takeover marker older than this was left by a process that died while removing a stale lock.
const TAKEOVER_GRACE_MS = 10_000;
const DEFAULT_POLL_MS = 200;

// Lock files this process holds: a lock naming this pid that is not among them was left by an earlier process with the same pid.
const heldHere = new Set<string>();

/** Takes an advisory lock on a directory (creating it when missing): `DIR/.falco-airgap.lock`. */
export async function lockDirectory(dir: string, options: LockOptions): Promise<HeldLock> {
  await makeDirectory(dir).catch((cause: NodeJS.ErrnoException) => {
    throw unwritable(dir, cause);
  });
  return acquireLock(join(dir, DIRECTORY_LOCK_FILE), { resource: dir, ...options });
}

/**
 * Takes an advisory lock: creates `file` exclusively, holding this process's pid, host and start
 * time. A lock whose holder is gone (same host, no such process) is taken over; one held by a live
 * or unknown process is waited for up to `waitMs`, then refused with `LOCK_HELD`.
 */
export async function acquireLock(file: string, options: LockOptions): Promise<HeldLock> {
  const waitMs = options.waitMs ?? 0;
  const pollMs = options.pollMs ?? DEFAULT_POLL_MS;
  const resource = options.resource ?? file;
  const started = Date.now();
  const me: LockHolder = {
    purpose: options.purpose,
    pid: process.pid,
    hostname: hostname(),
    since: new Date().toISOString(),
    processStart: await processStartOf(process.pid),
  };
  await makeDirectory(dirname(file)).catch((cause: NodeJS.ErrnoException) => {
    throw unwritable(file, cause);
  });
  let waiting = false;
  for (;;) {
    options.signal?.throwIfAborted();
    if (await createExclusive(file, `${JSON.stringify(me)}\n`)) {
      heldHere.add(file);
      return heldLock(file, me);
    }
    const found = await readHolder(file);
    if (found === 'gone') continue;
    const elapsed = Date.now() - started;
    if (found === 'unwritten') {
      // Its creator may be writing it this instant: give it the grace period even when not waiting.
      if ((await ageMs(file)) > UNWRITTEN_GRACE_MS) await removeStale(file, undefined);
      else await sleep(Math.min(pollMs, 50), options.signal);
      continue;
    }
    if (await isAbandoned(file, found)) {
      await removeStale(file, found);
      continue;
    }
    if (elapsed >= waitMs) throw heldError(found, file, resource, waitMs);
    if (!waiting) {
      waiting = true;
      options.onWait?.(found);
    }
    await sleep(Math.min(pollMs, waitMs - elapsed), options.signal);
  }
}

/** Who holds the lock in `file` now, or undefined when nobody does. */
export async function readLockHolder(file: string): Promise<LockHolder | undefined> {
  const found = await readHolder(file);
  return typeof found === 'object' ? found : undefined;
}

/** The one-line description messages use: `another extract (pid 4242) is using plugins`. */
export function describeLockHolder(holder: LockHolder, resource: string): string {
  const elsewhere = holder.hostname === hostname() ? '' : ` on ${holder.hostname}`;
  return `another ${holder.purpose} (pid ${holder.pid}${elsewhere}) is using ${resource}`;
}

function heldLock(file: string, me: LockHolder): HeldLock {
  let released = false;
  const release = async () => {
    if (released) return;
    released = true;
    heldHere.delete(file);
    // Only our own lock is removed: a process that wrongly took it over keeps what it holds.
    const current = await readHolder(file);
    if (typeof current === 'object' && sameHolder(current, me)) await rm(file, { force: true });
  };
  return { file, holder: me, release, [Symbol.asyncDispose]: release };
}

async function createExclusive(file: string, content: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(file, 'wx', 0o644);
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw unwritable(file, cause as NodeJS.ErrnoException);
  }
  try {
    await handle.writeFile(content);
  } catch (cause) {
    await handle.close();
    await rm(file, { force: true });
    throw unwritable(file, cause as NodeJS.ErrnoException);
  }
  await handle.close();
  return true;
}

async function readHolder(file: string): Promise<LockHolder | 'gone' | 'unwritten'> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw unwritable(file, cause as NodeJS.ErrnoException);
  }
  try {
    const value = JSON.parse(text) as Partial<LockHolder>;
    if (
      Number.isSafeInteger(value.pid) &&
      value.pid! > 0 &&
      typeof value.hostname === 'string' &&
      typeof value.purpose === 'string' &&
      typeof value.since === 'string'
    ) {
      return { purpose: value.purpose, pid: value.pid!, hostname: value.hostname, since: value.since, processStart: value.processStart };
    }
  } catch {
    // Not JSON (yet): handled as a lock still being written.
  }
  return 'unwritten';
}

/** True when the holder is known to be gone: same host and no such process, or the pid now belongs to another process. */
async function isAbandoned(file: string, holder: LockHolder): Promise<boolean> {
  if (holder.hostname !== hostname()) return false;
  if (holder.pid === process.pid) {
    if (heldHere.has(file)) return false;
    return holder.processStart !== undefined && holder.processStart !== (await processStartOf(process.pid));
  }
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    // EPERM: the process exists under another user.
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return true;
  }
  if (holder.processStart === undefined) return false;
  const now = await processStartOf(holder.pid);
  return now !== undefined && now !== holder.processStart;
}

/** Removes a lock left by a holder that is gone; a marker file makes sure two processes never both take it over. */
async function removeStale(file: string, holder: LockHolder | undefined): Promise<void> {
  const marker = `${file}.takeover`;
  if (!(await createExclusive(marker, `${process.pid}\n`))) {
    if ((await ageMs(marker)) > TAKEOVER_GRACE_MS) await rm(marker, { force: true });
    else await sleep(20);
    return;
  }
  try {
    const current = await readHolder(file);
    const unchanged = holder === undefined ? current === 'unwritten' : typeof current === 'object' && sameHolder(current, holder);
    if (unchanged) await rm(file, { force: true });
  } finally {
    await rm(marker, { force: true });
  }
}

function sameHolder(a: LockHolder, b: LockHolder): boolean {
  return a.pid === b.pid && a.hostname === b.hostname && a.since === b.since && a.purpose === b.purpose;
}

async function ageMs(file: string): Promise<number> {
  const info = await stat(file).catch(() => undefined);
  return info ? Date.now() - info.mtimeMs : 0;
}

/** Field 22 of /proc/PID/stat: when the process started, in clock ticks since boot; undefined where there is no /proc. */
async function processStartOf(pid: number): Promise<string | undefined> {
  const text = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
  const fields = text?.slice(text.lastIndexOf(')') + 2).split(' ');
  return fields?.[19];
}

function heldError(holder: LockHolder, file: string, resource: string, waitedMs: number): LockError {
  const elsewhere = holder.hostname === hostname() ? '' : ` on ${holder.hostname}`;
  const waited = waitedMs > 0 ? ` (waited ${Math.round(waitedMs / 1000)}s)` : '';
  return new LockError(LockErrorCode.Held, `${describeLockHolder(holder, resource)} since ${holder.since}${waited}`, {
    holder,
    hint: `wait for it to finish and run again; if no such process runs${elsewhere}, delete ${file}`,
  });
}

function unwritable(path: string, cause: NodeJS.ErrnoException): LockError {
  // EEXIST and ENOTDIR: the path, or a directory on the way to it, is a file.
  if (cause.code === 'EEXIST' || cause.code === 'ENOTDIR') {
    return new LockError(LockErrorCode.Unwritable, `cannot use ${path} as a directory: it or a parent is a file (${cause.code})`, {
      hint: 'give a directory, or move the file away',
      cause,
    });
  }
  return new LockError(LockErrorCode.Unwritable, `cannot write the lock file in ${path}: ${cause.code ?? cause.message}`, {
    hint: 'check that the directory exists and is writable by this user',
    cause,
  });
}

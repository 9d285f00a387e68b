import { mkdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

/**
 * `mkdir -p`: creates `dir` and whichever of its parents are missing; a directory already there is
 * fine. Node's `mkdir(dir, { recursive: true })` never settles when the filesystem answers ENOENT for
 * a child of an existing directory (`/proc/x`, `/sys/x`), spinning a thread-pool thread; here that
 * ENOENT is thrown like any other error. `mode` applies to the directories created.
 */
export async function makeDirectory(dir: string, mode?: number): Promise<void> {
  const target = resolve(dir);
  const create = () => mkdir(target, mode === undefined ? undefined : { mode });
  try {
    await create();
    return;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return existingDirectory(target, error);
    const parent = dirname(target);
    if (code !== 'ENOENT' || parent === target) throw error;
    await makeDirectory(parent, mode);
  }
  // The parent exists now: a second refusal is the filesystem's answer, not a missing parent.
  await create().catch((error: NodeJS.ErrnoException) => (error.code === 'EEXIST' ? existingDirectory(target, error) : Promise.reject(error)));
}

async function existingDirectory(target: string, error: unknown): Promise<void> {
  if (!(await stat(target).catch(() => undefined))?.isDirectory()) throw error;
}

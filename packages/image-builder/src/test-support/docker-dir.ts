import { cp, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** A copy of the repository's docker/ directory that a test may change. */
export async function copyDockerDir(): Promise<string> {
  const dir = join(await mkdtemp(join(tmpdir(), 'image-builder-docker-')), 'docker');
  await cp(resolve(import.meta.dirname, '../../../../docker'), dir, { recursive: true });
  return dir;
}

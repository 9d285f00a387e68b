import { existsSync } from 'node:fs';
import { mkdtemp, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeDirectory } from './directories.ts';

describe('makeDirectory', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'make-directory-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('creates a directory and its missing parents, and accepts one already there', async () => {
    const dir = join(root, 'a', 'b', 'c');
    await makeDirectory(dir);
    expect((await stat(dir)).isDirectory()).toBe(true);
    await makeDirectory(dir);
    await makeDirectory(`${root}/a/./b/../b/c/`);
    expect((await stat(dir)).isDirectory()).toBe(true);
  });

  it('gives the directories it creates the mode asked for', async () => {
    const dir = join(root, 'keys', 'inner');
    await makeDirectory(dir, 0o700);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect((await stat(join(root, 'keys'))).mode & 0o777).toBe(0o700);
  });

  it('refuses a file, a path through a file and a dangling symlink with the error the filesystem gives', async () => {
    await writeFile(join(root, 'file'), 'x');
    await expect(makeDirectory(join(root, 'file'))).rejects.toMatchObject({ code: 'EEXIST' });
    await expect(makeDirectory(join(root, 'file', 'sub'))).rejects.toMatchObject({ code: 'ENOTDIR' });
    await symlink(join(root, 'nowhere'), join(root, 'dangling'));
    await expect(makeDirectory(join(root, 'dangling'))).rejects.toMatchObject({ code: 'EEXIST' });
  });

  it.runIf(existsSync('/proc/self'))('fails, and does not hang, where the filesystem refuses a child of an existing directory (/proc)', async () => {
    const started = Date.now();
    await expect(makeDirectory('/proc/falco-airgap-not-here/sub')).rejects.toMatchObject({ code: 'ENOENT' });
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

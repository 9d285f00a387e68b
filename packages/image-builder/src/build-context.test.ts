import { chmod, mkdir, mkdtemp, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extract } from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { collectBuildContext, CONTEXT_MTIME, type BuildContext } from './build-context.ts';
import { ImageBuilderErrorCode } from './errors.ts';

async function contextDir(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'build-context-'));
  for (const [path, text] of Object.entries(files)) {
    await mkdir(join(dir, path, '..'), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  return dir;
}

/** The tar's entries as `docker build` would unpack them. */
async function unpack(context: BuildContext): Promise<{ name: string; type: string; mode: number; uid: number; mtime: number; text: string }[]> {
  const entries: { name: string; type: string; mode: number; uid: number; mtime: number; text: string }[] = [];
  const tar = extract();
  const done = new Promise<void>((resolve, reject) => {
    tar.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c) => chunks.push(c as Buffer));
      stream.on('end', () => {
        entries.push({
          name: header.name,
          type: header.type!,
          mode: header.mode!,
          uid: header.uid!,
          mtime: header.mtime!.getTime(),
          text: Buffer.concat(chunks).toString(),
        });
        next();
      });
    });
    tar.on('finish', resolve);
    tar.on('error', reject);
  });
  context.pack().pipe(tar as unknown as NodeJS.WritableStream);
  await done;
  return entries;
}

describe('collectBuildContext', () => {
  it('packs a directory and added files as a sorted tar with fixed times, owners and modes', async () => {
    const dir = await contextDir({ Dockerfile: 'FROM scratch\n', 'b/run.sh': '#!/bin/sh\n', 'a.txt': 'a' });
    await chmod(join(dir, 'b/run.sh'), 0o700);
    await chmod(join(dir, 'a.txt'), 0o600);
    const context = await collectBuildContext({ directory: dir, files: [{ path: 'payload/libx.so', source: { bytes: Buffer.from('x') } }] });
    const entries = await unpack(context);
    expect(entries.map((e) => [e.name.replace(/\/$/, ''), e.type, e.mode.toString(8)])).toEqual([
      ['Dockerfile', 'file', '644'],
      ['a.txt', 'file', '644'],
      ['b', 'directory', '755'],
      ['b/run.sh', 'file', '755'],
      ['payload', 'directory', '755'],
      ['payload/libx.so', 'file', '644'],
    ]);
    expect(new Set(entries.map((e) => `${e.uid} ${e.mtime}`))).toEqual(new Set([`0 ${CONTEXT_MTIME.getTime()}`]));
    expect(entries.find((e) => e.name === 'payload/libx.so')?.text).toBe('x');
  });

  it('gives the same digest for the same files whatever their times, and another digest when a byte changes', async () => {
    const dir = await contextDir({ Dockerfile: 'FROM scratch\n', 'falco.yaml': 'a: 1\n' });
    const first = await (await collectBuildContext({ directory: dir })).digest();
    await utimes(join(dir, 'falco.yaml'), new Date(2001, 1, 1), new Date(2001, 1, 1));
    expect(await (await collectBuildContext({ directory: dir })).digest()).toBe(first);
    await writeFile(join(dir, 'falco.yaml'), 'a: 2\n');
    const changed = await (await collectBuildContext({ directory: dir })).digest();
    expect(changed).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(changed).not.toBe(first);
  });

  it("honours .dockerignore, and a Dockerfile's own ignore file before it, always sending the Dockerfile", async () => {
    const dir = await contextDir({
      Dockerfile: 'FROM scratch\n',
      'Dockerfile.other': 'FROM scratch\n',
      '.dockerignore': 'secret.txt\nnotes/\n',
      'Dockerfile.other.dockerignore': '*\n!keep.txt\n',
      'secret.txt': 's',
      'keep.txt': 'k',
      'notes/n.md': 'n',
    });
    const names = async (dockerfile: string) => (await collectBuildContext({ directory: dir, dockerfile })).entries.map((e) => e.path);
    expect(await names('Dockerfile')).toEqual(['.dockerignore', 'Dockerfile', 'Dockerfile.other', 'Dockerfile.other.dockerignore', 'keep.txt']);
    expect(await names('Dockerfile.other')).toEqual(['Dockerfile.other', 'keep.txt']);
  });

  it('refuses an added file that the directory already holds, and paths that leave the context', async () => {
    const dir = await contextDir({ Dockerfile: 'FROM scratch\n', 'files.sha256': 'x' });
    await expect(collectBuildContext({ directory: dir, files: [{ path: 'files.sha256', source: { bytes: Buffer.from('y') } }] })).rejects.toMatchObject({
      code: ImageBuilderErrorCode.ContextConflict,
    });
    await expect(collectBuildContext({ directory: dir, files: [{ path: '../x', source: { bytes: Buffer.from('y') } }] })).rejects.toMatchObject({
      code: ImageBuilderErrorCode.UnsafePath,
    });
    await expect(collectBuildContext({ directory: join(dir, 'missing') })).rejects.toMatchObject({
      code: ImageBuilderErrorCode.ContextMissing,
      category: 'input',
    });
  });

  it('fails the stream, not the tar, when a file changes size after it was listed', async () => {
    const dir = await contextDir({ Dockerfile: 'FROM scratch\n', 'big.bin': 'x'.repeat(10) });
    const context = await collectBuildContext({ directory: dir });
    await writeFile(join(dir, 'big.bin'), 'x'.repeat(5));
    await expect(context.digest()).rejects.toMatchObject({ code: ImageBuilderErrorCode.ContextRead });
  });
});

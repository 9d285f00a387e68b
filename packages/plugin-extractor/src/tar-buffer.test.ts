import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { createTarExtractor } from './archive.ts';
import { tarEntries, TarFormatError } from './tar-buffer.ts';

const work = mkdtempSync(join(tmpdir(), 'tar-buffer-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Seen {
  name: string;
  type: string;
  linkname: string | undefined;
  size: number;
  mode: number;
  sha: string;
}

function summary(entry: { name: string; type: string; linkname?: string | null | undefined; size?: number; mode?: number }, body: Buffer): Seen {
  return {
    name: entry.name,
    type: entry.type,
    linkname: entry.linkname ?? undefined,
    size: entry.size ?? 0,
    mode: entry.mode ?? 0,
    sha: body.toString('base64').slice(0, 40),
  };
}

/** What tar-stream, the streaming reader, makes of the same bytes. */
async function streamed(tar: Buffer): Promise<Seen[]> {
  const extractor = await createTarExtractor();
  const seen: Seen[] = [];
  const done = (async () => {
    for await (const entry of extractor) {
      const parts: Buffer[] = [];
      for await (const chunk of entry as AsyncIterable<Buffer>) parts.push(chunk);
      seen.push(summary({ ...entry.header, name: entry.header.name, type: entry.header.type ?? 'file' }, Buffer.concat(parts)));
    }
  })();
  Readable.from([tar]).pipe(extractor);
  await done;
  return seen;
}

function inMemory(tar: Buffer): Seen[] {
  return [...tarEntries(tar)].map((entry) => summary(entry, entry.body));
}

/** A directory tree with a long path, a long link target, an empty file and a file of odd size, archived by GNU tar. */
const archives = new Map<string, Buffer>();
function gnuTar(format: string): Buffer {
  let tar = archives.get(format);
  if (!tar) archives.set(format, (tar = archive(format)));
  return tar;
}

function archive(format: string): Buffer {
  const root = join(work, `tree-${format}`);
  const long = `${'deep-directory-name/'.repeat(6)}and-a-file-name-that-is-long-enough-to-need-an-extension.so`;
  mkdirSync(join(root, long, '..'), { recursive: true });
  writeFileSync(join(root, long), Buffer.alloc(1337, 7));
  writeFileSync(join(root, 'empty'), '');
  writeFileSync(join(root, 'libplugin.so'), Buffer.alloc(4096 * 3 + 5, 1));
  const short = format === 'ustar' || format === 'v7';
  const links = short ? [] : ['link-to-long'];
  if (links.length) execFileSync('ln', ['-s', long, join(root, 'link-to-long')]);
  const members = ['empty', 'libplugin.so', ...(short ? [] : ['deep-directory-name']), ...links];
  return execFileSync('tar', ['--format', format, '--sort=name', '-C', root, '-cf', '-', ...members], { maxBuffer: 64 * 1024 * 1024 });
}

describe('tarEntries', () => {
  it.each(['gnu', 'posix', 'ustar', 'v7'])('reads what GNU tar writes in %s format as the streaming reader does', async (format) => {
    if (format === 'v7') {
      // v7 has no magic: the streaming reader refuses it too.
      const tar = gnuTar(format);
      expect(() => inMemory(tar)).toThrow(TarFormatError);
      await expect(streamed(tar)).rejects.toThrow();
      return;
    }
    const tar = gnuTar(format);
    const ours = inMemory(tar);
    expect(ours).toEqual(await streamed(tar));
    expect(ours.map((e) => e.name)).toContain('libplugin.so');
    if (format !== 'ustar') expect(ours.some((e) => e.name.length > 100)).toBe(true);
  });

  it('hands out views of the archive, not copies', () => {
    const tar = gnuTar('posix');
    const entry = [...tarEntries(tar)].find((e) => e.name === 'libplugin.so')!;
    expect(entry.body.buffer).toBe(tar.buffer);
    expect(entry.body.equals(Buffer.alloc(4096 * 3 + 5, 1))).toBe(true);
  });

  it('refuses a damaged header, an entry cut short and a bad PAX record', () => {
    const tar = gnuTar('posix');
    const flipped = Buffer.from(tar);
    flipped[10] = flipped[10]! ^ 0xff;
    expect(() => inMemory(flipped)).toThrow(/wrong checksum/);
    const file = [...tarEntries(tar)].find((e) => e.name === 'libplugin.so')!;
    const cut = tar.subarray(0, file.body.byteOffset - tar.byteOffset + 100);
    expect(() => inMemory(cut)).toThrow(/runs past the end/);
    expect(() => inMemory(tar.subarray(0, 300))).toThrow(/cut short/);
    const pax = Buffer.from(tar);
    const at = pax.indexOf('path=');
    pax.write('X', at - 2);
    expect(() => inMemory(pax)).toThrow(TarFormatError);
  });

  it('ends at the first zero block and reads an empty archive as no entries', () => {
    expect(inMemory(Buffer.alloc(1024))).toEqual([]);
    expect(inMemory(Buffer.alloc(0))).toEqual([]);
  });
});

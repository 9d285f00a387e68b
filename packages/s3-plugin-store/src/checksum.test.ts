import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checksumMatches, compositeSha256, digestFile, hexToBase64, partDigestsOf, sha256Hex } from './checksum.ts';
import { fixtureBytes } from '@falco-airgap/test-support';

describe('digestFile', () => {
  it.each([
    [0, 'empty'],
    [100, 'smaller than a part'],
    [1024, 'exactly one part'],
    [1025, 'one byte into the second part'],
    [5 * 1024 + 7, 'several parts'],
  ])('hashes %i bytes (%s) as a whole and by parts in one pass', async (size) => {
    const dir = await mkdtemp(join(tmpdir(), 'digest-'));
    try {
      const bytes = fixtureBytes(`digest ${size}`, size);
      await writeFile(join(dir, 'f'), bytes);
      const digest = await digestFile(join(dir, 'f'), { partSize: 1024 });
      expect(digest.sha256).toBe(sha256Hex(bytes));
      expect(digest.size).toBe(size);
      expect(digest.composite).toBe(size > 1024 ? compositeSha256(partDigestsOf(bytes, 1024)) : undefined);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('checksumMatches', () => {
  const digest = { sha256: sha256Hex('abc'), size: 3, composite: 'Zm9v-2' };
  it('accepts the whole-object checksum in base64', () => expect(checksumMatches(hexToBase64(sha256Hex('abc')), digest)).toBe(true));
  it('accepts the matching composite checksum', () => expect(checksumMatches('Zm9v-2', digest)).toBe(true));
  it('refuses another composite, another checksum, or none', () => {
    expect(checksumMatches('Zm9v-3', digest)).toBe(false);
    expect(checksumMatches(hexToBase64(sha256Hex('abd')), digest)).toBe(false);
    expect(checksumMatches(undefined, digest)).toBe(false);
  });
});

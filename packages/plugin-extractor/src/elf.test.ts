import { compilePlugin, notAnElf } from '@falco-airgap/fixtures';
import { describe, expect, it } from 'vitest';
import { parseElf } from './elf.ts';
import { checkPluginFile, REQUIRED_PLUGIN_SYMBOLS } from './plugin-check.ts';

const builds = compilePlugin({ name: 'elftest', version: '1.2.3', apiVersion: '3.10.0' });
const amd64 = Buffer.from(builds.find((b) => b.platform === 'linux/amd64')!.library);
const arm64 = Buffer.from(builds.find((b) => b.platform === 'linux/arm64')!.library);

describe('ELF parsing', () => {
  it('reads machine and the exported dynamic symbols of both builds', () => {
    for (const [bytes, machine] of [
      [amd64, 'x86-64'],
      [arm64, 'aarch64'],
    ] as const) {
      const elf = parseElf(bytes, 'test');
      expect(elf.machineName).toBe(machine);
      for (const name of REQUIRED_PLUGIN_SYMBOLS) expect(elf.exportedSymbols.has(name)).toBe(true);
    }
  });

  it('finds the symbols the way the loader does, without section headers (a stripped file)', () => {
    const stripped = Buffer.from(amd64);
    stripped.writeBigUInt64LE(0n, 40); // e_shoff
    stripped.writeUInt16LE(0, 60); // e_shnum
    stripped.writeUInt16LE(0, 62); // e_shstrndx
    expect(checkPluginFile(stripped, 'linux/amd64', 'stripped')).toEqual({
      elfMachine: 'x86-64',
      apiVersion: { version: '3.10.0', source: 'elf-constant' },
    });
  });

  it('reads the constant plugin API version without running anything, on both architectures', () => {
    expect(checkPluginFile(amd64, 'linux/amd64', 'x').apiVersion).toEqual({ version: '3.10.0', source: 'elf-constant' });
    expect(checkPluginFile(arm64, 'linux/arm64', 'x').apiVersion).toEqual({ version: '3.10.0', source: 'elf-constant' });
  });

  it.each([
    ['a script', notAnElf('x'), 'EXTRACT_NOT_ELF'],
    ['an empty file', Buffer.alloc(0), 'EXTRACT_NOT_ELF'],
    ['a truncated header', amd64.subarray(0, 40), 'EXTRACT_ELF_MALFORMED'],
    ['a 32-bit object', Buffer.concat([amd64.subarray(0, 4), Buffer.from([1]), amd64.subarray(5)]), 'EXTRACT_ELF_MALFORMED'],
    ['a big-endian object', Buffer.concat([amd64.subarray(0, 5), Buffer.from([2]), amd64.subarray(6)]), 'EXTRACT_ELF_MALFORMED'],
    [
      'an executable instead of a shared object',
      (() => {
        const b = Buffer.from(amd64);
        b.writeUInt16LE(2, 16);
        return b;
      })(),
      'EXTRACT_ELF_MALFORMED',
    ],
    [
      'program headers beyond the end',
      (() => {
        const b = Buffer.from(amd64);
        b.writeBigUInt64LE(BigInt(b.length + 4096), 32);
        return b;
      })(),
      'EXTRACT_ELF_MALFORMED',
    ],
    [
      'no program headers',
      (() => {
        const b = Buffer.from(amd64);
        b.writeUInt16LE(0, 56);
        return b;
      })(),
      'EXTRACT_ELF_MALFORMED',
    ],
    ['the file cut in half', amd64.subarray(0, amd64.length >> 1), 'EXTRACT_ELF_MALFORMED'],
  ])('refuses %s with a stable code', (_, bytes, code) => {
    expect(() => checkPluginFile(bytes, 'linux/amd64', 'x')).toThrow(expect.objectContaining({ code }));
  });

  it('never reads outside the buffer on random corruption', () => {
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    for (let i = 0; i < 300; i++) {
      const bytes = Buffer.from(amd64);
      for (let j = 0; j < 20; j++)
        bytes[Math.floor(random() * 64) + (random() < 0.5 ? 0 : Math.floor(random() * bytes.length - 64))] = Math.floor(random() * 256);
      try {
        checkPluginFile(bytes, 'linux/amd64', 'fuzz');
      } catch (error) {
        expect((error as { code?: string }).code).toMatch(/^EXTRACT_/);
      }
    }
  });
});

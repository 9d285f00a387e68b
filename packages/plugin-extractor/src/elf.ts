import { ExtractError, ExtractErrorCode } from './errors.ts';

// A reader for just what the plugin check needs from an ELF file: header, program headers,
// and the dynamic symbol table. It reads the bytes and never loads or runs anything.

const EI_CLASS_64 = 2;
const EI_DATA_LSB = 1;
const ET_DYN = 3;
const SHT_DYNSYM = 11;
const PT_LOAD = 1;
const SHN_UNDEF = 0;
const STB_GLOBAL = 1;
const STB_WEAK = 2;
const STV_DEFAULT = 0;
const STV_PROTECTED = 3;

/** e_machine values Falco publishes plugins for, by name as the lock records them. */
export const ELF_MACHINES: Record<number, string> = { 62: 'x86-64', 183: 'aarch64' };

export interface ElfSegment {
  vaddr: bigint;
  offset: bigint;
  fileSize: bigint;
}

export interface ElfSymbol {
  name: string;
  value: bigint;
  size: bigint;
}

export interface ElfFile {
  /** e_machine as a number and, when known, its name. */
  machine: number;
  machineName: string | undefined;
  /** Symbols a dynamic loader can bind to: defined, global or weak, default or protected visibility. */
  exportedSymbols: Map<string, ElfSymbol>;
  loadSegments: ElfSegment[];
  bytes: Uint8Array;
}

/** Parses an ELF64 little-endian shared object; anything else is refused with a stable code. */
export function parseElf(bytes: Uint8Array, what: string): ElfFile {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 4 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) {
    throw new ExtractError(
      ExtractErrorCode.NotElf,
      `${what} is not an ELF file`,
      'the artifact does not contain a compiled plugin; check the source reference',
    );
  }
  const malformed = (detail: string) =>
    new ExtractError(
      ExtractErrorCode.ElfMalformed,
      `${what} is not a usable ELF shared object: ${detail}`,
      'the plugin file is damaged or not a Linux shared library; do not use it',
    );
  if (bytes.length < 64) throw malformed('the header is truncated');
  if (bytes[4] !== EI_CLASS_64) throw malformed('it is not a 64-bit (ELFCLASS64) object');
  if (bytes[5] !== EI_DATA_LSB) throw malformed('it is not little-endian');
  const type = view.getUint16(16, true);
  if (type !== ET_DYN) throw malformed(`e_type is ${type}, not a shared object (ET_DYN)`);
  const machine = view.getUint16(18, true);
  const phoff = view.getBigUint64(32, true);
  const shoff = view.getBigUint64(40, true);
  const phentsize = view.getUint16(54, true);
  const phnum = view.getUint16(56, true);
  const shentsize = view.getUint16(58, true);
  const shnum = view.getUint16(60, true);

  const at = (offset: bigint, length: number, detail: string): number => {
    if (offset < 0n || offset + BigInt(length) > BigInt(bytes.length)) throw malformed(`${detail} lies outside the file`);
    return Number(offset);
  };

  const loadSegments: ElfSegment[] = [];
  if (phnum > 0 && phentsize < 56) throw malformed('program header entries are too small');
  for (let i = 0; i < phnum; i++) {
    const base = at(phoff + BigInt(i * phentsize), 56, `program header ${i}`);
    if (view.getUint32(base, true) !== PT_LOAD) continue;
    const segment = { offset: view.getBigUint64(base + 8, true), vaddr: view.getBigUint64(base + 16, true), fileSize: view.getBigUint64(base + 32, true) };
    if (segment.offset + segment.fileSize > BigInt(bytes.length)) throw malformed(`load segment ${i} lies outside the file`);
    loadSegments.push(segment);
  }

  if (shnum === 0 || shoff === 0n) throw malformed('it has no section headers, so no dynamic symbol table can be found');
  if (shentsize < 64) throw malformed('section header entries are too small');
  const section = (index: number) => {
    const base = at(shoff + BigInt(index * shentsize), 64, `section header ${index}`);
    return {
      type: view.getUint32(base + 4, true),
      offset: view.getBigUint64(base + 24, true),
      size: view.getBigUint64(base + 32, true),
      link: view.getUint32(base + 40, true),
      entsize: view.getBigUint64(base + 56, true),
    };
  };

  const exportedSymbols = new Map<string, ElfSymbol>();
  let dynsymFound = false;
  for (let i = 0; i < shnum; i++) {
    const dynsym = section(i);
    if (dynsym.type !== SHT_DYNSYM) continue;
    dynsymFound = true;
    if (dynsym.link >= shnum) throw malformed('the dynamic symbol table links to a missing string table');
    const strtab = section(dynsym.link);
    const strStart = at(strtab.offset, Number(strtab.size), 'the dynamic string table');
    const strEnd = strStart + Number(strtab.size);
    const entsize = dynsym.entsize === 0n ? 24n : dynsym.entsize;
    if (entsize < 24n) throw malformed('dynamic symbol entries are too small');
    const symStart = at(dynsym.offset, Number(dynsym.size), 'the dynamic symbol table');
    const count = Number(dynsym.size / entsize);
    for (let s = 1; s < count; s++) {
      const base = symStart + s * Number(entsize);
      const nameOffset = view.getUint32(base, true);
      const info = view.getUint8(base + 4);
      const other = view.getUint8(base + 5);
      const shndx = view.getUint16(base + 6, true);
      const binding = info >> 4;
      const visibility = other & 3;
      if (shndx === SHN_UNDEF || (binding !== STB_GLOBAL && binding !== STB_WEAK) || (visibility !== STV_DEFAULT && visibility !== STV_PROTECTED)) continue;
      const nameStart = strStart + nameOffset;
      if (nameStart >= strEnd) throw malformed(`symbol ${s} has a name outside the string table`);
      const nameEnd = bytes.indexOf(0, nameStart);
      if (nameEnd === -1 || nameEnd >= strEnd) throw malformed(`symbol ${s} has an unterminated name`);
      const name = Buffer.from(bytes.buffer, bytes.byteOffset + nameStart, nameEnd - nameStart).toString('latin1');
      exportedSymbols.set(name, { name, value: view.getBigUint64(base + 8, true), size: view.getBigUint64(base + 16, true) });
    }
  }
  if (!dynsymFound) throw malformed('it has no dynamic symbol table (.dynsym)');
  return { machine, machineName: ELF_MACHINES[machine], exportedSymbols, loadSegments, bytes };
}

/** Bytes at a virtual address, as the loader would map them; undefined when no segment holds them. */
export function readAtAddress(elf: ElfFile, vaddr: bigint, length: number): Uint8Array | undefined {
  for (const segment of elf.loadSegments) {
    if (vaddr >= segment.vaddr && vaddr + BigInt(length) <= segment.vaddr + segment.fileSize) {
      const offset = Number(segment.offset + (vaddr - segment.vaddr));
      if (offset + length > elf.bytes.length) return undefined;
      return elf.bytes.subarray(offset, offset + length);
    }
  }
  return undefined;
}

/** A NUL-terminated string at a virtual address (at most `max` bytes), or undefined. */
export function readCString(elf: ElfFile, vaddr: bigint, max = 64): string | undefined {
  for (const segment of elf.loadSegments) {
    if (vaddr < segment.vaddr || vaddr >= segment.vaddr + segment.fileSize) continue;
    const start = Number(segment.offset + (vaddr - segment.vaddr));
    const limit = Math.min(elf.bytes.length, Number(segment.offset + segment.fileSize), start + max);
    const end = elf.bytes.subarray(start, limit).indexOf(0);
    return end === -1 ? undefined : Buffer.from(elf.bytes.subarray(start, start + end)).toString('latin1');
  }
  return undefined;
}

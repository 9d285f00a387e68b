import { ExtractError, ExtractErrorCode } from './errors.ts';

// A reader for just what the plugin check needs from an ELF file: header, program headers,
// and the dynamic symbol table found the way the dynamic loader finds it (PT_DYNAMIC, hash
// table), not through section headers, which a loader ignores and a file may lack or forge.
// It reads the bytes and never loads or runs anything.

const EI_CLASS_64 = 2;
const EI_DATA_LSB = 1;
const ET_DYN = 3;
const PT_LOAD = 1;
const PT_DYNAMIC = 2;
const DT_HASH = 4;
const DT_STRTAB = 5;
const DT_SYMTAB = 6;
const DT_STRSZ = 10;
const DT_SYMENT = 11;
const DT_GNU_HASH = 0x6ffffef5;
const SHN_UNDEF = 0;
const STB_GLOBAL = 1;
const STB_WEAK = 2;
const STB_GNU_UNIQUE = 10;
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
  /** Symbols a dynamic loader can bind to: defined, global/weak/unique, default or protected visibility. */
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
  const phentsize = view.getUint16(54, true);
  const phnum = view.getUint16(56, true);

  const at = (offset: bigint, length: number, detail: string): number => {
    if (offset < 0n || offset + BigInt(length) > BigInt(bytes.length)) throw malformed(`${detail} lies outside the file`);
    return Number(offset);
  };

  const loadSegments: ElfSegment[] = [];
  let dynamic: ElfSegment | undefined;
  if (phnum > 0 && phentsize < 56) throw malformed('program header entries are too small');
  for (let i = 0; i < phnum; i++) {
    const base = at(phoff + BigInt(i * phentsize), 56, `program header ${i}`);
    const type = view.getUint32(base, true);
    if (type !== PT_LOAD && type !== PT_DYNAMIC) continue;
    const segment = { offset: view.getBigUint64(base + 8, true), vaddr: view.getBigUint64(base + 16, true), fileSize: view.getBigUint64(base + 32, true) };
    if (segment.offset + segment.fileSize > BigInt(bytes.length)) throw malformed(`segment ${i} lies outside the file`);
    if (type === PT_LOAD) loadSegments.push(segment);
    else dynamic ??= segment;
  }

  if (dynamic === undefined) throw malformed('it has no dynamic segment (PT_DYNAMIC), so nothing can be loaded from it');
  const tags = new Map<number, bigint>();
  for (let offset = dynamic.offset; offset + 16n <= dynamic.offset + dynamic.fileSize; offset += 16n) {
    const base = at(offset, 16, 'the dynamic segment');
    const tag = view.getBigInt64(base, true);
    if (tag === 0n) break;
    // Keep the first of each tag, as the loader does; only small tags and the GNU hash matter here.
    if (tag <= 0x7fffffffn && !tags.has(Number(tag))) tags.set(Number(tag), view.getBigUint64(base + 8, true));
  }
  const fileOffset = (tag: number, what: string): number => {
    const vaddr = tags.get(tag);
    if (vaddr === undefined) throw malformed(`the dynamic segment has no ${what}`);
    const segment = loadSegments.find((seg) => vaddr >= seg.vaddr && vaddr < seg.vaddr + seg.fileSize);
    if (!segment) throw malformed(`the ${what} is not mapped by any load segment`);
    return Number(segment.offset + (vaddr - segment.vaddr));
  };
  const symStart = fileOffset(DT_SYMTAB, 'symbol table (DT_SYMTAB)');
  const strStart = fileOffset(DT_STRTAB, 'string table (DT_STRTAB)');
  const strEnd = strStart + Number(tags.get(DT_STRSZ) ?? 0n);
  if (strEnd > bytes.length || strEnd <= strStart) throw malformed('the dynamic string table lies outside the file');
  const entsize = Number(tags.get(DT_SYMENT) ?? 24n);
  if (entsize < 24) throw malformed('dynamic symbol entries are too small');
  const count = tags.has(DT_GNU_HASH)
    ? gnuHashSymbolCount(view, fileOffset(DT_GNU_HASH, 'GNU hash table'), at)
    : tags.has(DT_HASH)
      ? view.getUint32(at(BigInt(fileOffset(DT_HASH, 'hash table')), 8, 'the hash table') + 4, true)
      : undefined;
  if (count === undefined) throw malformed('the dynamic segment has no hash table, so a loader cannot look symbols up');

  const exportedSymbols = new Map<string, ElfSymbol>();
  for (let index = 1; index < count; index++) {
    const base = at(BigInt(symStart + index * entsize), 24, `dynamic symbol ${index}`);
    const nameOffset = view.getUint32(base, true);
    const info = view.getUint8(base + 4);
    const other = view.getUint8(base + 5);
    const shndx = view.getUint16(base + 6, true);
    const binding = info >> 4;
    const visibility = other & 3;
    if (
      shndx === SHN_UNDEF ||
      (binding !== STB_GLOBAL && binding !== STB_WEAK && binding !== STB_GNU_UNIQUE) ||
      (visibility !== STV_DEFAULT && visibility !== STV_PROTECTED)
    )
      continue;
    const nameStart = strStart + nameOffset;
    if (nameStart >= strEnd) throw malformed(`symbol ${index} has a name outside the string table`);
    const nameEnd = bytes.indexOf(0, nameStart);
    if (nameEnd === -1 || nameEnd >= strEnd) throw malformed(`symbol ${index} has an unterminated name`);
    const name = Buffer.from(bytes.buffer, bytes.byteOffset + nameStart, nameEnd - nameStart).toString('latin1');
    exportedSymbols.set(name, { name, value: view.getBigUint64(base + 8, true), size: view.getBigUint64(base + 16, true) });
  }
  return { machine, machineName: ELF_MACHINES[machine], exportedSymbols, loadSegments, bytes };
}

/** Symbols covered by a GNU hash table: the highest index any bucket or chain reaches, plus one. */
function gnuHashSymbolCount(view: DataView, offset: number, at: (offset: bigint, length: number, detail: string) => number): number {
  const header = at(BigInt(offset), 16, 'the GNU hash table');
  const buckets = view.getUint32(header, true);
  const symoffset = view.getUint32(header + 4, true);
  const bloomWords = view.getUint32(header + 8, true);
  const bucketStart = header + 16 + bloomWords * 8;
  at(BigInt(bucketStart), buckets * 4, 'the GNU hash buckets');
  let last = 0;
  for (let i = 0; i < buckets; i++) last = Math.max(last, view.getUint32(bucketStart + i * 4, true));
  if (last < symoffset) return symoffset;
  const chains = bucketStart + buckets * 4;
  // Walk the last bucket's chain to the entry with the low bit set: that ends it.
  for (let index = last; ; index++) {
    const value = view.getUint32(at(BigInt(chains + (index - symoffset) * 4), 4, 'the GNU hash chains'), true);
    if (value & 1) return index + 1;
  }
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

import { isSemver, type Platform } from '@falco-airgap/core';
import type { PluginApiVersionSource } from '@falco-airgap/manifest';
import { parseElf, readAtAddress, readCString, type ElfFile, type ElfSymbol } from './elf.ts';
import { ExtractError, ExtractErrorCode } from './errors.ts';

/** What Falco's plugin loader resolves in every plugin; one missing and Falco refuses to start. */
export const REQUIRED_PLUGIN_SYMBOLS = [
  'plugin_get_required_api_version',
  'plugin_get_version',
  'plugin_get_name',
  'plugin_get_description',
  'plugin_get_contact',
  'plugin_init',
  'plugin_destroy',
  'plugin_get_last_error',
] as const;

const MACHINE_FOR_PLATFORM: Record<Platform, { machine: number; name: string }> = {
  'linux/amd64': { machine: 62, name: 'x86-64' },
  'linux/arm64': { machine: 183, name: 'aarch64' },
};

/** How a plugin file states its required plugin API version, read from the bytes without running anything. */
export type LibraryApiVersionSource = Extract<PluginApiVersionSource, `elf-${string}`>;

export interface LibraryApiVersion {
  version: string;
  /** `elf-sdk-default` is an upper bound: a plugin-sdk-go plugin can ask for less than its SDK's default, never more. */
  source: LibraryApiVersionSource;
}

export interface PluginFileFacts {
  elfMachine: string;
  /** The plugin API version the library states, when it can be read statically; never a guess. */
  apiVersion: LibraryApiVersion | undefined;
}

/** Checks a plugin file for a platform: ELF64 shared object, the platform's machine, the loader's symbols. */
export function checkPluginFile(bytes: Uint8Array, platform: Platform, what: string): PluginFileFacts {
  const elf = parseElf(bytes, what);
  const expected = MACHINE_FOR_PLATFORM[platform];
  if (elf.machine !== expected.machine) {
    throw new ExtractError(
      ExtractErrorCode.ElfWrongMachine,
      `${what} is built for ${elf.machineName ?? `ELF machine ${elf.machine}`}, but it sits in the ${platform} slot (needs ${expected.name})`,
      'the artifact mixes up its platforms; do not use it, and report it to the publisher',
    );
  }
  const missing = REQUIRED_PLUGIN_SYMBOLS.filter((name) => !elf.exportedSymbols.has(name));
  if (missing.length) {
    throw new ExtractError(
      ExtractErrorCode.ElfMissingSymbols,
      `${what} does not export ${missing.join(', ')}, which Falco's plugin loader requires`,
      'this is not a loadable Falco plugin; check the source reference and the plugin version',
    );
  }
  return { elfMachine: expected.name, apiVersion: libraryApiVersion(elf) };
}

const ENTRY = 'plugin_get_required_api_version';

/** The required plugin API version as the library states it, tried from the most direct reading to the least. */
export function libraryApiVersion(elf: ElfFile): LibraryApiVersion | undefined {
  const constant = constantReturnedString(elf, ENTRY);
  if (constant !== undefined && isApiVersion(constant)) return { version: constant, source: 'elf-constant' };
  const sdkDefault = pluginSdkGoDefault(elf);
  if (sdkDefault !== undefined) return { version: sdkDefault, source: 'elf-sdk-default' };
  const literal = onlyApiVersionLiteral(elf, ENTRY);
  if (literal !== undefined) return { version: literal, source: 'elf-literal' };
  return undefined;
}

/**
 * plugin-sdk-go builds plugins as cgo c-shared libraries: the exported C function is cgo's trampoline,
 * which enters Go through crosscall2 and `_cgoexp_<pkg>_plugin_get_required_api_version`; the Go side
 * returns the value the plugin set, or else the SDK's C helper get_default_required_api_version(),
 * which returns a literal, and the SDK refuses a plugin value above that default. So when the library
 * has exactly that shape, the helper's literal is the most the plugin can require.
 */
export function pluginSdkGoDefault(elf: ElfFile): string | undefined {
  const entry = elf.exportedSymbols.get(ENTRY);
  const crosscall = elf.exportedSymbols.get('crosscall2');
  if (!entry || !crosscall) return undefined;
  const packages = [...elf.exportedSymbols.keys()]
    .map((name) => /^_cgoexp_([0-9a-f]+)_plugin_get_required_api_version$/.exec(name)?.[1])
    .filter((hash): hash is string => hash !== undefined);
  // The same Go package both exports the entry and calls the C helper: that is the SDK's info package.
  if (packages.length !== 1 || !elf.exportedSymbols.has(`_cgo_${packages[0]}_Cfunc_get_default_required_api_version`)) return undefined;
  if (!directCallTargets(elf, entry).has(crosscall.value)) return undefined;
  const version = constantReturnedString(elf, 'get_default_required_api_version');
  return version !== undefined && isApiVersion(version) ? version : undefined;
}

/**
 * The one plugin API version literal ("3.12.0") the function's code, or code it calls, refers to, as
 * plugin-sdk-cpp plugins do when they copy the SDK's default into a std::string; on x86-64 also one
 * the code writes as immediate stores, as g++ -O2 does for a short string. None, or two different
 * ones, yield undefined.
 */
export function onlyApiVersionLiteral(elf: ElfFile, symbol: string): string | undefined {
  const entry = elf.exportedSymbols.get(symbol);
  if (!entry) return undefined;
  const found = new Set<string>();
  // Unoptimised builds keep the SDK's helpers as separate functions: look two direct calls deep.
  for (const fn of calledFunctions(elf, entry, 2)) {
    const code = functionBytes(elf, fn);
    if (!code) continue;
    const addresses = elf.machine === 62 ? x86RipRelativeAddresses(code, fn.value) : elf.machine === 183 ? arm64PageAddresses(code, fn.value) : [];
    for (const address of addresses) {
      const value = readCString(elf, address, 16);
      if (value !== undefined && isApiVersion(value)) found.add(value);
    }
    if (elf.machine === 62) for (const value of x86ImmediateStrings(code, fn.value)) if (isApiVersion(value)) found.add(value);
  }
  return found.size === 1 ? [...found][0] : undefined;
}

const MAX_FUNCTIONS = 16;

/** The function and those it calls directly, breadth first, up to `depth` calls away; callees get a short window. */
function calledFunctions(elf: ElfFile, entry: ElfSymbol, depth: number): ElfSymbol[] {
  const seen = new Map<bigint, ElfSymbol>([[entry.value, entry]]);
  let frontier = [entry];
  for (let level = 0; level < depth && seen.size < MAX_FUNCTIONS; level++) {
    const next: ElfSymbol[] = [];
    for (const fn of frontier) {
      for (const target of directCallTargets(elf, fn)) {
        if (seen.has(target) || seen.size >= MAX_FUNCTIONS) continue;
        const callee = { name: '', value: target, size: 0n };
        seen.set(target, callee);
        next.push(callee);
      }
    }
    frontier = next;
  }
  return [...seen.values()];
}

/** An API version string as Falco's loader parses it: MAJOR.MINOR.PATCH, digits only. */
function isApiVersion(value: string): boolean {
  return /^\d{1,4}\.\d{1,4}\.\d{1,4}$/.test(value) && isSemver(value);
}

// Symbols of stripped libraries keep their sizes; a missing one still gets a short window to look at.
const MAX_FUNCTION_BYTES = 4096;
const DEFAULT_FUNCTION_BYTES = 256;

function functionBytes(elf: ElfFile, symbol: ElfSymbol): Uint8Array | undefined {
  const sized = symbol.size > 0n && symbol.size <= BigInt(MAX_FUNCTION_BYTES);
  for (let length = sized ? Number(symbol.size) : DEFAULT_FUNCTION_BYTES; length >= 16; length >>= 1) {
    const bytes = readAtAddress(elf, symbol.value, length);
    if (bytes) return sized ? bytes : bytes.subarray(0, firstReturnEnd(elf, bytes));
  }
  return undefined;
}

/** Where a function without a known size ends at the latest: after its first return, so a window never runs into the next one. */
function firstReturnEnd(elf: ElfFile, code: Uint8Array): number {
  if (elf.machine === 183) {
    const view = new DataView(code.buffer, code.byteOffset, code.byteLength);
    for (let i = 0; i + 4 <= code.length; i += 4) if (view.getUint32(i, true) === 0xd65f03c0) return i + 4;
    return code.length;
  }
  // A c3 byte can also sit inside an instruction; stopping early only loses a candidate, it never adds one.
  const ret = code.indexOf(0xc3);
  return ret === -1 ? code.length : ret + 1;
}

/** Addresses of direct calls in a function: x86-64 `call rel32`, AArch64 `bl`. */
function directCallTargets(elf: ElfFile, symbol: ElfSymbol): Set<bigint> {
  const code = functionBytes(elf, symbol);
  const targets = new Set<bigint>();
  if (!code) return targets;
  const view = new DataView(code.buffer, code.byteOffset, code.byteLength);
  if (elf.machine === 62) {
    for (let i = 0; i + 5 <= code.length; i++) {
      if (code[i] === 0xe8) targets.add(symbol.value + BigInt(i + 5) + BigInt(view.getInt32(i + 1, true)));
    }
  } else if (elf.machine === 183) {
    for (let i = 0; i + 4 <= code.length; i += 4) {
      const word = view.getUint32(i, true);
      if ((word & 0xfc000000) >>> 0 !== 0x94000000) continue;
      let imm = BigInt(word & 0x3ffffff);
      if (imm & (1n << 25n)) imm -= 1n << 26n;
      targets.add(symbol.value + BigInt(i) + imm * 4n);
    }
  }
  return targets;
}

// lea r64, [rip+disp32]: REX.W (48 or 4c), 8d, ModRM with mod 00 and r/m 101.
function x86RipRelativeAddresses(code: Uint8Array, vaddr: bigint): bigint[] {
  const view = new DataView(code.buffer, code.byteOffset, code.byteLength);
  const addresses: bigint[] = [];
  for (let i = 0; i + 7 <= code.length; i++) {
    if ((code[i] === 0x48 || code[i] === 0x4c) && code[i + 1] === 0x8d && (code[i + 2]! & 0xc7) === 0x05) {
      addresses.push(vaddr + BigInt(i + 7) + BigInt(view.getInt32(i + 3, true)));
    }
  }
  return addresses;
}

/**
 * Strings a function writes byte by byte into static memory: g++ -O2 builds a short std::string from a
 * literal as immediate stores into its inline buffer (mov $imm, disp(%rip), or through a register), so
 * the characters exist only inside the instructions. Collects those stores and reads NUL-terminated runs.
 */
function x86ImmediateStrings(code: Uint8Array, vaddr: bigint): string[] {
  const view = new DataView(code.buffer, code.byteOffset, code.byteLength);
  const memory = new Map<bigint, number>();
  const registers = new Map<number, bigint>();
  const store = (address: bigint, value: bigint, width: number) => {
    for (let b = 0; b < width; b++) memory.set(address + BigInt(b), Number((value >> BigInt(8 * b)) & 0xffn));
  };
  const ripRelative = (modrm: number | undefined) => modrm !== undefined && (modrm & 0xc7) === 0x05;
  for (let i = 0; i < code.length; i++) {
    const at = (n: number) => code[i + n];
    const disp = (n: number) => (i + n + 4 <= code.length ? BigInt(view.getInt32(i + n, true)) : undefined);
    const next = (length: number) => vaddr + BigInt(i + length);
    if (at(0)! >= 0xb8 && at(0)! <= 0xbf && i + 5 <= code.length) {
      registers.set(at(0)! - 0xb8, BigInt(view.getUint32(i + 1, true))); // mov $imm32, %r32
    } else if (at(0) === 0xc7 && ripRelative(at(1)) && i + 10 <= code.length) {
      store(next(10) + disp(2)!, BigInt(view.getUint32(i + 6, true)), 4); // movl $imm32, disp(%rip)
    } else if (at(0) === 0x66 && at(1) === 0xc7 && ripRelative(at(2)) && i + 9 <= code.length) {
      store(next(9) + disp(3)!, BigInt(view.getUint16(i + 7, true)), 2); // movw $imm16, disp(%rip)
    } else if (at(0) === 0xc6 && ripRelative(at(1)) && i + 7 <= code.length) {
      store(next(7) + disp(2)!, BigInt(at(6)!), 1); // movb $imm8, disp(%rip)
    } else if ((at(0) === 0x89 || at(0) === 0x88) && ripRelative(at(1)) && i + 6 <= code.length) {
      const value = registers.get((at(1)! >> 3) & 7);
      if (value !== undefined) store(next(6) + disp(2)!, value, at(0) === 0x89 ? 4 : 1); // mov %r32/%r8, disp(%rip)
    } else if (at(0) === 0x66 && at(1) === 0x89 && ripRelative(at(2)) && i + 7 <= code.length) {
      const value = registers.get((at(2)! >> 3) & 7);
      if (value !== undefined) store(next(7) + disp(3)!, value, 2); // mov %r16, disp(%rip)
    }
  }
  const strings: string[] = [];
  for (const [address, byte] of memory) {
    if (byte === 0 || memory.get(address - 1n) !== undefined) continue;
    let text = '';
    for (let a = address; text.length <= 16; a += 1n) {
      const c = memory.get(a);
      if (c === undefined) break;
      if (c === 0) {
        strings.push(text);
        break;
      }
      text += String.fromCharCode(c);
    }
  }
  return strings;
}

// adrp xN, page followed (anywhere later) by add xM, xN, #imm12: the address the pair computes.
function arm64PageAddresses(code: Uint8Array, vaddr: bigint): bigint[] {
  const view = new DataView(code.buffer, code.byteOffset, code.byteLength);
  const pages = new Map<number, bigint>();
  const addresses: bigint[] = [];
  for (let i = 0; i + 4 <= code.length; i += 4) {
    const word = view.getUint32(i, true);
    if ((word & 0x9f000000) >>> 0 === 0x90000000) {
      pages.set(word & 0x1f, adrpPage(word, vaddr + BigInt(i)));
    } else if ((word & 0xffc00000) >>> 0 === 0x91000000) {
      const page = pages.get((word >>> 5) & 0x1f);
      if (page !== undefined) addresses.push(page + BigInt((word >>> 10) & 0xfff));
    }
  }
  return addresses;
}

function adrpPage(adrp: number, pc: bigint): bigint {
  const immlo = BigInt((adrp >>> 29) & 0x3);
  const immhi = BigInt((adrp >>> 5) & 0x7ffff);
  let imm = (immhi << 2n) | immlo;
  if (imm & (1n << 20n)) imm -= 1n << 21n;
  return (pc & ~0xfffn) + (imm << 12n);
}

/**
 * The string a function returns when its body is "load the address of a literal, return" —
 * what compilers emit for `return "3.10.0";`. Anything else yields undefined, never a guess.
 */
export function constantReturnedString(elf: ElfFile, symbol: string): string | undefined {
  const entry = elf.exportedSymbols.get(symbol);
  if (!entry) return undefined;
  const code = readAtAddress(elf, entry.value, 16);
  if (!code) return undefined;
  const address = elf.machine === 62 ? x86LeaRet(code, entry.value) : elf.machine === 183 ? arm64AdrpAddRet(code, entry.value) : undefined;
  if (address === undefined) return undefined;
  const value = readCString(elf, address);
  return value !== undefined && isSemver(value) ? value : undefined;
}

// endbr64? ; lea rax,[rip+rel32] ; ret
function x86LeaRet(code: Uint8Array, vaddr: bigint): bigint | undefined {
  let i = 0;
  if (code[0] === 0xf3 && code[1] === 0x0f && code[2] === 0x1e && code[3] === 0xfa) i = 4;
  if (code[i] !== 0x48 || code[i + 1] !== 0x8d || code[i + 2] !== 0x05) return undefined;
  if (code[i + 7] !== 0xc3 && !(code[i + 7] === 0xf3 && code[i + 8] === 0xc3)) return undefined;
  const rel = Buffer.from(code.subarray(i + 3, i + 7)).readInt32LE(0);
  return vaddr + BigInt(i + 7) + BigInt(rel);
}

// bti c / paciasp? ; adrp x0, page ; add x0, x0, #lo12 ; ret
function arm64AdrpAddRet(code: Uint8Array, vaddr: bigint): bigint | undefined {
  const word = (n: number) => Buffer.from(code.subarray(n * 4, n * 4 + 4)).readUInt32LE(0);
  let i = 0;
  if (word(0) === 0xd503245f || word(0) === 0xd503233f) i = 1;
  const adrp = word(i);
  const add = word(i + 1);
  if ((adrp & 0x9f00001f) >>> 0 !== 0x90000000) return undefined;
  if ((add & 0xffc003ff) >>> 0 !== 0x91000000) return undefined;
  const ret = word(i + 2);
  if (ret !== 0xd65f03c0 && ret !== 0xd65f0bff) return undefined;
  return adrpPage(adrp, vaddr + BigInt(i * 4)) + BigInt((add >>> 10) & 0xfff);
}

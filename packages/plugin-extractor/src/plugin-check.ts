import { isSemver, type Platform } from '@falco-airgap/core';
import { parseElf, readAtAddress, readCString, type ElfFile } from './elf.ts';
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

export interface PluginFileFacts {
  elfMachine: string;
  /** What plugin_get_required_api_version returns, when it is a constant we can read statically. */
  requiredApiVersion: string | undefined;
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
  return { elfMachine: expected.name, requiredApiVersion: constantReturnedString(elf, 'plugin_get_required_api_version') };
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
  const immlo = BigInt((adrp >>> 29) & 0x3);
  const immhi = BigInt((adrp >>> 5) & 0x7ffff);
  let imm = (immhi << 2n) | immlo;
  if (imm & (1n << 20n)) imm -= 1n << 21n;
  const pc = vaddr + BigInt(i * 4);
  const page = (pc & ~0xfffn) + (imm << 12n);
  return page + BigInt((add >>> 10) & 0xfff);
}

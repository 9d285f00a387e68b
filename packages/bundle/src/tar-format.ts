// POSIX ustar headers with PAX records where ustar cannot say it: written the same way every
// time (no user names, ids 0, one mtime), and read strictly (checksums, octal fields, types).

export const BLOCK = 512;
/** Largest size an octal ustar size field holds (11 digits); bigger sizes go in a PAX record. */
const MAX_OCTAL_SIZE = 0o77777777777;

export type TarEntryType = 'file' | 'directory' | 'symlink' | 'hardlink' | 'pax' | 'global-pax' | 'other';

export interface TarHeaderFields {
  path: string;
  size: number;
  mode: number;
  /** Seconds since the epoch. */
  mtime: number;
}

export interface DecodedHeader {
  type: TarEntryType;
  /** The type flag as written, for messages. */
  flag: string;
  path: string;
  linkPath: string;
  size: number;
}

/** Header blocks for a regular file: a PAX header first when the path or size does not fit ustar. */
export function encodeFileHeader(fields: TarHeaderFields): Buffer {
  const pax: Record<string, string> = {};
  const split = splitUstarPath(fields.path);
  if (!split) pax.path = fields.path;
  if (fields.size > MAX_OCTAL_SIZE) pax.size = String(fields.size);
  const blocks: Buffer[] = [];
  if (Object.keys(pax).length) {
    const body = encodePaxRecords(pax);
    blocks.push(header({ name: 'PaxHeader', prefix: '', flag: 'x', size: body.length, mode: 0o644, mtime: fields.mtime }), padded(body));
  }
  const name = split ?? { name: asciiPrefix(fields.path, 100), prefix: '' };
  blocks.push(header({ ...name, flag: '0', size: Math.min(fields.size, MAX_OCTAL_SIZE), mode: fields.mode, mtime: fields.mtime }));
  return Buffer.concat(blocks);
}

/** Zero bytes that bring `size` to a whole number of blocks. */
export function paddingOf(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

/** The two zero blocks that end an archive. */
export function endOfArchive(): Buffer {
  return Buffer.alloc(2 * BLOCK);
}

/** Total archive bytes of a file entry: headers, content and padding. */
export function entryLength(fields: Pick<TarHeaderFields, 'path' | 'size'>): number {
  return encodeFileHeader({ ...fields, mode: 0, mtime: 0 }).length + fields.size + paddingOf(fields.size);
}

export function isZeroBlock(block: Uint8Array): boolean {
  for (const byte of block) if (byte !== 0) return false;
  return true;
}

/** Reads one header block; undefined when its checksum is wrong or a numeric field is not octal. */
export function decodeHeader(block: Uint8Array): DecodedHeader | undefined {
  const bytes = Buffer.from(block.buffer, block.byteOffset, BLOCK);
  const stored = parseOctal(bytes.subarray(148, 156));
  if (stored === undefined || stored !== checksum(bytes)) return undefined;
  const size = parseOctal(bytes.subarray(124, 136));
  if (size === undefined) return undefined;
  const flag = String.fromCharCode(bytes[156] ?? 0);
  const name = cString(bytes.subarray(0, 100));
  const ustar = bytes.subarray(257, 263).toString('latin1') === 'ustar\0';
  const prefix = ustar ? cString(bytes.subarray(345, 500)) : '';
  return {
    type: typeOf(flag),
    flag,
    path: prefix ? `${prefix}/${name}` : name,
    linkPath: cString(bytes.subarray(157, 257)),
    size,
  };
}

/** PAX extended header records (`LEN key=value\n`); undefined when malformed. */
export function decodePaxRecords(body: Uint8Array): Record<string, string> | undefined {
  const text = Buffer.from(body);
  const records: Record<string, string> = {};
  let at = 0;
  while (at < text.length) {
    if (text[at] === 0) break;
    const space = text.indexOf(0x20, at);
    if (space < 0) return undefined;
    const length = Number(text.subarray(at, space).toString('latin1'));
    if (!Number.isSafeInteger(length) || length <= space - at + 1 || at + length > text.length || text[at + length - 1] !== 0x0a) return undefined;
    const record = text.subarray(space + 1, at + length - 1).toString('utf8');
    const equals = record.indexOf('=');
    if (equals <= 0) return undefined;
    records[record.slice(0, equals)] = record.slice(equals + 1);
    at += length;
  }
  return records;
}

function encodePaxRecords(records: Record<string, string>): Buffer {
  const lines = Object.entries(records).map(([key, value]) => {
    const body = ` ${key}=${value}\n`;
    const bodyLength = Buffer.byteLength(body);
    // The length counts its own digits.
    let length = bodyLength + String(bodyLength).length;
    if (String(length).length !== String(bodyLength).length) length = bodyLength + String(length).length;
    return `${length}${body}`;
  });
  return Buffer.from(lines.join(''));
}

function header(fields: { name: string; prefix: string; flag: string; size: number; mode: number; mtime: number }): Buffer {
  const block = Buffer.alloc(BLOCK);
  block.write(fields.name, 0, 100, 'utf8');
  writeOctal(block, 100, 8, fields.mode);
  writeOctal(block, 108, 8, 0);
  writeOctal(block, 116, 8, 0);
  writeOctal(block, 124, 12, fields.size);
  writeOctal(block, 136, 12, fields.mtime);
  block.fill(0x20, 148, 156);
  block.write(fields.flag, 156, 1, 'latin1');
  block.write('ustar\0', 257, 6, 'latin1');
  block.write('00', 263, 2, 'latin1');
  block.write(fields.prefix, 345, 155, 'utf8');
  writeOctal(block, 148, 8, checksum(block));
  return block;
}

function checksum(block: Buffer): number {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i]!;
  return sum;
}

function writeOctal(block: Buffer, offset: number, length: number, value: number): void {
  block.write(`${value.toString(8).padStart(length - 1, '0')}\0`, offset, length, 'latin1');
}

function parseOctal(field: Buffer): number | undefined {
  const text = field
    .toString('latin1')
    .replace(/[\0 ]+$/, '')
    .replace(/^ +/, '');
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) return undefined;
  const value = parseInt(text, 8);
  return Number.isSafeInteger(value) ? value : undefined;
}

function cString(field: Buffer): string {
  const end = field.indexOf(0);
  return field.subarray(0, end < 0 ? field.length : end).toString('utf8');
}

function typeOf(flag: string): TarEntryType {
  switch (flag) {
    case '0':
    case '\0':
    case '7':
      return 'file';
    case '5':
      return 'directory';
    case '2':
      return 'symlink';
    case '1':
      return 'hardlink';
    case 'x':
      return 'pax';
    case 'g':
      return 'global-pax';
    default:
      return 'other';
  }
}

/** Splits a path into ustar's prefix (155) and name (100) at a slash, or undefined when it cannot. */
function splitUstarPath(path: string): { name: string; prefix: string } | undefined {
  if (!/^[\x20-\x7e]*$/.test(path)) return undefined;
  if (path.length <= 100) return { name: path, prefix: '' };
  for (let slash = path.indexOf('/'); slash >= 0; slash = path.indexOf('/', slash + 1)) {
    const prefix = path.slice(0, slash);
    const name = path.slice(slash + 1);
    if (prefix.length <= 155 && name.length <= 100 && name.length > 0) return { name, prefix };
  }
  return undefined;
}

function asciiPrefix(path: string, length: number): string {
  return path.replace(/[^\x20-\x7e]/g, '_').slice(0, length);
}

function padded(body: Buffer): Buffer {
  return Buffer.concat([body, Buffer.alloc(paddingOf(body.length))]);
}

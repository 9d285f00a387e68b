import { describe, expect, it } from 'vitest';
import { parseSize } from './archive-parts.ts';
import { BLOCK, decodeHeader, decodePaxRecords, encodeFileHeader, entryLength } from './tar-format.ts';

describe('tar headers', () => {
  it('writes ustar headers that read back, with a PAX path where ustar cannot hold it', () => {
    const short = encodeFileHeader({ path: 'oci/blobs/sha256/' + 'a'.repeat(64), size: 1234, mode: 0o644, mtime: 1767225600 });
    expect(short.length).toBe(BLOCK);
    expect(decodeHeader(short)).toEqual({ type: 'file', flag: '0', path: 'oci/blobs/sha256/' + 'a'.repeat(64), linkPath: '', size: 1234 });

    const split = `${'d'.repeat(120)}/${'f'.repeat(90)}`;
    expect(decodeHeader(encodeFileHeader({ path: split, size: 1, mode: 0o644, mtime: 0 }))?.path).toBe(split);

    const long = `${'x'.repeat(300)}/file`;
    const blocks = encodeFileHeader({ path: long, size: 9, mode: 0o755, mtime: 0 });
    expect(blocks.length).toBe(3 * BLOCK);
    const pax = decodeHeader(blocks.subarray(0, BLOCK))!;
    expect(pax.type).toBe('pax');
    expect(decodePaxRecords(blocks.subarray(BLOCK, BLOCK + pax.size))).toEqual({ path: long });
    expect(entryLength({ path: long, size: 9 })).toBe(4 * BLOCK);
  });

  it('puts sizes beyond 8 GiB in a PAX record', () => {
    const size = 9 * 1024 ** 3;
    const blocks = encodeFileHeader({ path: 'big', size, mode: 0o644, mtime: 0 });
    const pax = decodeHeader(blocks.subarray(0, BLOCK))!;
    expect(decodePaxRecords(blocks.subarray(BLOCK, BLOCK + pax.size))).toEqual({ size: String(size) });
  });

  it('refuses a header whose checksum does not match', () => {
    const header = encodeFileHeader({ path: 'bundle.json', size: 10, mode: 0o644, mtime: 0 });
    header[0] = 'c'.charCodeAt(0);
    expect(decodeHeader(header)).toBeUndefined();
  });
});

describe('parseSize', () => {
  it('reads binary and decimal units', () => {
    expect(parseSize('4GiB')).toBe(4 * 1024 ** 3);
    expect(parseSize('700MB')).toBe(700_000_000);
    expect(parseSize('1048576')).toBe(1048576);
    expect(parseSize('1.5 G')).toBe(1.5 * 1024 ** 3);
    expect(parseSize('0')).toBeUndefined();
    expect(parseSize('lots')).toBeUndefined();
  });
});

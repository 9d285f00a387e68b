import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** S3 carries checksums as base64; the lock and the layout use lowercase hex. */
export function hexToBase64(hex: string): string {
  return Buffer.from(hex, 'hex').toString('base64');
}

export function base64ToHex(base64: string): string {
  return Buffer.from(base64, 'base64').toString('hex');
}

/**
 * The value S3 reports for an object uploaded in parts with SHA-256 part checksums:
 * sha256 over the concatenated binary part digests, base64, then `-<parts>`.
 */
export function compositeSha256(partDigests: readonly Uint8Array[]): string {
  const hash = createHash('sha256');
  for (const digest of partDigests) hash.update(digest);
  return `${hash.digest('base64')}-${partDigests.length}`;
}

/** Digests of each `partSize` slice of a buffer, as a multipart upload would cut it. */
export function partDigestsOf(bytes: Uint8Array, partSize: number): Buffer[] {
  const digests: Buffer[] = [];
  for (let offset = 0; offset < bytes.length; offset += partSize) {
    digests.push(
      createHash('sha256')
        .update(bytes.subarray(offset, offset + partSize))
        .digest(),
    );
  }
  return digests;
}

export interface FileDigest {
  sha256: string;
  size: number;
  /** The composite checksum for `partSize` parts, when the file is larger than one part. */
  composite?: string | undefined;
}

/** Hashes a file in one pass: the whole-file sha256 and, for large files, the per-part digests. */
export async function digestFile(path: string, options: { partSize?: number; signal?: AbortSignal | undefined } = {}): Promise<FileDigest> {
  const whole = createHash('sha256');
  const partSize = options.partSize;
  const parts: Buffer[] = [];
  let part = partSize ? createHash('sha256') : undefined;
  let inPart = 0;
  let size = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20, signal: options.signal }) as AsyncIterable<Buffer>) {
    whole.update(chunk);
    size += chunk.length;
    if (!part || !partSize) continue;
    let offset = 0;
    while (offset < chunk.length) {
      const take = Math.min(partSize - inPart, chunk.length - offset);
      part.update(chunk.subarray(offset, offset + take));
      inPart += take;
      offset += take;
      if (inPart === partSize) {
        parts.push(part.digest());
        part = createHash('sha256');
        inPart = 0;
      }
    }
  }
  if (part && inPart > 0) parts.push(part.digest());
  const sha256 = whole.digest('hex');
  return { sha256, size, composite: parts.length > 1 ? compositeSha256(parts) : undefined };
}

/** Whether the checksum S3 reports for an object proves it holds exactly these bytes. */
export function checksumMatches(remote: string | undefined, local: FileDigest): boolean {
  if (!remote) return false;
  if (/-\d+$/.test(remote)) return remote === local.composite;
  return remote === hexToBase64(local.sha256);
}

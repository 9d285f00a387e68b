import { makeDirectory } from '@falco-airgap/core';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform, type Readable } from 'node:stream';
import { readArchive } from './archive.ts';
import { ArchiveGuard, ARTIFACT_POLICY, type ArchiveLimits } from './tar-safety.ts';

/** A regular file unpacked into a staging directory. */
export interface UnpackedFile {
  /** Relative path inside the archive, normalised. */
  path: string;
  stagedPath: string;
  size: number;
  sha256: string;
  /** The file's bytes, for the paths the caller asked to keep (so they need not be read back). */
  bytes?: Buffer | undefined;
}

/**
 * Unpacks an artifact layer (plain files and directories only), a file, a stream or bytes in memory, into an empty
 * staging directory, hashing each file as it is written. Links, devices, duplicates and bombs are
 * refused by the guard. `keep` names the files whose bytes are also handed back.
 */
export async function unpackArtifactLayer(
  layer: string | Readable | Buffer[],
  stagingDir: string,
  what: string,
  limits: ArchiveLimits,
  signal?: AbortSignal,
  keep: (path: string) => boolean = () => false,
): Promise<UnpackedFile[]> {
  const guard = new ArchiveGuard(what, limits, ARTIFACT_POLICY);
  const files: UnpackedFile[] = [];
  // Directories already there: most layers hold one file at their root, which needs no mkdir at all.
  const made = new Set<string>([stagingDir]);
  const ensure = async (dir: string) => {
    if (made.has(dir)) return;
    await makeDirectory(dir);
    made.add(dir);
  };
  await readArchive(
    layer,
    guard,
    async (entry) => {
      if (entry.path === '') return;
      const target = join(stagingDir, entry.path);
      if (entry.kind === 'directory') {
        await ensure(target);
        return;
      }
      await ensure(dirname(target));
      if (entry.bytes) {
        // In memory already: hashed while it is written in one piece, and kept without a copy.
        const writing = writeFile(target, entry.bytes, { flag: 'wx', mode: entry.mode & 0o755 });
        const sha256 = createHash('sha256').update(entry.bytes).digest('hex');
        await writing;
        files.push({ path: entry.path, stagedPath: target, size: entry.bytes.length, sha256, bytes: keep(entry.path) ? entry.bytes : undefined });
        return;
      }
      const hash = createHash('sha256');
      let size = 0;
      // One buffer of the size the header states (within the layer's limit), filled as the file streams past.
      const kept = keep(entry.path) && entry.size <= limits.maxBytes ? Buffer.allocUnsafe(entry.size) : undefined;
      const tap = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          hash.update(chunk);
          if (kept && size < kept.length) kept.set(chunk.subarray(0, kept.length - size), size);
          size += chunk.length;
          callback(null, chunk);
        },
      });
      // Keep the executable bit a shared object needs, drop setuid/setgid/sticky and group/other write.
      await pipeline(entry.body, tap, createWriteStream(target, { flags: 'wx', mode: entry.mode & 0o755 }));
      files.push({ path: entry.path, stagedPath: target, size, sha256: hash.digest('hex'), bytes: kept && size === kept.length ? kept : undefined });
    },
    signal,
  );
  return files;
}

import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { readArchive } from './archive.ts';
import { ArchiveGuard, ARTIFACT_POLICY, type ArchiveLimits } from './tar-safety.ts';

/** A regular file unpacked into a staging directory. */
export interface UnpackedFile {
  /** Relative path inside the archive, normalised. */
  path: string;
  stagedPath: string;
  size: number;
  sha256: string;
}

/**
 * Unpacks an artifact layer (plain files and directories only) into an empty staging directory,
 * hashing each file as it is written. Links, devices, duplicates and bombs are refused by the guard.
 */
export async function unpackArtifactLayer(
  layerFile: string,
  stagingDir: string,
  what: string,
  limits: ArchiveLimits,
  signal?: AbortSignal,
): Promise<UnpackedFile[]> {
  const guard = new ArchiveGuard(what, limits, ARTIFACT_POLICY);
  const files: UnpackedFile[] = [];
  // Directories already there: most layers hold one file at their root, which needs no mkdir at all.
  const made = new Set<string>([stagingDir]);
  const ensure = async (dir: string) => {
    if (made.has(dir)) return;
    await mkdir(dir, { recursive: true });
    made.add(dir);
  };
  await readArchive(
    layerFile,
    guard,
    async (entry) => {
      if (entry.path === '') return;
      const target = join(stagingDir, entry.path);
      if (entry.kind === 'directory') {
        await ensure(target);
        return;
      }
      await ensure(dirname(target));
      const hash = createHash('sha256');
      let size = 0;
      const tap = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          hash.update(chunk);
          size += chunk.length;
          callback(null, chunk);
        },
      });
      // Keep the executable bit a shared object needs, drop setuid/setgid/sticky and group/other write.
      await pipeline(entry.body, tap, createWriteStream(target, { flags: 'wx', mode: entry.mode & 0o755 }));
      files.push({ path: entry.path, stagedPath: target, size, sha256: hash.digest('hex') });
    },
    signal,
  );
  return files;
}

// Makes a Node single-executable application from a prepared entry: the SEA blob, a copy of the Node binary
// with its debug sections stripped, the blob injected, and the file put in place by rename so a running build
// never sees half of it. Shared by the CLI's and the loader's scripts/build-sea.ts.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';

// The fuse string Node looks for to know a blob was injected (documented in Node's SEA guide).
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

export interface SingleExecutable {
  /** The script Node runs first. */
  main: string;
  /** Files the entry reads with `sea.getAsset`, by name. */
  assets?: Record<string, string>;
  /** Node flags the executable starts with. */
  execArgv?: string[];
  /** The Node 24 binary to embed (another platform's for a cross build); this Node by default. */
  nodeBinary?: string | undefined;
  /** A private directory for the blob and the copy being written. */
  workDir: string;
  output: string;
}

/** Builds `output`; returns whether it is a cross build (another platform's Node, so it cannot be run here). */
export async function buildSingleExecutable(options: SingleExecutable): Promise<{ crossBuild: boolean; nodeBinary: string }> {
  const nodeBinary = resolve(options.nodeBinary ?? process.execPath);
  const nodeVersion = execFileSync(process.execPath, ['--version'], { encoding: 'utf8' }).trim();
  if (!/^v24\./.test(nodeVersion)) throw new Error(`the SEA blob must be made by Node 24, this is ${nodeVersion}`);

  const blob = join(options.workDir, 'prep.blob');
  const config = {
    main: options.main,
    ...(options.assets ? { assets: options.assets } : {}),
    output: blob,
    disableExperimentalSEAWarning: true,
    // The code cache would only cover the entry and a snapshot is not what these programs need; without them nothing can be rejected at run time.
    useCodeCache: false,
    useSnapshot: false,
    ...(options.execArgv ? { execArgv: options.execArgv } : {}),
  };
  writeFileSync(join(options.workDir, 'sea-config.json'), JSON.stringify(config, null, 2));
  execFileSync(process.execPath, ['--experimental-sea-config', join(options.workDir, 'sea-config.json')], { stdio: 'inherit' });

  const temporary = join(options.workDir, 'executable');
  copyFileSync(nodeBinary, temporary);
  // The official binary carries debug sections; dropping them halves the file and changes nothing at run time.
  try {
    execFileSync('strip', ['--strip-debug', temporary], { stdio: 'inherit' });
  } catch (error) {
    console.warn(`strip failed, keeping the debug sections: ${(error as Error).message}`);
  }
  const { inject } = createRequire(import.meta.url)('postject') as {
    inject: (file: string, name: string, data: Buffer, options: { sentinelFuse: string }) => Promise<void>;
  };
  await inject(temporary, 'NODE_SEA_BLOB', readFileSync(blob), { sentinelFuse: SEA_FUSE });
  // Copied next to the output, then renamed: whatever filesystem the work directory is on, the output appears whole.
  copyFileSync(temporary, `${options.output}.tmp`);
  chmodSync(`${options.output}.tmp`, 0o755);
  renameSync(`${options.output}.tmp`, options.output);
  return { crossBuild: nodeBinary !== resolve(process.execPath), nodeBinary };
}

/** Runs the built executable with --version: it must print the package's version (and, with `quiet`, nothing on stderr). */
export function checkVersion(executable: string, packageJson: string, { quiet = false }: { quiet?: boolean } = {}): void {
  const run = spawnSync(executable, ['--version'], { encoding: 'utf8' });
  if (run.error) throw run.error;
  const expected = (JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string }).version;
  if (run.stdout.trim() !== expected) throw new Error(`the built binary reports version "${run.stdout.trim()}", expected ${expected}:\n${run.stderr}`);
  if (quiet && run.stderr !== '') throw new Error(`the built binary writes to stderr on --version:\n${run.stderr}`);
}

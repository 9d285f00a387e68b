// Builds dist/falco-s3-loader: a Node single-executable application, so the Falco image needs no Node.
//   node scripts/build-sea.ts [--node PATH]
// --node (or FALCO_S3_LOADER_NODE_BINARY) takes another Node 24 binary, e.g. the linux-arm64 one for an
// arm64 image; by default the Node running this script is embedded. Run after tsup (npm run build).
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const appRoot = resolve(dirname(new URL(import.meta.url).pathname), '..');
const dist = join(appRoot, 'dist');
const work = join(dist, 'sea');
const bundle = join(dist, 'falco-s3-loader.cjs');
const bootstrap = join(dist, 'falco-s3-loader-sea.cjs');
const output = join(dist, 'falco-s3-loader');
// The fuse string Node looks for to know a blob was injected (documented in Node's SEA guide).
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

const { values } = parseArgs({ options: { node: { type: 'string' } } });
const nodeBinary = resolve(values.node ?? process.env.FALCO_S3_LOADER_NODE_BINARY ?? process.execPath);
const crossBuild = nodeBinary !== resolve(process.execPath);

for (const file of [bundle, bootstrap]) if (!existsSync(file)) throw new Error(`${file} is missing: run tsup first (npm run build -w @falco-airgap/s3-loader)`);
const nodeVersion = execFileSync(process.execPath, ['--version'], { encoding: 'utf8' }).trim();
if (!/^v24\./.test(nodeVersion)) throw new Error(`the SEA blob must be made by Node 24, this is ${nodeVersion}`);

rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
const blob = join(work, 'prep.blob');
const config = {
  // A small entry installs the signal handlers before the loader (an asset) is compiled.
  main: bootstrap,
  assets: { 'falco-s3-loader.cjs': bundle },
  output: blob,
  disableExperimentalSEAWarning: true,
  // The code cache would only cover the small entry; without it nothing can be rejected at run time.
  useCodeCache: false,
  useSnapshot: false,
  // The loader triggers young-generation collections while it downloads, to stay within its memory budget.
  execArgv: ['--expose-gc'],
};
writeFileSync(join(work, 'sea-config.json'), JSON.stringify(config, null, 2));
execFileSync(process.execPath, ['--experimental-sea-config', join(work, 'sea-config.json')], { stdio: 'inherit' });

const temporary = `${output}.tmp`;
copyFileSync(nodeBinary, temporary);
// The official binary carries debug sections; dropping them halves the image layer and changes nothing at run time.
try {
  execFileSync('strip', ['--strip-debug', temporary], { stdio: 'inherit' });
} catch (error) {
  console.warn(`strip failed, keeping the debug sections: ${(error as Error).message}`);
}
const { inject } = createRequire(import.meta.url)('postject') as {
  inject: (file: string, name: string, data: Buffer, options: { sentinelFuse: string }) => Promise<void>;
};
await inject(temporary, 'NODE_SEA_BLOB', readFileSync(blob), { sentinelFuse: SEA_FUSE });
// Last, as strip and postject write the file anew.
chmodSync(temporary, 0o755);
renameSync(temporary, output);
rmSync(work, { recursive: true, force: true });

if (!crossBuild) {
  const run = spawnSync(output, ['--version'], { encoding: 'utf8' });
  if (run.error) throw run.error;
  const expected = (JSON.parse(readFileSync(join(appRoot, 'package.json'), 'utf8')) as { version: string }).version;
  if (run.stdout.trim() !== expected) throw new Error(`the built binary reports version "${run.stdout.trim()}", expected ${expected}`);
  // The loader's stderr is its JSON-line log: a Node warning there (e.g. a rejected code cache) breaks it.
  if (run.stderr !== '') throw new Error(`the built binary writes to stderr on --version:\n${run.stderr}`);
}
// A file just written sits in the page cache in large folios, and a process that maps it then counts up to
// 16 MB more resident memory than one mapping it from an image layer: the build leaves it as an image layer would.
try {
  execFileSync('sync', [output]);
  execFileSync('dd', [`if=${output}`, 'iflag=nocache', 'count=0', 'status=none']);
} catch (error) {
  console.warn(`could not drop ${output} from the page cache (${(error as Error).message}); its first runs may use more memory`);
}
console.log(`built ${output} (embedding ${nodeBinary}${crossBuild ? ', cross build: not run' : ''})`);

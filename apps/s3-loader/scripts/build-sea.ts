// Builds dist/falco-s3-loader: a Node single-executable application, so the Falco image needs no Node.
//   node scripts/build-sea.ts [--node PATH]
// --node (or FALCO_S3_LOADER_NODE_BINARY) takes another Node 24 binary, e.g. the linux-arm64 one for an
// arm64 image; by default the Node running this script is embedded. Run after tsup (npm run build).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const appRoot = resolve(dirname(new URL(import.meta.url).pathname), '..');
const dist = join(appRoot, 'dist');
const work = join(dist, 'sea');
const bundle = join(dist, 'falco-s3-loader.cjs');
const bootstrap = join(dist, 'falco-s3-loader-sea.cjs');
const output = join(dist, 'falco-s3-loader');
// Loaded by path: tools/ sits outside this app's tsconfig rootDir.
const sea = (await import(join(appRoot, '../../tools/build/sea.ts'))) as {
  buildSingleExecutable(options: {
    main: string;
    assets: Record<string, string>;
    execArgv: string[];
    nodeBinary: string | undefined;
    workDir: string;
    output: string;
  }): Promise<{ crossBuild: boolean; nodeBinary: string }>;
  checkVersion(executable: string, packageJson: string, options: { quiet: boolean }): void;
};

const { values } = parseArgs({ options: { node: { type: 'string' } } });
const nodeBinary = values.node ?? process.env.FALCO_S3_LOADER_NODE_BINARY;

for (const file of [bundle, bootstrap]) if (!existsSync(file)) throw new Error(`${file} is missing: run tsup first (npm run build -w @falco-airgap/s3-loader)`);

rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
const { crossBuild, nodeBinary: embedded } = await sea.buildSingleExecutable({
  // A small entry installs the signal handlers before the loader (an asset) is compiled.
  main: bootstrap,
  assets: { 'falco-s3-loader.cjs': bundle },
  // The loader triggers young-generation collections while it downloads, to stay within its memory budget.
  execArgv: ['--expose-gc'],
  nodeBinary,
  workDir: work,
  output,
});
rmSync(work, { recursive: true, force: true });
// The loader's stderr is its JSON-line log: a Node warning there (e.g. a rejected code cache) breaks it.
if (!crossBuild) sea.checkVersion(output, join(appRoot, 'package.json'), { quiet: true });
// A file just written sits in the page cache in large folios, and a process that maps it then counts up to
// 16 MB more resident memory than one mapping it from an image layer: the build leaves it as an image layer would.
try {
  execFileSync('sync', [output]);
  execFileSync('dd', [`if=${output}`, 'iflag=nocache', 'count=0', 'status=none']);
} catch (error) {
  console.warn(`could not drop ${output} from the page cache (${(error as Error).message}); its first runs may use more memory`);
}
console.log(`built ${output} (embedding ${embedded}${crossBuild ? ', cross build: not run' : ''})`);

// Builds dist/falco-airgap: the CLI as a Node single-executable application, so the isolated side of an
// air gap runs it with no Node.js and no npm (bundle create carries it).
//   node scripts/build-sea.ts [--node PATH]
// --node takes another Node 24 binary (e.g. linux-arm64); by default the Node running this script is embedded.
import { build, type Plugin } from 'esbuild';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const appRoot = resolve(dirname(new URL(import.meta.url).pathname), '..');
const dist = join(appRoot, 'dist');
// Staged outside dist/, which a concurrent `npm run build` empties.
const work = mkdtempSync(join(tmpdir(), 'falco-airgap-sea-'));
const bundle = join(work, 'falco-airgap.cjs');
const output = join(dist, 'falco-airgap');
// The fuse string Node looks for to know a blob was injected (documented in Node's SEA guide).
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

const { values } = parseArgs({ options: { node: { type: 'string' } } });
const nodeBinary = resolve(values.node ?? process.execPath);
const crossBuild = nodeBinary !== resolve(process.execPath);
const nodeVersion = execFileSync(process.execPath, ['--version'], { encoding: 'utf8' }).trim();
if (!/^v24\./.test(nodeVersion)) throw new Error(`the SEA blob must be made by Node 24, this is ${nodeVersion}`);

// `createRequire(import.meta.url)(x)` is how our ESM sources load CommonJS at run time; in one CommonJS file it is `require(x)`, which esbuild then bundles.
const plainRequire: Plugin = {
  name: 'plain-require',
  setup(builder) {
    builder.onLoad({ filter: /\/(packages|apps)\/[^/]+\/src\/.*\.ts$/ }, (args) => ({
      contents: readFileSync(args.path, 'utf8').replaceAll('createRequire(import.meta.url)(', 'require('),
      loader: 'ts',
    }));
  },
};

mkdirSync(dist, { recursive: true });
await build({
  entryPoints: [join(appRoot, 'src/sea-main.ts')],
  outfile: bundle,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node24',
  conditions: ['@falco-airgap/source'],
  // Optional native add-ons of the Docker client's SSH transport: absent, it uses its JavaScript fallback.
  external: ['cpu-features', '*.node'],
  // Files found next to a module (import.meta.url) are looked up next to the executable.
  define: { 'import.meta.url': 'falcoAirgapExecutableUrl' },
  banner: { js: 'var falcoAirgapExecutableUrl = require("node:url").pathToFileURL(process.execPath).href;' },
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
  plugins: [plainRequire],
});

const blob = join(work, 'prep.blob');
const config = { main: bundle, output: blob, disableExperimentalSEAWarning: true, useCodeCache: false, useSnapshot: false };
writeFileSync(join(work, 'sea-config.json'), JSON.stringify(config, null, 2));
execFileSync(process.execPath, ['--experimental-sea-config', join(work, 'sea-config.json')], { stdio: 'inherit' });

const temporary = join(work, 'falco-airgap');
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
// Copied next to the output, then renamed: a running build never sees half a file, whatever filesystem the temp directory is on.
copyFileSync(temporary, `${output}.tmp`);
chmodSync(`${output}.tmp`, 0o755);
renameSync(`${output}.tmp`, output);
rmSync(work, { recursive: true, force: true });

if (!crossBuild) {
  const run = spawnSync(output, ['--version'], { encoding: 'utf8' });
  if (run.error) throw run.error;
  const expected = (JSON.parse(readFileSync(join(appRoot, 'package.json'), 'utf8')) as { version: string }).version;
  if (run.stdout.trim() !== expected) throw new Error(`the built binary reports version "${run.stdout.trim()}", expected ${expected}:\n${run.stderr}`);
}
console.log(`built ${output} (embedding ${nodeBinary}${crossBuild ? ', cross build: not run' : ''})`);

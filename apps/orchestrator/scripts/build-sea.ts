// Builds dist/falco-airgap: the CLI as a Node single-executable application, so the isolated side of an
// air gap runs it with no Node.js and no npm (bundle create carries it).
//   node scripts/build-sea.ts [--node PATH]
// --node takes another Node 24 binary (e.g. linux-arm64); by default the Node running this script is embedded.
import { build, type Plugin } from 'esbuild';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const appRoot = resolve(dirname(new URL(import.meta.url).pathname), '..');
const dist = join(appRoot, 'dist');
// Staged outside dist/, which a concurrent `npm run build` empties.
const work = mkdtempSync(join(tmpdir(), 'falco-airgap-sea-'));
const bundle = join(work, 'falco-airgap.cjs');
const output = join(dist, 'falco-airgap');
// Loaded by path: tools/ sits outside this app's tsconfig rootDir.
const sea = (await import(join(appRoot, '../../tools/build/sea.ts'))) as {
  buildSingleExecutable(options: {
    main: string;
    nodeBinary: string | undefined;
    workDir: string;
    output: string;
  }): Promise<{ crossBuild: boolean; nodeBinary: string }>;
  checkVersion(executable: string, packageJson: string): void;
};

const { values } = parseArgs({ options: { node: { type: 'string' } } });
const nodeBinary = values.node;

const { lazyChildProcessForCommander } = (await import(join(appRoot, '../../tools/build/lazy-child-process.ts'))) as { lazyChildProcessForCommander: Plugin };

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
  plugins: [lazyChildProcessForCommander, plainRequire],
});

const { crossBuild, nodeBinary: embedded } = await sea.buildSingleExecutable({ main: bundle, nodeBinary, workDir: work, output });
rmSync(work, { recursive: true, force: true });
if (!crossBuild) sea.checkVersion(output, join(appRoot, 'package.json'));
console.log(`built ${output} (embedding ${embedded}${crossBuild ? ', cross build: not run' : ''})`);

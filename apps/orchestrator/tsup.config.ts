import { defineConfig } from 'tsup';
import { lazyChildProcessForCommander } from '../../tools/build/lazy-child-process.ts';
import { packageConfig } from '../../tools/build/tsup-preset.ts';

export default [
  packageConfig({ entry: ['src/index.ts'], clean: false }),
  // The executable: the workspace libraries and commander inside, so --version reads one file; each command is a chunk loaded when it runs.
  defineConfig({
    entry: { bin: 'src/bin.ts' },
    format: ['esm'],
    target: 'node24',
    platform: 'node',
    noExternal: [/^@falco-airgap\//, 'commander', 'yaml'],
    splitting: true,
    sourcemap: true,
    clean: false,
    dts: false,
    // Bundled CommonJS (commander, ajv, the AWS SDK's helpers) requires node builtins; ESM has no `require` of its own.
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    // Builtins keep their node: prefix, so the plugin below sees commander's require of node:child_process.
    removeNodeProtocol: false,
    esbuildPlugins: [lazyChildProcessForCommander],
    esbuildOptions(options) {
      options.conditions = ['@falco-airgap/source'];
    },
  }),
];

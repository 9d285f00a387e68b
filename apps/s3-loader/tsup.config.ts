import { defineConfig } from 'tsup';
import { packageConfig } from '../../tools/build/tsup-preset.ts';

export default [
  packageConfig({ clean: false }),
  // The executable: one CommonJS file with every dependency inside, the input of the single-executable build.
  defineConfig({
    entry: { 'falco-s3-loader': 'src/bin.ts' },
    format: ['cjs'],
    outExtension: () => ({ js: '.cjs' }),
    target: 'node24',
    platform: 'node',
    noExternal: [/.*/],
    minify: true,
    sourcemap: false,
    clean: false,
    splitting: false,
    treeshake: true,
    dts: false,
    banner: { js: '#!/usr/bin/env node' },
    esbuildOptions(options) {
      options.conditions = ['@falco-airgap/source'];
      options.legalComments = 'none';
    },
  }),
  // The single executable's entry: installs the signal handlers, then runs the bundle above from an asset.
  defineConfig({
    entry: { 'falco-s3-loader-sea': 'src/sea-bootstrap.ts' },
    format: ['cjs'],
    // node:sea exists only under its node: name.
    removeNodeProtocol: false,
    outExtension: () => ({ js: '.cjs' }),
    target: 'node24',
    platform: 'node',
    minify: true,
    sourcemap: false,
    clean: false,
    splitting: false,
    dts: false,
  }),
];

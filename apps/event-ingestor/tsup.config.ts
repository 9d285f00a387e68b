import { defineConfig } from 'tsup';
import { packageConfig } from '../../tools/build/tsup-preset.ts';

export default [
  // The library entry: createIngestor and the event queries, for the event view and the bench.
  packageConfig({ clean: false }),
  // The executable; dependencies stay external, installed beside it.
  defineConfig({
    entry: { bin: 'src/bin.ts' },
    format: ['esm'],
    target: 'node24',
    platform: 'node',
    sourcemap: true,
    clean: false,
    dts: false,
    banner: { js: '#!/usr/bin/env node' },
  }),
  // The container image's program: one CommonJS file with every dependency inside, run by the image's Node.
  defineConfig({
    entry: { 'falco-event-ingestor': 'src/bin.ts' },
    outDir: 'dist/image',
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
    esbuildOptions(options) {
      options.conditions = ['@falco-airgap/source'];
      options.legalComments = 'none';
    },
  }),
];

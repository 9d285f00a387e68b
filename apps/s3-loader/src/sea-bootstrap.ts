// Entry of the single executable. Node gives a process no SIGTERM handler until its script runs,
// and compiling the whole loader takes tens of milliseconds: so this small script installs the
// handlers first, then compiles the loader from an asset of the executable and runs it.
import { createRequire } from 'node:module';
import { getAsset } from 'node:sea';
import { runInThisContext } from 'node:vm';
import { INTERRUPT, installInterruptHandlers } from './interrupt.ts';

(globalThis as Record<symbol, unknown>)[INTERRUPT] = installInterruptHandlers();
const source = getAsset('falco-s3-loader.cjs', 'utf8').replace(/^#!.*\n/, '');
const run = runInThisContext(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: 'falco-s3-loader.cjs' }) as (
  exports: object,
  require: NodeJS.Require,
  module: { exports: object },
  filename: string,
  dirname: string,
) => void;
const module = { exports: {} };
// The loader is bundled whole: it only requires Node's built-in modules.
run(module.exports, createRequire(process.execPath), module, process.execPath, '/');

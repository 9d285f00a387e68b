// Entry of the single executable. Node gives a process no SIGTERM handler until its script runs,
// and compiling the whole loader takes tens of milliseconds: so this small script installs the
// handlers first, then compiles the loader from an asset of the executable and runs it.
import { createRequire } from 'node:module';
import { getAsset } from 'node:sea';
import { compileFunction } from 'node:vm';
import { INTERRUPT, installInterruptHandlers } from './interrupt.ts';

(globalThis as Record<symbol, unknown>)[INTERRUPT] = installInterruptHandlers();
const source = getAsset('falco-s3-loader.cjs', 'utf8').replace(/^#!.*\n/, '');
// Compiled the way Node compiles a CommonJS module, so V8 compiles each function lazily, when first called.
const run = compileFunction(source, ['exports', 'require', 'module', '__filename', '__dirname'], { filename: 'falco-s3-loader.cjs' });
const module = { exports: {} };
// The loader is bundled whole: it only requires Node's built-in modules.
run(module.exports, createRequire(process.execPath), module, process.execPath, '/');

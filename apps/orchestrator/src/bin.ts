#!/usr/bin/env node
import * as nodeModule from 'node:module';

// Every start after the first reuses V8's compiled code of the bundle instead of parsing it again.
nodeModule.enableCompileCache?.();
const { processHooks, runCli } = await import('./program.ts');
const signal = processHooks();

process.exitCode = await runCli(process.argv.slice(2), {
  streams: { stdout: process.stdout, stderr: process.stderr },
  cwd: process.cwd(),
  env: process.env,
  signal,
});

#!/usr/bin/env node
import * as nodeModule from 'node:module';

// Every start after the first reuses V8's compiled code of the bundle instead of parsing it again.
nodeModule.enableCompileCache?.();
const { runCli } = await import('./program.ts');

const controller = new AbortController();
let interrupts = 0;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    // A second Ctrl-C stops at once; the first lets the running stage clean up its temp files.
    if (++interrupts > 1) process.exit(130);
    controller.abort(new Error(`received ${signal}`));
  });
}

process.exitCode = await runCli(process.argv.slice(2), {
  streams: { stdout: process.stdout, stderr: process.stderr },
  cwd: process.cwd(),
  env: process.env,
  signal: controller.signal,
});

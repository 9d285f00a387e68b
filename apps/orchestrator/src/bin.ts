#!/usr/bin/env node
import * as nodeModule from 'node:module';
import { processHooks } from './process-hooks.ts';

// Every start after the first reuses V8's compiled code of the bundle instead of parsing it again.
nodeModule.enableCompileCache?.();
const signal = processHooks();
const argv = process.argv.slice(2);

if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
  // Answered as the program would, without loading it: scripts ask for the version often.
  process.stdout.write(`${(await import('./version.ts')).version}\n`);
} else {
  const { runCli } = await import('./program.ts');
  process.exitCode = await runCli(argv, {
    streams: { stdout: process.stdout, stderr: process.stderr },
    cwd: process.cwd(),
    env: process.env,
    signal,
  });
}

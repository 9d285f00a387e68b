// Entry of the falco-airgap single executable (npm run build:sea): bin.ts without top-level await,
// which the single executable's CommonJS main script cannot have.
import { processHooks } from './process-hooks.ts';
import { runCli } from './program.ts';

const signal = processHooks();

void runCli(process.argv.slice(2), {
  streams: { stdout: process.stdout, stderr: process.stderr },
  cwd: process.cwd(),
  env: process.env,
  signal,
}).then((code) => {
  process.exitCode = code;
});

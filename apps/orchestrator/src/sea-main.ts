// Entry of the falco-airgap single executable (npm run build:sea): bin.ts without top-level await,
// which the single executable's CommonJS main script cannot have.
import { runCli } from './program.ts';

const controller = new AbortController();
let interrupts = 0;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    // A second Ctrl-C stops at once; the first lets the running stage clean up its temp files.
    if (++interrupts > 1) process.exit(130);
    controller.abort(new Error(`received ${signal}`));
  });
}

void runCli(process.argv.slice(2), {
  streams: { stdout: process.stdout, stderr: process.stderr },
  cwd: process.cwd(),
  env: process.env,
  signal: controller.signal,
}).then((code) => {
  process.exitCode = code;
});

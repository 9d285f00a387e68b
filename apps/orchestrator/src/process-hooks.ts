/**
 * What both entry points (bin.ts and the single executable's sea-main.ts) do to the process before a
 * command runs: Ctrl-C and SIGTERM abort the returned signal (a second one exits at once), and a
 * reader that went away (`falco-airgap --help | head -1`) ends the output, not the run.
 */
export function processHooks(): AbortSignal {
  const controller = new AbortController();
  let interrupts = 0;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      // A second Ctrl-C stops at once; the first lets the running stage clean up its temp files.
      if (++interrupts > 1) process.exit(130);
      controller.abort(new Error(`received ${signal}`));
    });
  }
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
    });
  }
  return controller.signal;
}

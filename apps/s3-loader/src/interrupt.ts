/** Where the single executable's entry leaves the controller it gave the signal handlers, for the loader to take. */
export const INTERRUPT = Symbol.for('falco-s3-loader.interrupt');

/**
 * SIGINT and SIGTERM abort the returned controller: the run removes its staging files and exits 130.
 * A second signal ends the process at once.
 */
export function installInterruptHandlers(): AbortController {
  const controller = new AbortController();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => (controller.signal.aborted ? process.exit(130) : controller.abort(new Error(`received ${signal}`))));
  }
  return controller;
}

import { INTERRUPT, installInterruptHandlers } from './interrupt.ts';

// The handlers come first, before the loader's code is evaluated (in the single executable, before it is even compiled).
const controller = ((globalThis as Record<symbol, unknown>)[INTERRUPT] as AbortController | undefined) ?? installInterruptHandlers();

// Loaded lazily so the handlers above are in place before anything else runs (the bundle is CommonJS: no top-level await).
void import('./main.ts')
  .then(({ main }) =>
    main({
      argv: process.argv.slice(2),
      env: process.env,
      arch: process.arch,
      stdout: (text) => process.stdout.write(text),
      stderr: (text) => process.stderr.write(text),
      signal: controller.signal,
    }),
  )
  .then((code) => process.exit(code));

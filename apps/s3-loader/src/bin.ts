import { main } from './main.ts';

const controller = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  // The first signal lets the run remove its staging files; a second one ends it at once.
  process.on(signal, () => (controller.signal.aborted ? process.exit(130) : controller.abort(new Error(`received ${signal}`))));
}

void main({
  argv: process.argv.slice(2),
  env: process.env,
  arch: process.arch,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  signal: controller.signal,
}).then((code) => process.exit(code));

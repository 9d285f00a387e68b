import { main } from './main.ts';

const controller = new AbortController();
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => controller.abort(new Error(`received ${signal}`)));
// No top-level await: the same entry is bundled as CommonJS for the container image.
void main({
  argv: process.argv.slice(2),
  env: process.env,
  stdout: process.stdout,
  stderr: (text) => process.stderr.write(text),
  signal: controller.signal,
}).then((code) => {
  process.exitCode = code;
});

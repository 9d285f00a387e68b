#!/usr/bin/env node
// The `falco-airgap` command. It exists before any build, so `npm install` always links it: in a
// workspace checkout that has not been built yet it runs the CLI from its TypeScript sources.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const built = new URL('../dist/bin.js', import.meta.url);
const source = new URL('../src/bin.ts', import.meta.url);

if (existsSync(built) || !existsSync(source)) {
  await import(built.href);
} else {
  const child = spawn(
    process.execPath,
    ['--conditions=@falco-airgap/source', '--disable-warning=ExperimentalWarning', fileURLToPath(source), ...process.argv.slice(2)],
    {
      stdio: 'inherit',
    },
  );
  // The child gets Ctrl-C from the terminal itself; forwarding keeps `kill <pid>` working too.
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => {
    process.exitCode = code ?? (signal === 'SIGINT' ? 130 : 1);
  });
}

import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const repoRoot = resolve(import.meta.dirname, '../../..');
const bin = join(repoRoot, 'apps/orchestrator/src/bin.ts');

// Records every module the process resolves, for the startup cost of --version and --help.
const recordModules = (file: string) =>
  `data:text/javascript,${encodeURIComponent(
    `import { registerHooks } from 'node:module'; import { writeFileSync } from 'node:fs';
     const seen = new Set();
     registerHooks({ resolve(specifier, context, next) { const result = next(specifier, context); seen.add(result.url); return result; } });
     process.on('exit', () => writeFileSync(${JSON.stringify(file)}, JSON.stringify([...seen])));`,
  )}`;

async function modulesLoadedBy(argv: string[]): Promise<string[]> {
  return (await runRecordingModules(argv)).modules;
}

async function runRecordingModules(argv: string[]): Promise<{ modules: string[]; stdout: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'cli-startup-'));
  try {
    const file = join(dir, 'modules.json');
    const { stdout } = await promisify(execFile)(process.execPath, ['--conditions=@falco-airgap/source', '--import', recordModules(file), bin, ...argv], {
      cwd: repoRoot,
    });
    return { modules: JSON.parse(await readFile(file, 'utf8')) as string[], stdout };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('falco-airgap startup', () => {
  it.each([[['--help']], [['extract', '--help']], [['publish', '--help']], [['build', '--help']]])(
    '%j loads no command implementation, SDK, engine client, schema validator or YAML parser',
    async (argv) => {
      const loaded = await modulesLoadedBy(argv);
      expect(loaded.some((url) => url.endsWith('/apps/orchestrator/src/program.ts'))).toBe(true);
      const heavy = loaded.filter((url) =>
        /\/apps\/orchestrator\/src\/(commands|stages)\/|\/node_modules\/(@aws-sdk|@smithy|dockerode|docker-modem|tar-stream|tar-fs|ajv|yaml)\/|\/packages\/(plugin-extractor|s3-plugin-store|oci|manifest|image-builder|container-engine|helm-values-schema)\//.test(
          url,
        ),
      );
      expect(heavy).toEqual([]);
    },
  );

  it.each([[['--version']], [['-V']]])('%j answers before the program and commander load, as the program would', async (argv) => {
    const { modules, stdout } = await runRecordingModules(argv);
    expect(modules.filter((url) => /\/apps\/orchestrator\/src\/program\.ts$|\/node_modules\/commander\//.test(url))).toEqual([]);
    const { version } = JSON.parse(await readFile(join(repoRoot, 'apps/orchestrator/package.json'), 'utf8')) as { version: string };
    expect(stdout).toBe(`${version}\n`);
    // With another flag the program answers: the same line.
    expect((await runRecordingModules(['--no-color', ...argv])).stdout).toBe(stdout);
  });

  it('reads a manifest in the usual style without loading a YAML library, and one with anchors with it, to the same result', async () => {
    const usual = await runRecordingModules(['manifest', 'validate', 'plugins/plugins-manifest.yaml']);
    expect(usual.modules.some((url) => url.endsWith('/packages/manifest/src/manifest.ts'))).toBe(true);
    expect(usual.modules.filter((url) => /\/node_modules\/yaml\//.test(url))).toEqual([]);
    const dir = await mkdtemp(join(tmpdir(), 'cli-startup-'));
    try {
      const anchored = join(dir, 'plugins-manifest.yaml');
      await writeFile(anchored, (await readFile(join(repoRoot, 'plugins/plugins-manifest.yaml'), 'utf8')).replace(/^falco:/m, 'falco: &falco'));
      const full = await runRecordingModules(['manifest', 'validate', anchored]);
      expect(full.modules.some((url) => /\/node_modules\/yaml\//.test(url))).toBe(true);
      const verdict = (stdout: string) => stdout.split(' is valid: ')[1];
      expect(verdict(usual.stdout)).toMatch(/plugins/);
      expect(verdict(full.stdout)).toBe(verdict(usual.stdout));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it.each([[['extract', '--help']], [['--version']]])('%j into a reader that already went away exits 0 without a stack trace', async (argv) => {
    const child = spawn(process.execPath, ['--conditions=@falco-airgap/source', bin, ...argv], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    // Like `| head -1` that has read its line: the first write finds the pipe closed (EPIPE).
    child.stdout.destroy();
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const code = await new Promise<number | null>((done) => child.on('close', done));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });
});

import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
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
  const dir = await mkdtemp(join(tmpdir(), 'cli-startup-'));
  try {
    const file = join(dir, 'modules.json');
    await promisify(execFile)(process.execPath, ['--conditions=@falco-airgap/source', '--import', recordModules(file), bin, ...argv], { cwd: repoRoot });
    return JSON.parse(await readFile(file, 'utf8')) as string[];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('falco-airgap startup', () => {
  it.each([[['--version']], [['--help']], [['extract', '--help']], [['publish', '--help']], [['build', '--help']]])(
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
});

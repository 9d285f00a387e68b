import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repoRoot = resolve(import.meta.dirname, '../../..');
// Inside the repository (so workspace packages resolve) and outside node_modules (so Node runs TypeScript there); git ignores it.
const workDir = join(repoRoot, '.readme-checks', `examples-${process.pid}`);
/** The line above a ```ts fence (blank lines aside) that says the example needs no service and is run, not only type-checked. */
export const RUNS_MARKER = '<!-- example: runs -->';

interface Example {
  readme: string;
  /** Line of the opening fence, 1-based. */
  line: number;
  code: string;
  runs: boolean;
  file: string;
}

/** Every ```ts block of the READMEs users read: the root one, and each package's and app's. */
function readmeExamples(): Example[] {
  const readmes = [
    'README.md',
    ...['packages', 'apps'].flatMap((parent) =>
      readdirSync(join(repoRoot, parent))
        .map((name) => `${parent}/${name}/README.md`)
        .filter((path) => existsSync(join(repoRoot, path))),
    ),
  ];
  const examples: Example[] = [];
  for (const readme of readmes) {
    const lines = readFileSync(join(repoRoot, readme), 'utf8').split('\n');
    for (let i = 0; i < lines.length; i++) {
      if (lines[i]!.trim() !== '```ts') continue;
      const end = lines.findIndex((line, j) => j > i && line.trim() === '```');
      const code = lines.slice(i + 1, end).join('\n');
      const file = `${readme.replaceAll('/', '_').replace(/\.md$/, '')}.L${i + 1}.ts`;
      const above = lines.slice(0, i).findLast((line) => line.trim() !== '');
      examples.push({ readme, line: i + 1, code, runs: above?.trim() === RUNS_MARKER, file });
      i = end;
    }
  }
  return examples;
}

const examples = readmeExamples();

beforeAll(async () => {
  await mkdir(workDir, { recursive: true });
  for (const example of examples) {
    // A block without imports is a script to tsc; the examples use top-level await, which needs a module.
    const moduleMarker = /^\s*(import|export)\s/m.test(example.code) ? '' : '\nexport {};\n';
    await writeFile(join(workDir, example.file), `${example.code}\n${moduleMarker}`);
  }
  const tsconfig = {
    extends: relative(workDir, join(repoRoot, 'tsconfig.base.json')),
    compilerOptions: { noEmit: true, rootDir: '.' },
    include: ['*.ts'],
  };
  await writeFile(join(workDir, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
});
afterAll(() => rm(workDir, { recursive: true, force: true }));

describe('README examples', () => {
  it('are found in the root README and in every package README', () => {
    expect(examples.some((e) => e.readme === 'README.md')).toBe(true);
    expect(examples.some((e) => e.readme === 'packages/plugin-extractor/README.md')).toBe(true);
    expect(examples.some((e) => e.runs)).toBe(true);
  });

  it('type-check against the packages as they are', async () => {
    const tsc = join(repoRoot, 'node_modules/.bin/tsc');
    const result = await promisify(execFile)(tsc, ['-p', join(workDir, 'tsconfig.json')], { cwd: workDir }).then(
      () => '',
      (error: { stdout?: string }) => error.stdout ?? String(error),
    );
    // tsc names the example file and its line; point at the README line instead.
    const problems = result
      .split('\n')
      .filter(Boolean)
      .map((line) =>
        line.replace(/^(\S+)\.L(\d+)\.ts\((\d+),(\d+)\)/, (_all, slug: string, fence: string, row: string, column: string) => {
          const example = examples.find((e) => e.file === `${slug}.L${fence}.ts`)!;
          return `${example.readme}:${Number(fence) + Number(row)}:${column}`;
        }),
      );
    expect(problems).toEqual([]);
  }, 300_000);

  it.each(examples.filter((e) => e.runs).map((e) => [`${e.readme}:${e.line}`, e] as const))(
    '%s runs',
    async (_where, example) => {
      const run = await promisify(execFile)(
        process.execPath,
        ['--conditions=@falco-airgap/source', '--disable-warning=ExperimentalWarning', join(workDir, example.file)],
        { cwd: repoRoot, timeout: 60_000 },
      ).then(
        () => ({ code: 0, stderr: '' }),
        (error: { code?: number; stderr?: string }) => ({ code: error.code, stderr: error.stderr }),
      );
      expect(run).toEqual({ code: 0, stderr: '' });
    },
    90_000,
  );
});

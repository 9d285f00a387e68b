import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { definedProgram } from './cli-docs.ts';
import { runInMemory } from './testing/run-in-memory.ts';

const run = promisify(execFile);
let dir: string;
const scripts: Record<string, string> = {};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cli-completion-'));
  for (const shell of ['bash', 'zsh', 'fish']) {
    const result = await runInMemory(['completion', shell]);
    expect(result.code).toBe(0);
    scripts[shell] = join(dir, `falco-airgap.${shell}`);
    await writeFile(scripts[shell], result.stdout);
  }
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** What each shell offers after the given words (the last one being completed), from the real shell with the generated script loaded. */
const complete = {
  async bash(words: string[]): Promise<string[]> {
    const script = `source ${scripts.bash}; COMP_WORDS=("$@"); COMP_CWORD=$((\${#COMP_WORDS[@]} - 1)); _falco_airgap; printf '%s\\n' "\${COMPREPLY[@]}"`;
    return lines((await run('bash', ['-c', script, 'bash', 'falco-airgap', ...words])).stdout);
  },
  async zsh(words: string[]): Promise<string[]> {
    // The completion system's functions replaced by ones that print what they were offered.
    const script = `
      compdef() { :; }
      _describe() { local name=$argv[-1]; local -a items; items=("\${(@P)name}"); print -rl -- "\${(@)items%%:*}"; }
      compadd() { [[ $1 == -a ]] && print -rl -- "\${(@P)2}"; }
      _files() { print -r -- '<files>'; }
      source ${scripts.zsh}
      words=(falco-airgap "$@"); CURRENT=\${#words}; PREFIX=\${words[-1]}
      _falco_airgap`;
    return lines((await run('zsh', ['-f', '-c', script, 'zsh', ...words])).stdout);
  },
  async fish(words: string[]): Promise<string[]> {
    const line = ['falco-airgap', ...words].join(' ');
    const { stdout } = await run('fish', ['--no-config', '-c', `source ${scripts.fish}; complete -C ${JSON.stringify(line)}`]);
    return lines(stdout).map((l) => l.split('\t')[0]!);
  },
};
const lines = (text: string) => text.split('\n').filter(Boolean).sort();

describe.each(['bash', 'zsh', 'fish'] as const)('falco-airgap completion %s', (shell) => {
  it('offers the commands, then the subcommands of a group', async () => {
    const commands = definedProgram().commands.map((c) => c.name());
    expect(commands).toEqual(expect.arrayContaining(['extract', 'publish', 'releases', 'version', 'completion']));
    expect(await complete[shell](['']).then((words) => words.filter((w) => !w.startsWith('-')))).toEqual(commands.sort());
    expect(await complete[shell](['releases', ''])).toEqual(expect.arrayContaining(['gc', 'list', 'policy', 'promote', 'rollback', 'show']));
  });

  it("offers a command's own flags and the global ones", async () => {
    const offered = await complete[shell](['extract', '--']);
    expect(offered).toEqual(expect.arrayContaining(['--via', '--lock-timeout', '--plain-http', '--json', '--output', '--quiet']));
    expect(offered).not.toContain('--bucket');
  });

  it('offers the choices of a flag and of an argument, wherever the global flags stand', async () => {
    expect(await complete[shell](['extract', '--via', ''])).toEqual(['direct', 'docker']);
    expect(await complete[shell](['-o', 'json', 'extract', '--out', 'x', '--via', ''])).toEqual(['direct', 'docker']);
    expect(await complete[shell](['--output', ''])).toEqual(['json', 'text']);
    expect(await complete[shell](['completion', ''])).toEqual(['bash', 'fish', 'zsh']);
  });
});

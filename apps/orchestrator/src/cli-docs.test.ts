import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { format, resolveConfig } from 'prettier';
import { describe, expect, it } from 'vitest';
import { CLI_DOCS_DIR, cliDocsPages, definedProgram } from './cli-docs.ts';
import { optionVariable } from './option-variables.ts';

const dir = resolve(import.meta.dirname, '../../..', CLI_DOCS_DIR);

describe('docs/cli', () => {
  const pages = cliDocsPages();

  it('has one page per command and nothing else', () => {
    expect(readdirSync(dir).sort()).toEqual([...pages.keys()].sort());
    expect([...pages.keys()]).toEqual(['README.md', ...definedProgram().commands.map((c) => `${c.name()}.md`)]);
  });

  it.each([...pages.keys()])('%s matches the command definitions (run npm run docs:cli after changing them)', async (file) => {
    const path = join(dir, file);
    const expected = await format(pages.get(file)!, { ...(await resolveConfig(path)), filepath: path });
    expect(readFileSync(path, 'utf8')).toBe(expected);
  });

  it('names the variable of every option of every command', () => {
    const text = [...pages.values()].join('\n');
    const visit = (command: ReturnType<typeof definedProgram>): void => {
      for (const option of command.options) if (option.long !== '--version') expect(text).toContain(`\`${optionVariable(option)}\``);
      command.commands.forEach(visit);
    };
    visit(definedProgram());
  });
});

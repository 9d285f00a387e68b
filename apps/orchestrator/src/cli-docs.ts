import { Command, type Argument, type Option } from 'commander';
import { defineCommands, OPTION_VARIABLES_HELP } from './command-definitions.ts';
import { ExitCode } from './exit-codes.ts';
import { optionVariable } from './option-variables.ts';

/** Where the command reference lives, relative to the repository root. */
export const CLI_DOCS_DIR = 'docs/cli';

const GENERATED = '<!-- Generated from apps/orchestrator/src/command-definitions.ts by `npm run docs:cli`: edit the definitions, not this file. -->';

/** The command definitions as the CLI builds them, without running anything. */
export function definedProgram(): Command {
  const program = new Command('falco-airgap');
  defineCommands(program, () => async () => undefined);
  return program;
}

/** One Markdown page per top-level command plus README.md (the index with the global options), unformatted. */
export function cliDocsPages(program: Command = definedProgram()): Map<string, string> {
  const pages = new Map<string, string>();
  pages.set('README.md', indexPage(program));
  for (const command of program.commands) pages.set(`${command.name()}.md`, commandPage(command));
  return pages;
}

function indexPage(program: Command): string {
  const rows = program.commands.map((c) => `| [\`${c.name()}\`](${c.name()}.md) | ${cell(c.description())} |`);
  const exitCodes: [number, string][] = [
    [ExitCode.Success, 'success, including "nothing to do"'],
    [ExitCode.OperationalFailure, 'operational failure: network, registry, Docker engine, S3, cluster, timeout, another run holding the lock'],
    [ExitCode.InvalidInput, 'invalid input: manifest, lock, values, flags, variables'],
    [ExitCode.VerificationFailure, 'verification failure: digest, sha256, ELF check, lock drift, tampered content'],
    [ExitCode.Interrupted, 'interrupted (Ctrl-C or SIGTERM)'],
  ];
  return [
    `# ${program.name()}`,
    GENERATED,
    program.description(),
    fenced(`${program.name()} [options] [command]`),
    '## Commands',
    ['| command | what it does |', '| --- | --- |', ...rows].join('\n'),
    '## Global options',
    'Accepted by every command, before or after its name.',
    optionsTable(program.options, true),
    '## Environment variables',
    OPTION_VARIABLES_HELP.replace('\n', ' '),
    'Each page lists the variable of every option. Other variables the CLI reads (`DOCKER_CONFIG`, `DOCKER_HOST`, the proxies, `KUBECONFIG`, the AWS ones, ' +
      '`FALCO_AIRGAP_HELM`) are in [apps/orchestrator/README.md](../../apps/orchestrator/README.md#environment-variables).',
    '## Exit codes',
    ['| code | meaning |', '| --- | --- |', ...exitCodes.map(([code, meaning]) => `| \`${code}\` | ${meaning} |`)].join('\n'),
  ].join('\n\n');
}

function commandPage(command: Command): string {
  const sections = [`# ${fullName(command)}`, GENERATED, command.description()];
  if (command.commands.length) {
    sections.push(
      ['| command | what it does |', '| --- | --- |', ...command.commands.map((c) => `| [\`${c.name()}\`](#${anchor(c)}) | ${cell(c.description())} |`)].join(
        '\n',
      ),
    );
    for (const sub of command.commands) sections.push(...leafSections(sub, '##'));
  } else {
    sections.push(...leafSections(command, '##', false));
  }
  sections.push(`Global options (\`--json\`, \`--output\`, \`--quiet\`, ...) apply too: see [the command reference](README.md#global-options).`);
  return sections.join('\n\n');
}

function leafSections(command: Command, level: string, heading = true): string[] {
  const sections = heading ? [`${level} ${fullName(command)}`, command.description()] : [];
  sections.push(fenced(`${fullName(command)} ${command.usage()}`));
  if (command.registeredArguments.length) sections.push(argumentsTable(command.registeredArguments));
  if (command.options.length) sections.push(optionsTable(command.options, false));
  return sections;
}

function argumentsTable(args: readonly Argument[]): string {
  const rows = args.map((a) => {
    const choices = a.argChoices ? ` (one of ${a.argChoices.map((c) => `\`${c}\``).join(', ')})` : '';
    const fallback = a.defaultValue === undefined ? (a.required ? 'required' : '') : `\`${String(a.defaultValue)}\``;
    return `| \`${a.name()}\` | ${fallback} | ${cell(a.description)}${choices} |`;
  });
  return ['| argument | default | description |', '| --- | --- | --- |', ...rows].join('\n');
}

function optionsTable(options: readonly Option[], global: boolean): string {
  const rows = options.map((o) => {
    const variable = optionVariable(o);
    const choices = o.argChoices ? ` (one of ${o.argChoices.map((c) => `\`${c}\``).join(', ')})` : '';
    return `| \`${cell(o.flags)}\` | ${variable ? `\`${variable}\`` : ''} | ${defaultOf(o)} | ${cell(o.description)}${choices} |`;
  });
  return [`| ${global ? 'global option' : 'option'} | variable | default | description |`, '| --- | --- | --- | --- |', ...rows].join('\n');
}

function defaultOf(option: Option): string {
  if (option.mandatory) return 'required';
  const value: unknown = option.defaultValue;
  if (value === undefined || value === false || option.negate || (Array.isArray(value) && value.length === 0)) return '';
  return `\`${Array.isArray(value) ? value.join(',') : String(value)}\``;
}

function fullName(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

// GitHub's heading anchors: lower case, spaces as dashes, punctuation dropped.
function anchor(command: Command): string {
  return fullName(command).toLowerCase().replaceAll(' ', '-');
}

const fenced = (text: string) => `\`\`\`sh\n${text}\n\`\`\``;
const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

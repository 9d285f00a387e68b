import type { Command, Option } from 'commander';

export type Shell = 'bash' | 'zsh' | 'fish';

interface OptionSpec {
  flags: string[];
  description: string;
  takesValue: boolean;
  choices: readonly string[] | undefined;
}

/** One command as completion sees it: the words that lead to it, what follows it, and its options. */
interface CommandSpec {
  /** The subcommand words after the program name, space-separated; '' for the program itself. */
  path: string;
  subcommands: { name: string; description: string }[];
  /** The choices of its first argument (completion <shell>), or undefined when it takes a file or nothing. */
  argumentChoices: readonly string[] | undefined;
  takesArgument: boolean;
  options: OptionSpec[];
}

const HELP: OptionSpec = { flags: ['-h', '--help'], description: 'display help for command', takesValue: false, choices: undefined };

/** A completion script for `shell`, generated from the command definitions so it always knows every command and flag. */
export function completionScript(shell: Shell, program: Command): string {
  const specs = commandSpecs(program);
  const globals = specs[0]!.options;
  const name = program.name();
  if (shell === 'bash') return bashScript(name, specs, globals);
  if (shell === 'zsh') return zshScript(name, specs, globals);
  return fishScript(name, specs, globals);
}

function commandSpecs(program: Command): CommandSpec[] {
  const specs: CommandSpec[] = [];
  const visit = (command: Command, path: string) => {
    const first = command.registeredArguments[0];
    specs.push({
      path,
      subcommands: command.commands.map((c) => ({ name: c.name(), description: c.description() })),
      argumentChoices: first?.argChoices,
      takesArgument: first !== undefined,
      options: [...command.options.map(optionSpec), HELP],
    });
    for (const sub of command.commands) visit(sub, path ? `${path} ${sub.name()}` : sub.name());
  };
  visit(program, '');
  return specs;
}

function optionSpec(option: Option): OptionSpec {
  return {
    flags: [option.short, option.long].filter((f): f is string => f !== undefined),
    description: option.description,
    takesValue: option.required || option.optional,
    choices: option.argChoices,
  };
}

const functionName = (name: string) => `_${name.replaceAll('-', '_')}`;
const singleQuoted = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`;

function bashScript(name: string, specs: CommandSpec[], globals: OptionSpec[]): string {
  const fn = functionName(name);
  const flagsOf = (options: OptionSpec[]) => options.flatMap((o) => o.flags).join(' ');
  const valuedOf = (options: OptionSpec[]) => flagsOf(options.filter((o) => o.takesValue));
  const spec = specs.map((s) => {
    const options = s.path === '' ? s.options : [...s.options, ...globals.filter((g) => g !== HELP)];
    return (
      `    ${singleQuoted(s.path)}) commands=${singleQuoted(s.subcommands.map((c) => c.name).join(' '))}; ` +
      `arguments=${singleQuoted((s.argumentChoices ?? []).join(' '))}; options=${singleQuoted(flagsOf(options))}; valued=${singleQuoted(valuedOf(options))} ;;`
    );
  });
  const choices = [
    ...globals.filter((o) => o.choices).map((o) => ({ pattern: o.flags.map((f) => `*'|${f}'`).join(' | '), choices: o.choices! })),
    ...specs.flatMap((s) =>
      s.path === ''
        ? []
        : s.options.filter((o) => o.choices).map((o) => ({ pattern: o.flags.map((f) => singleQuoted(`${s.path}|${f}`)).join(' | '), choices: o.choices! })),
    ),
  ].map((c) => `    ${c.pattern}) choices=${singleQuoted(c.choices.join(' '))} ;;`);
  return `# ${name} completion for bash. Load it with: source <(${name} completion bash)
${fn}_spec() {
  commands='' arguments='' options='' valued=''
  case "$1" in
${spec.join('\n')}
  esac
}

${fn}_choices() {
  choices=''
  case "$1|$2" in
${choices.join('\n')}
  esac
}

${fn}() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD - 1]}"
  local cmdpath='' word i skip=0 commands arguments options valued choices
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    if ((skip)); then skip=0; continue; fi
    ${fn}_spec "$cmdpath"
    if [[ "$word" == -* ]]; then
      [[ "$word" != *=* && " $valued " == *" $word "* ]] && skip=1
    elif [[ " $commands " == *" $word "* ]]; then
      cmdpath="\${cmdpath:+$cmdpath }$word"
    fi
  done
  ${fn}_spec "$cmdpath"
  COMPREPLY=()
  if ((skip)); then
    ${fn}_choices "$cmdpath" "$prev"
    [[ -n "$choices" ]] && mapfile -t COMPREPLY < <(compgen -W "$choices" -- "$cur")
  elif [[ "$cur" == -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$options" -- "$cur")
  elif [[ -n "$commands$arguments" ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$commands $arguments" -- "$cur")
  fi
  return 0
}

complete -o default -F ${fn} ${name}
`;
}

function zshScript(name: string, specs: CommandSpec[], globals: OptionSpec[]): string {
  const fn = functionName(name);
  // _describe reads "word:description"; a colon inside the word or description must be escaped.
  const item = (word: string, description: string) => singleQuoted(`${word.replaceAll(':', '\\:')}:${description.replaceAll(':', '\\:')}`);
  const array = (items: string[]) => `(${items.join(' ')})`;
  const spec = specs.map((s) => {
    const options = s.path === '' ? s.options : [...s.options, ...globals.filter((g) => g !== HELP)];
    return [
      `    ${singleQuoted(s.path)})`,
      `      fa_subs=${array(s.subcommands.map((c) => item(c.name, c.description)))}`,
      `      fa_args=${array((s.argumentChoices ?? []).map(singleQuoted))}`,
      `      fa_opts=${array(options.flatMap((o) => o.flags.map((f) => item(f, o.description))))}`,
      `      fa_valued=${array(options.filter((o) => o.takesValue).flatMap((o) => o.flags))}`,
      `      fa_files=${s.takesArgument && !s.argumentChoices ? 1 : 0} ;;`,
    ].join('\n');
  });
  const choices = [
    ...globals.filter((o) => o.choices).map((o) => ({ pattern: o.flags.map((f) => `*'|${f}'`).join(' | '), choices: o.choices! })),
    ...specs.flatMap((s) =>
      s.path === ''
        ? []
        : s.options.filter((o) => o.choices).map((o) => ({ pattern: o.flags.map((f) => singleQuoted(`${s.path}|${f}`)).join(' | '), choices: o.choices! })),
    ),
  ].map((c) => `    ${c.pattern}) fa_choices=${array(c.choices.map(singleQuoted))} ;;`);
  return `#compdef ${name}
# ${name} completion for zsh. Load it with: source <(${name} completion zsh)
${fn}_spec() {
  fa_subs=() fa_args=() fa_opts=() fa_valued=() fa_files=0
  case "$1" in
${spec.join('\n')}
  esac
}

${fn}_choices() {
  fa_choices=()
  case "$1|$2" in
${choices.join('\n')}
  esac
}

${fn}() {
  local cmdpath='' word i skip=0 fa_files
  local -a fa_subs fa_args fa_opts fa_valued fa_choices
  for ((i = 2; i < CURRENT; i++)); do
    word="\${words[i]}"
    if ((skip)); then skip=0; continue; fi
    ${fn}_spec "$cmdpath"
    if [[ "$word" == -* ]]; then
      [[ "$word" != *=* ]] && ((\${fa_valued[(Ie)$word]})) && skip=1
    elif ((\${fa_subs[(I)\${(b)word}:*]})); then
      cmdpath="\${cmdpath:+$cmdpath }$word"
    fi
  done
  ${fn}_spec "$cmdpath"
  if ((skip)); then
    ${fn}_choices "$cmdpath" "\${words[CURRENT - 1]}"
    if ((\${#fa_choices})); then compadd -a fa_choices; else _files; fi
  elif [[ "$PREFIX" == -* ]]; then
    _describe -t options option fa_opts
  else
    ((\${#fa_subs})) && _describe -t commands command fa_subs
    ((\${#fa_args})) && compadd -a fa_args
    ((fa_files)) && _files
  fi
  return 0
}

if [[ "\${funcstack[1]}" == ${fn} ]]; then
  ${fn} "$@"
else
  compdef ${fn} ${name}
fi
`;
}

function fishScript(name: string, specs: CommandSpec[], globals: OptionSpec[]): string {
  const fn = `__${name.replaceAll('-', '_')}`;
  const quoted = (text: string) => `'${text.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
  const cases = (lines: (s: CommandSpec) => string[]) =>
    specs
      .map(
        (s) =>
          `        case ${quoted(s.path)}\n${
            lines(s)
              .map((l) => `            ${l}`)
              .join('\n') || '            return'
          }`,
      )
      .join('\n');
  const flagArgs = (o: OptionSpec) => o.flags.map((f) => (f.startsWith('--') ? `-l ${f.slice(2)}` : `-s ${f.slice(1)}`)).join(' ');
  const valueArgs = (o: OptionSpec) => (!o.takesValue ? '' : o.choices ? ` -x -a ${quoted(o.choices.join(' '))}` : ' -r -F');
  const optionLine = (o: OptionSpec, condition: string) => `complete -c ${name}${condition} ${flagArgs(o)}${valueArgs(o)} -d ${quoted(o.description)}`;
  const lines: string[] = [];
  for (const s of specs) {
    const at = ` -n ${quoted(`${fn}_at ${quoted(s.path)}`)}`;
    for (const sub of s.subcommands) lines.push(`complete -c ${name}${at} -a ${sub.name} -d ${quoted(sub.description)}`);
    if (s.argumentChoices) lines.push(`complete -c ${name}${at} -a ${quoted(s.argumentChoices.join(' '))}`);
    else if (s.takesArgument) lines.push(`complete -c ${name}${at} -F`);
    if (s.path !== '') for (const o of s.options) if (o !== HELP) lines.push(optionLine(o, at));
  }
  for (const o of globals) lines.push(optionLine(o, ''));
  return `# ${name} completion for fish. Load it with: ${name} completion fish | source
function ${fn}_subcommands
    switch "$argv[1]"
${cases((s) => (s.subcommands.length ? [`string split -- ' ' ${quoted(s.subcommands.map((c) => c.name).join(' '))}`] : []))}
    end
end

function ${fn}_valued
    switch "$argv[1]"
${cases((s) => {
  const valued = (s.path === '' ? s.options : [...s.options, ...globals]).filter((o) => o.takesValue).flatMap((o) => o.flags);
  return valued.length ? [`string split -- ' ' ${quoted(valued.join(' '))}`] : [];
})}
    end
end

function ${fn}_path
    set -l tokens (commandline -opc)
    set -e tokens[1]
    set -l cmdpath ''
    set -l skip 0
    for word in $tokens
        if test $skip = 1
            set skip 0
            continue
        end
        if string match -q -- '-*' $word
            if not string match -q -- '*=*' $word; and contains -- $word (${fn}_valued $cmdpath)
                set skip 1
            end
        else if contains -- $word (${fn}_subcommands $cmdpath)
            set cmdpath (string trim -- "$cmdpath $word")
        end
    end
    echo $cmdpath
end

function ${fn}_at
    set -l current (${fn}_path)
    test "$current" = "$argv[1]"
end

complete -c ${name} -f
${lines.join('\n')}
`;
}

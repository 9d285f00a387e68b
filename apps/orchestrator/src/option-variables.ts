import type { Command, Option } from 'commander';
import type { EventEmitter } from 'node:events';
import { CliError, CliErrorCode } from './cli-error.ts';
import { OPTION_VARIABLE_PREFIX } from './environment.ts';

// Options whose variable predates the naming rule (FALCO_AIRGAP_S3_BUCKET for --bucket): the name users already set.
const ownVariables = new WeakMap<Option, string>();

/** Gives an option a variable of its own instead of the derived one, shown in --help as `(env: NAME)`. */
export function withVariable(option: Option, variable: string): Option {
  ownVariables.set(option, variable);
  option.description = `${option.description} (env: ${variable})`;
  return option;
}

/** The variable that sets an option: its own, else FALCO_AIRGAP_ and the long flag (--ca-file: FALCO_AIRGAP_CA_FILE); none for --help and --version. */
export function optionVariable(option: Option): string | undefined {
  if (!option.long || option.long === '--help' || option.long === '--version') return undefined;
  return ownVariables.get(option) ?? `${OPTION_VARIABLE_PREFIX}${option.long.slice(2).toUpperCase().replaceAll('-', '_')}`;
}

/** Whether an option collects every value it is given (--tag a --tag b); its variable takes them comma-separated. */
export function isListOption(option: Option): boolean {
  return Array.isArray(option.defaultValue);
}

/**
 * Lets every option be set from its variable: a value fills what the command line did not give, so flags win.
 * Variables are applied to each command as it is reached, so a bad value stops only a command that has the option.
 */
export function applyOptionVariables(program: Command, variables: Readonly<Record<string, string>>): void {
  applyTo(program, variables);
  const hook = (command: Command) => {
    if (command.commands.length) command.hook('preSubcommand', (_parent, sub) => applyTo(sub, variables));
    command.commands.forEach(hook);
  };
  hook(program);
}

function applyTo(command: Command, variables: Readonly<Record<string, string>>): void {
  for (const option of command.options) {
    const variable = optionVariable(option);
    const raw = variable === undefined ? undefined : variables[variable];
    if (raw === undefined) continue;
    const name = option.attributeName();
    command.setOptionValueWithSource(name, valueOf(option, variable!, raw), 'env');
    if (isListOption(option)) {
      // The first flag on the command line replaces the variable's list instead of adding to it.
      // Commander's commands are event emitters, though its types only declare on().
      (command as unknown as EventEmitter).prependListener(`option:${option.name()}`, () => {
        if (command.getOptionValueSource(name) === 'env') command.setOptionValueWithSource(name, [...(option.defaultValue as unknown[])], 'default');
      });
    }
  }
}

function valueOf(option: Option, variable: string, raw: string): unknown {
  if (!option.required && !option.optional) {
    const on = switchValue(variable, raw);
    return option.negate ? !on : on;
  }
  const values = isListOption(option)
    ? raw
        .split(',')
        .map((v) => v.trim())
        .filter(Boolean)
    : [raw];
  for (const value of values) {
    if (option.argChoices && !option.argChoices.includes(value)) {
      throw new CliError(`${variable}=${value} is not allowed`, CliErrorCode.Usage, 'input', `set ${variable} to one of ${option.argChoices.join(', ')}`);
    }
  }
  if (!isListOption(option)) return option.parseArg ? option.parseArg(raw, option.defaultValue) : raw;
  return values.reduce<unknown>(
    (previous, value) => (option.parseArg ? option.parseArg(value, previous) : [...(previous as unknown[]), value]),
    [...(option.defaultValue as unknown[])],
  );
}

function switchValue(variable: string, raw: string): boolean {
  const text = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(text)) return true;
  if (['0', 'false', 'no', 'off'].includes(text)) return false;
  throw new CliError(`${variable}=${raw} is neither true nor false`, CliErrorCode.Usage, 'input', `set ${variable} to true or false (1 or 0)`);
}

import { Command, CommanderError } from 'commander';
import { CliError, CliErrorCode } from './cli-error.ts';
import { defineCommands, type Action } from './command-definitions.ts';
import type { CommandContext, GlobalOptions } from './context.ts';
import { resolveEnvironment, type ResolvedEnvironment } from './environment.ts';
import { applyOptionVariables } from './option-variables.ts';
import { ExitCode, exitCodeFor } from './exit-codes.ts';
import { HumanReporter } from './output/human-reporter.ts';
import { JsonReporter } from './output/json-reporter.ts';
import type { OutputStreams, Reporter } from './output/reporter.ts';
import { createStyle } from './output/style.ts';

export interface CliEnvironment {
  streams: OutputStreams;
  cwd: string;
  /** Read here and nowhere else: commands and libraries get the values resolved from it. */
  env: NodeJS.ProcessEnv;
  signal: AbortSignal;
}

/** Runs the CLI once and returns the exit code: the composition root, and the one place errors become exit codes. */
export async function runCli(argv: readonly string[], environment: CliEnvironment): Promise<number> {
  const resolved = resolveEnvironment(environment.env);
  let outcome: { name: string; reporter: Reporter; ctx?: CommandContext } | undefined;
  let exitCode: number = ExitCode.Success;
  const usageErrors: string[] = [];

  const execute =
    (name: string, action: Action) =>
    async (...args: unknown[]) => {
      const command = args[args.length - 1] as Command;
      const globals = readGlobals(command, resolved);
      const reporter = createReporter(globals, environment, resolved);
      outcome = { name, reporter };
      // A file named by --config is checked before any command touches anything.
      const readConfig = async () => (await import('./config/environment-config.ts')).readConfig(globals.config, environment.cwd);
      if (globals.config !== undefined) await readConfig();
      const { ConfiguredCredentials } = await import('./config/configured-credentials.ts');
      const ctx: CommandContext = {
        reporter,
        cwd: environment.cwd,
        signal: environment.signal,
        globals,
        environment: resolved,
        credentials: new ConfiguredCredentials({
          readConfig,
          variable: resolved.variable,
          warn: (warning) => reporter.event({ type: 'diagnostic', severity: 'warning', ...warning }),
        }),
        stdoutIsTTY: Boolean(environment.streams.stdout.isTTY),
      };
      outcome.ctx = ctx;
      const result = await action(ctx, command);
      if (result.output !== undefined && !globals.json) environment.streams.stdout.write(result.output);
      if (result.summary) reporter.summary(result.summary);
      reporter.result(name, ExitCode.Success, result.data);
    };

  // Output settings must be in place before subcommands are added: they copy them when created.
  const program = new Command('falco-airgap').exitOverride().configureOutput({
    writeOut: (text) => environment.streams.stdout.write(text),
    writeErr: (text) => environment.streams.stderr.write(text),
    outputError: (text) => usageErrors.push(text.replace(/^error: /, '').trim()),
  });
  defineCommands(program, execute);

  try {
    applyOptionVariables(program, resolved.optionVariables);
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return ExitCode.Success;
      const message = usageErrors[0] ?? error.message.replace(/^error: /, '');
      const usage = new CliError(message, CliErrorCode.Usage, 'input', 'see falco-airgap --help');
      await report(usage, 'falco-airgap', createReporter(readGlobalsFromArgv(argv, resolved), environment, resolved));
      return ExitCode.InvalidInput;
    }
    const interrupted = environment.signal.aborted;
    const failure = interrupted
      ? new CliError('interrupted', CliErrorCode.Interrupted, 'operational', 'nothing was left half-written; re-run the command to continue', error)
      : ((await outcome?.ctx?.credentials.explain(error)) ?? error);
    exitCode = interrupted ? ExitCode.Interrupted : exitCodeFor(failure);
    const reporter = outcome?.reporter ?? createReporter(readGlobalsFromArgv(argv, resolved), environment, resolved);
    await report(failure, outcome?.name ?? 'falco-airgap', reporter, exitCode);
    if (readGlobalsFromArgv(argv, resolved).verbose && error instanceof Error && error.stack) environment.streams.stderr.write(`${error.stack}\n`);
  }
  return exitCode;
}

// Loaded on failure only: it knows the libraries' error classes, which a successful --help never needs.
async function report(error: unknown, command: string, reporter: Reporter, exitCode: number = exitCodeFor(error)): Promise<void> {
  const { summarizeError } = await import('./error-summary.ts');
  reporter.result(command, exitCode, undefined, summarizeError(error));
}

function readGlobals(command: Command, resolved: ResolvedEnvironment): GlobalOptions {
  const opts = command.optsWithGlobals<{ config?: string; json?: boolean; output?: string; quiet?: boolean; verbose?: boolean; color?: boolean }>();
  return {
    config: opts.config,
    json: Boolean(opts.json) || opts.output === 'json',
    quiet: Boolean(opts.quiet),
    verbose: Boolean(opts.verbose),
    color: opts.color !== false && !resolved.noColor,
  };
}

// Used when parsing failed before commander could hand us the options.
function readGlobalsFromArgv(argv: readonly string[], resolved: ResolvedEnvironment): GlobalOptions {
  const variable = (name: string) => /^(1|true|yes|on)$/i.test(resolved.optionVariables[name] ?? '');
  const output = argv.findIndex((arg) => arg === '--output' || arg === '-o');
  const json = argv.includes('--json') || argv.includes('--output=json') || argv.includes('-ojson') || (output >= 0 && argv[output + 1] === 'json');
  return {
    json: json || variable('FALCO_AIRGAP_JSON') || resolved.optionVariables.FALCO_AIRGAP_OUTPUT === 'json',
    quiet: argv.includes('--quiet') || argv.includes('-q') || variable('FALCO_AIRGAP_QUIET'),
    verbose: argv.includes('--verbose') || argv.includes('-v') || variable('FALCO_AIRGAP_VERBOSE'),
    color: !argv.includes('--no-color') && !resolved.noColor && !variable('FALCO_AIRGAP_NO_COLOR'),
  };
}

function createReporter(globals: GlobalOptions, environment: CliEnvironment, resolved: ResolvedEnvironment): Reporter {
  if (globals.json) return new JsonReporter(environment.streams, globals.quiet);
  const tty = Boolean(environment.streams.stderr.isTTY) && resolved.liveOutput;
  return new HumanReporter({
    streams: environment.streams,
    style: createStyle(globals.color && Boolean(environment.streams.stderr.isTTY)),
    quiet: globals.quiet,
    verbose: globals.verbose,
    // --quiet and --no-color (NO_COLOR) keep the plain lines: no redrawing, no escape sequences.
    live: tty && globals.color && !globals.quiet,
  });
}

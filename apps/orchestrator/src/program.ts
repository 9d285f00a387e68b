import { Command, CommanderError, Option } from 'commander';
import { CliError, CliErrorCode } from './cli-error.ts';
import { extract } from './commands/extract.ts';
import { manifestValidate } from './commands/manifest-validate.ts';
import { pipeline } from './commands/pipeline.ts';
import { addPublishCommand } from './commands/publish.ts';
import { addReleasesCommands } from './commands/releases.ts';
import type { CommandContext, CommandOutcome, GlobalOptions } from './context.ts';
import { summarizeError } from './error-summary.ts';
import { ExitCode, exitCodeFor } from './exit-codes.ts';
import { HumanReporter } from './output/human-reporter.ts';
import { JsonReporter } from './output/json-reporter.ts';
import type { OutputStreams, Reporter } from './output/reporter.ts';
import { createStyle } from './output/style.ts';
import { version } from './version.ts';

export interface CliEnvironment {
  streams: OutputStreams;
  cwd: string;
  env: NodeJS.ProcessEnv;
  signal: AbortSignal;
}

type Action = (ctx: CommandContext, command: Command) => Promise<CommandOutcome>;

/** Runs the CLI once and returns the exit code; the one place errors become exit codes. */
export async function runCli(argv: readonly string[], environment: CliEnvironment): Promise<number> {
  let outcome: { name: string; reporter: Reporter } | undefined;
  let exitCode: number = ExitCode.Success;
  const usageErrors: string[] = [];

  const execute =
    (name: string, action: Action) =>
    async (...args: unknown[]) => {
      const command = args[args.length - 1] as Command;
      const globals = readGlobals(command, environment);
      const reporter = createReporter(globals, environment);
      outcome = { name, reporter };
      if (globals.config !== undefined) {
        throw new CliError(
          `--config ${globals.config}: this version reads no configuration file`,
          CliErrorCode.Usage,
          'input',
          'pass the settings as flags or FALCO_AIRGAP_* variables',
        );
      }
      const ctx: CommandContext = { reporter, cwd: environment.cwd, signal: environment.signal, globals };
      const result = await action(ctx, command);
      if (result.summary) reporter.info(result.summary);
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
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return ExitCode.Success;
      const message = usageErrors[0] ?? error.message.replace(/^error: /, '');
      const usage = new CliError(message, CliErrorCode.Usage, 'input', 'see falco-airgap --help');
      report(usage, 'falco-airgap', createReporter(readGlobalsFromArgv(argv, environment), environment));
      return ExitCode.InvalidInput;
    }
    const interrupted = environment.signal.aborted;
    const failure = interrupted
      ? new CliError('interrupted', CliErrorCode.Interrupted, 'operational', 'nothing was left half-written; re-run the command to continue', error)
      : error;
    exitCode = interrupted ? ExitCode.Interrupted : exitCodeFor(failure);
    const reporter = outcome?.reporter ?? createReporter(readGlobalsFromArgv(argv, environment), environment);
    report(failure, outcome?.name ?? 'falco-airgap', reporter, exitCode);
    if (readGlobalsFromArgv(argv, environment).verbose && error instanceof Error && error.stack) environment.streams.stderr.write(`${error.stack}\n`);
  }
  return exitCode;
}

function report(error: unknown, command: string, reporter: Reporter, exitCode: number = exitCodeFor(error)): void {
  reporter.result(command, exitCode, undefined, summarizeError(error));
}

function defineCommands(program: Command, execute: (name: string, action: Action) => (...args: unknown[]) => Promise<void>): void {
  program
    .description('Mirror Falco plugins and rules, build the images and deploy Falco into Kubernetes clusters without internet access.')
    .version(version, '-V, --version', 'print the falco-airgap version')
    .option('--config <file>', 'configuration file of environments (not read by this version: use flags and FALCO_AIRGAP_* variables)')
    .option('--json', 'machine-readable output: one JSON object per line on stdout, ending with {"type":"result"}', false)
    .option('-q, --quiet', 'print only errors and the result', false)
    .option('-v, --verbose', 'print every step and stack traces of failures', false)
    .option('--no-color', 'disable colours (also honours NO_COLOR)')
    .showHelpAfterError(false)
    .addHelpText(
      'after',
      '\nExit codes: 0 success (including nothing to do), 1 operational failure, 2 invalid input, 3 verification failure, 130 interrupted.',
    );

  const manifest = program.command('manifest').description('work with plugins-manifest.yaml');
  manifest
    .command('validate')
    .description('check plugins-manifest.yaml: schema, names, versions, references and platforms')
    .argument('[file]', 'manifest to check', 'plugins/plugins-manifest.yaml')
    .action(execute('manifest validate', (ctx, command) => manifestValidate(ctx, { file: command.args[0] ?? (command.processedArgs[0] as string) })));

  program
    .command('extract')
    .description('pull the plugins and rules the manifest names, verify them, write plugins/extracted and plugins/plugins-lock.yaml')
    .option('--manifest <file>', 'plugins manifest', 'plugins/plugins-manifest.yaml')
    .option('--out <dir>', 'plugins directory: extracted/, source/ and plugins-lock.yaml go here', 'plugins')
    .option(
      '--platform <os/arch>',
      'only this platform (repeatable; default: the manifest platforms)',
      (v: string, all: string[]) => [...all, v],
      [] as string[],
    )
    .option('--locked', 'fail (exit 3) when anything resolves differently from plugins-lock.yaml', false)
    .addOption(
      new Option('--via <how>', 'how image sources are read: from the registry, or through a Docker engine (DOCKER_HOST)')
        .choices(['direct', 'docker'])
        .default('direct'),
    )
    .option('--keep-source', 'also keep the whole filesystem of image sources under source/ (large)', false)
    .option('--ca-file <pem>', 'trust this CA (besides the public roots) for registries')
    .option('--plain-http <host>', 'talk plain HTTP to this registry host[:port] (repeatable)', (v: string, all: string[]) => [...all, v], [] as string[])
    .option('--cache-dir <dir>', 'blob cache (default: $XDG_CACHE_HOME/falco-airgap/oci or ~/.cache/falco-airgap/oci)')
    .option('--max-uncompressed-bytes <n>', 'largest size an artifact layer may unpack to')
    .option('--max-entries <n>', 'most entries an artifact layer may hold')
    .action(execute('extract', (ctx, command) => extract(ctx, command.opts())));

  addPublishCommand(program, execute);
  addReleasesCommands(program, execute);

  program
    .command('pipeline')
    .description('run the stages for one environment in order: extract, publish (s3), build, push, deploy')
    .requiredOption('--env <name>', 'environment to deliver to (e.g. local, staging, prod); the S3 channel it follows by default')
    .addOption(new Option('--strategy <strategy>', 'how plugins reach the Falco pods').choices(['sidecar', 's3']).default('sidecar'))
    .option('--manifest <file>', 'plugins manifest', 'plugins/plugins-manifest.yaml')
    .option('--out <dir>', 'plugins directory written by the extract stage', 'plugins')
    .option('--registry <host>', 'registry the images are pushed to', 'localhost:5000')
    .option('--ca-file <pem>', 'trust this CA (besides the public roots) for registries')
    .option('--plain-http <host>', 'talk plain HTTP to this registry host[:port] (repeatable)', (v: string, all: string[]) => [...all, v], [] as string[])
    .option('--cache-dir <dir>', 'blob cache of the extract stage')
    .addOption(new Option('--bucket <name>', 'S3 bucket of the plugin store (strategy s3)').env('FALCO_AIRGAP_S3_BUCKET'))
    .addOption(new Option('--prefix <prefix>', 'key prefix of the store inside the bucket').env('FALCO_AIRGAP_S3_PREFIX'))
    .addOption(new Option('--endpoint <url>', 'S3-compatible server (MinIO, Ceph, ...)').env('FALCO_AIRGAP_S3_ENDPOINT'))
    .option('--region <region>', 'AWS region (default: AWS_REGION, then us-east-1)')
    .option('--channel <name>', 'channel the published release is promoted to (default: the --env name)')
    .option('--no-build', 'skip building and pushing images')
    .option('--no-deploy', 'skip the deploy stage')
    .option('--dry-run', 'print the plan and change nothing', false)
    .action(execute('pipeline', (ctx, command) => pipeline(ctx, command.opts())));
}

function readGlobals(command: Command, environment: CliEnvironment): GlobalOptions {
  const opts = command.optsWithGlobals<{ config?: string; json?: boolean; quiet?: boolean; verbose?: boolean; color?: boolean }>();
  return {
    config: opts.config,
    json: Boolean(opts.json),
    quiet: Boolean(opts.quiet),
    verbose: Boolean(opts.verbose),
    color: opts.color !== false && !environment.env.NO_COLOR,
  };
}

// Used when parsing failed before commander could hand us the options.
function readGlobalsFromArgv(argv: readonly string[], environment: CliEnvironment): GlobalOptions {
  return {
    json: argv.includes('--json'),
    quiet: argv.includes('--quiet') || argv.includes('-q'),
    verbose: argv.includes('--verbose') || argv.includes('-v'),
    color: !argv.includes('--no-color') && !environment.env.NO_COLOR,
  };
}

function createReporter(globals: GlobalOptions, environment: CliEnvironment): Reporter {
  if (globals.json) return new JsonReporter(environment.streams, globals.quiet);
  const tty = Boolean(environment.streams.stderr.isTTY) && environment.env.TERM !== 'dumb' && !environment.env.CI;
  return new HumanReporter({
    streams: environment.streams,
    style: createStyle(globals.color && Boolean(environment.streams.stderr.isTTY)),
    quiet: globals.quiet,
    verbose: globals.verbose,
    live: tty,
  });
}

import { PLUGIN_STRATEGIES } from '@falco-airgap/helm-values-schema';
import { Argument, Option, type Command } from 'commander';
import type { CommandContext, CommandOutcome } from './context.ts';
import { addClusterOptions, addReleaseOptions, DEFAULT_NAMESPACE, DEFAULT_RELEASE } from './options/cluster.ts';
import { addImageOptions } from './options/images.ts';
import { addLockTimeoutOption } from './options/lock.ts';
import { addPlatformOption } from './options/platform.ts';
import { addRegistryOptions } from './options/registry.ts';
import { repeatable } from './options/repeatable.ts';
import { addStoreOptions } from './options/store.ts';
import { version } from './version.ts';

export type Action = (ctx: CommandContext, command: Command) => Promise<CommandOutcome>;
export type Execute = (name: string, action: Action) => (...args: unknown[]) => Promise<void>;

export const OUTPUT_FORMATS = ['text', 'json'];
export const COMPLETION_SHELLS = ['bash', 'zsh', 'fish'];
export const OPTION_VARIABLES_HELP =
  'Every option can also be set with a variable: FALCO_AIRGAP_ and the flag name, e.g. --ca-file as FALCO_AIRGAP_CA_FILE\n' +
  '(lists comma-separated, switches true or false); a flag on the command line wins.';

// The manifest and lock libraries' DEFAULT_MANIFEST_PATH / DEFAULT_LOCK_PATH, written out so --help loads no YAML parser (a test keeps them equal).
export const DEFAULT_MANIFEST_FILE = 'plugins/plugins-manifest.yaml';
export const DEFAULT_LOCK_FILE = 'plugins/plugins-lock.yaml';

/**
 * Every command with its flags, defined up front for --help and parsing; each implementation is
 * imported only when its command runs, so --version and --help load no SDK, engine client or parser.
 */
export function defineCommands(program: Command, execute: Execute): void {
  program
    .description('Mirror Falco plugins and rules, build the images and deploy Falco into Kubernetes clusters without internet access.')
    .version(version, '-V, --version', 'print the falco-airgap version')
    .option('--config <file>', 'configuration file of environments (default: falco-airgap.config.yaml in the working directory, when present)')
    .option('--json', 'machine-readable output: one JSON object per line on stdout, ending with {"type":"result"}', false)
    .addOption(new Option('-o, --output <format>', 'output format; json is the same as --json').choices(OUTPUT_FORMATS).default('text'))
    .option('-q, --quiet', 'print only errors and the result', false)
    .option('-v, --verbose', 'print every step and stack traces of failures', false)
    .option('--no-color', 'disable colours (also honours NO_COLOR)')
    .showHelpAfterError(false)
    // Subcommands copy this when they are created: each one's --help lists the global flags too.
    .configureHelp({ showGlobalOptions: true })
    .addHelpText('after', '\nExit codes: 0 success (including nothing to do), 1 operational failure, 2 invalid input, 3 verification failure, 130 interrupted.')
    .addHelpText('afterAll', `\n${OPTION_VARIABLES_HELP}`);

  const manifest = program.command('manifest').description('work with plugins-manifest.yaml');
  manifest
    .command('validate')
    .description('check plugins-manifest.yaml: schema, names, versions, references and platforms')
    .argument('[file]', 'manifest to check', DEFAULT_MANIFEST_FILE)
    .action(
      execute('manifest validate', async (ctx, command) =>
        (await import('./commands/manifest-validate.ts')).manifestValidate(ctx, { file: command.args[0] ?? (command.processedArgs[0] as string) }),
      ),
    );

  const extract = program
    .command('extract')
    .description('pull the plugins and rules the manifest names, verify them, write plugins/extracted and plugins/plugins-lock.yaml')
    .option('--manifest <file>', 'plugins manifest', DEFAULT_MANIFEST_FILE)
    .option('--out <dir>', 'plugins directory: extracted/, source/ and plugins-lock.yaml go here', 'plugins');
  addPlatformOption(extract, 'the manifest platforms')
    .option('--locked', 'fail (exit 3) when anything resolves differently from plugins-lock.yaml', false)
    .addOption(
      new Option('--via <how>', 'how image sources are read: from the registry, or through a Docker engine (DOCKER_HOST)')
        .choices(['direct', 'docker'])
        .default('direct'),
    )
    .option('--keep-source', 'also keep the whole filesystem of image sources under source/ (large)', false);
  addLockTimeoutOption(extract, 'the plugins directory');
  addRegistryOptions(extract)
    .option('--max-uncompressed-bytes <n>', 'largest size an artifact layer may unpack to')
    .option('--max-entries <n>', 'most entries an artifact layer may hold')
    .action(execute('extract', async (ctx, command) => (await import('./commands/extract.ts')).extract(ctx, command.opts())));

  const publish = program
    .command('publish')
    .description('upload the locked plugins and rules to the S3 plugin store as an immutable release (strategy s3)')
    .option('--channel <name>', 'then point this channel at the release, e.g. staging')
    .option('--lock <file>', 'lock written by extract', DEFAULT_LOCK_FILE)
    .option('--extracted <dir>', 'directory of the extracted files (default: extracted/ next to the lock)');
  addPlatformOption(publish, 'every platform of the lock')
    .option('--concurrency <n>', 'files uploaded at once', '4')
    .option('--dry-run', 'hash and compare, print what would be uploaded, write nothing', false);
  addLockTimeoutOption(publish, 'the store prefix');
  addStoreOptions(publish, { bucketRequired: true, deadline: true }).action(
    execute('publish', async (ctx, command) => (await import('./commands/publish.ts')).publish(ctx, command.opts())),
  );

  defineReleasesCommands(program, execute);

  const build = program
    .command('build')
    .description(
      'build the falco, falco-s3-loader and falco-plugin-loader images on AlmaLinux 9 and, with --push, push them; images the target already holds are skipped',
    )
    .option(
      '--images <list>',
      'comma-separated: falco, s3-loader, plugin-loader (s3-loader brings falco, which it is built from)',
      'falco,s3-loader,plugin-loader',
    )
    .option('--registry <host>', 'registry host[:port][/path] the images are named under and pushed to', 'localhost:5000')
    .option('--push', 'push every tag; the registry, not the engine, then decides what is unchanged', false)
    .option('--tag <tag>', 'another tag for every image, besides the Falco version and the content tag (repeatable)', repeatable, [] as string[])
    .option('--platform <os/arch>', 'platform to build for; the Dockerfiles have no RUN step, so no emulation is needed', 'linux/amd64')
    .option('--lock <file>', 'lock written by extract (the plugin-loader image bakes it in)', DEFAULT_LOCK_FILE)
    .option('--extracted <dir>', 'directory of the extracted files (default: extracted/ next to the lock)')
    .option('--manifest <file>', 'manifest giving the Falco version when there is no lock', DEFAULT_MANIFEST_FILE);
  addImageOptions(build);
  addRegistryOptions(build)
    .option('--dry-run', 'check what the target holds and print what would be built; build and push nothing', false)
    .action(execute('build', async (ctx, command) => (await import('./commands/build.ts')).build(ctx, command.opts())));

  defineDeployCommands(program, execute);

  const values = program.command('values').description("work with the chart's values");
  values
    .command('migrate')
    .description(
      'convert a values file of the upstream falcosecurity/charts falco chart into values for this chart; every value it cannot carry over is a warning with the reason',
    )
    .argument('<file>', 'values file of the upstream chart, e.g. the output of helm get values falco')
    .option('--out <file>', 'write the values here (default: print them on stdout)')
    .option('--release <name>', 'release name the upstream chart was installed under (names the falcosidekick Service)', DEFAULT_RELEASE)
    .option('--namespace <name>', 'namespace of that release', DEFAULT_NAMESPACE)
    .action(
      execute('values migrate', async (ctx, command) => (await import('./commands/values-migrate.ts')).valuesMigrate(ctx, command.args[0]!, command.opts())),
    );

  const pipeline = program
    .command('pipeline')
    .description('run the stages for one environment in order: extract, publish (s3), build, push, deploy')
    .requiredOption('--env <name>', 'environment of the configuration file to deliver to (e.g. local, staging, prod); the S3 channel it follows by default')
    .addOption(new Option('--strategy <strategy>', 'how plugins reach the Falco pods').choices(PLUGIN_STRATEGIES).default('sidecar'))
    .option('--manifest <file>', 'plugins manifest', DEFAULT_MANIFEST_FILE)
    .option('--out <dir>', 'plugins directory written by the extract stage', 'plugins')
    .option('--registry <host>', 'registry host[:port][/path] the images are pushed to', 'localhost:5000');
  addRegistryOptions(pipeline);
  addImageOptions(pipeline);
  addStoreOptions(pipeline, { bucketRequired: false, bucketDescription: 'S3 bucket of the plugin store (strategy s3)' })
    .option('--channel <name>', 'channel the published release is promoted to (default: the --env name)')
    .option('--no-build', 'skip building and pushing images')
    .option('--no-deploy', 'skip the deploy stage')
    .option('--dry-run', 'print the plan and change nothing', false);
  addLockTimeoutOption(pipeline, 'the plugins directory or the store prefix').action(
    execute('pipeline', async (ctx, command) => {
      // The environment of the configuration file fills what the flags leave out.
      await (await import('./config/environment-config.ts')).applyPipelineEnvironment(ctx, command);
      return (await import('./commands/pipeline.ts')).pipeline(ctx, command.opts());
    }),
  );

  program
    .command('version')
    .description('print the versions of falco-airgap, Node.js and every falco-airgap library inside (all of them as data with --json)')
    .action(execute('version', async () => (await import('./commands/version.ts')).versionCommand()));
  program
    .command('completion')
    .description('print a completion script for your shell, e.g. source <(falco-airgap completion bash)')
    .addArgument(new Argument('<shell>', 'bash, zsh or fish').choices(COMPLETION_SHELLS))
    .action(execute('completion', async (_ctx, command) => (await import('./commands/completion.ts')).completionCommand(command.args[0]!, command.parent!)));
}

function defineReleasesCommands(program: Command, execute: Execute): void {
  const releases = program.command('releases').description('the releases and channels of the S3 plugin store: list, show, promote, rollback, gc, IAM policies');
  const store = (command: Command) => addStoreOptions(command, { bucketRequired: true, deadline: true });
  const load = () => import('./commands/releases.ts');

  store(releases.command('list').description('every release, newest first, with the channels that follow it')).action(
    execute('releases list', async (ctx, command) => (await load()).releasesList(ctx, command.opts())),
  );
  store(releases.command('show').description('the plugins and files of one release').argument('<id>', 'release id')).action(
    execute('releases show', async (ctx, command) => (await load()).releasesShow(ctx, command.args[0]!, command.opts())),
  );
  store(
    releases
      .command('promote')
      .description('point a channel at a release (a conditional write: a concurrent change is reported, never lost)')
      .argument('<id>', 'release id')
      .requiredOption('--channel <name>', 'channel the clusters follow, e.g. prod')
      .option('--conflict-retries <n>', 'when another promotion wins the race, re-apply on top of it this many times', '0'),
  ).action(execute('releases promote', async (ctx, command) => (await load()).releasesPromote(ctx, command.args[0]!, command.opts())));
  store(
    releases
      .command('rollback')
      .description('move a channel back to the release it followed before')
      .requiredOption('--channel <name>', 'channel to roll back'),
  ).action(execute('releases rollback', async (ctx, command) => (await load()).releasesRollback(ctx, command.opts())));
  store(
    releases
      .command('gc')
      .description('find blobs no release refers to, unfinished uploads and stale leases; delete them with --apply (run it with the gc role)')
      .option('--apply', 'delete (default: only report)', false)
      .option('--min-age <duration>', 'keep unreferenced blobs and unfinished uploads younger than this, e.g. 30m, 1h, 2d', '1h')
      .option('--keep-releases <n>', 'also retire releases beyond the newest N, never one a channel, its history or a running publish points at'),
  ).action(execute('releases gc', async (ctx, command) => (await load()).releasesGc(ctx, command.opts())));
  addStoreOptions(
    releases
      .command('policy')
      .description('print the least-privilege IAM policies (publisher, gc, cluster reader) and the bucket lifecycle rule for unfinished uploads'),
    { bucketRequired: true, locationOnly: true },
  )
    .option('--channel <name>', 'limit the reader to this channel')
    .option('--partition <name>', 'AWS partition: aws, aws-us-gov, aws-cn', 'aws')
    .option('--kms-key-arn <arn>', 'KMS key of an SSE-KMS encrypted bucket')
    .option('--no-condition-keys', 'leave out the s3:if-none-match / s3:if-match conditions, for S3-compatible servers that refuse them (MinIO)')
    .option('--retire-releases', 'let the gc role retire releases (gc --keep-releases)', false)
    .action(execute('releases policy', async (_ctx, command) => (await load()).releasesPolicy(command.opts())));
}

function defineDeployCommands(program: Command, execute: Execute): void {
  const deploy = program
    .command('deploy')
    .description(
      'helm upgrade --install the chart with values checked first, then verify the rollout; a failure leaves a diagnostics bundle naming the likely cause',
    );
  const withEnvironment =
    (action: Action): Action =>
    async (ctx, command) => {
      await (await import('./config/environment-config.ts')).applyClusterEnvironment(ctx, command);
      return action(ctx, command);
    };
  addReleaseOptions(addClusterOptions(deploy))
    .option('--env <name>', 'environment of the configuration file giving the cluster, namespace, release, values and timeout; flags win')
    .option('--diagnostics-dir <dir>', 'where the diagnostics bundle of a failed deploy is written', 'falco-airgap-diagnostics')
    .option('--dry-run', 'read the release history and print the plan; change nothing', false)
    .action(
      execute(
        'deploy',
        withEnvironment(async (ctx, command) => (await import('./commands/deploy.ts')).deploy(ctx, command.opts())),
      ),
    );

  addClusterOptions(program.command('status').description('what is deployed where: revision, chart, plugin source, images and rollout of the release'))
    .option('--env <name>', 'environment of the configuration file giving the cluster, namespace and release; flags win')
    .action(
      execute(
        'status',
        withEnvironment(async (ctx, command) => (await import('./commands/status.ts')).status(ctx, command.opts())),
      ),
    );
}

import { Argument, Option, type Command } from 'commander';
import type { CommandContext, CommandOutcome } from './context.ts';
import { addClusterOptions, addReleaseOptions, DEFAULT_NAMESPACE, DEFAULT_RELEASE } from './options/cluster.ts';
import { addImageOptions } from './options/images.ts';
import { addLockTimeoutOption } from './options/lock.ts';
import { addPlatformOption } from './options/platform.ts';
import { addRegistryOptions } from './options/registry.ts';
import { repeatable } from './options/repeatable.ts';
import { addStoreOptions } from './options/store.ts';
import { addVersionsFileOption } from './options/versions.ts';
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
// fleet-identity's DEFAULT_ISSUER / DEFAULT_AUDIENCE, written out for the same reason (a test keeps them equal).
export const DEFAULT_FLEET_ISSUER = 'falco-airgap';
export const DEFAULT_FLEET_AUDIENCE = 'falco-event-ingestor';
// helm-values-schema's PLUGIN_STRATEGIES, written out so start-up loads no values schema, validator or YAML parser (a test keeps them equal).
const PLUGIN_STRATEGIES = ['sidecar', 's3', 'none'];

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
    .option('--keep-source', 'also keep the whole filesystem of image sources under source/ (large)', false)
    .option(
      '--verify-signatures',
      'require a cosign signature by --signature-key on every artifact and image (.sig tag or OCI referrer); exit 3 without one',
      false,
    )
    .option('--signature-key <pem>', 'public key (PEM, ECDSA or Ed25519) the signatures must verify with, e.g. cosign.pub');
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
  defineBundleCommands(program, execute);
  defineVersionsCommands(program, execute);
  defineFleetCommands(program, execute);

  const mirror = program
    .command('mirror')
    .description(
      'copy every locked plugin and rules artifact into a private registry (digests and media types unchanged) and write a falcoctl index that points at the copies',
    )
    .requiredOption('--to <registry>', 'registry host[:port] to copy to, with an optional /prefix put before each repository')
    .option('--lock <file>', 'lock written by extract', DEFAULT_LOCK_FILE)
    .option('--index-out <file>', 'where the falcoctl index is written (falcoctl index add NAME file://... or an https URL serving it)', 'index.yaml');
  addRegistryOptions(mirror).action(execute('mirror', async (ctx, command) => (await import('./commands/mirror.ts')).mirror(ctx, command.opts())));

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
  addReleaseOptions(addClusterOptions(pipeline, { regionFlag: 'eks-region' }))
    .option('--diagnostics-dir <dir>', 'where the diagnostics bundle of a failed deploy is written', 'falco-airgap-diagnostics')
    .option('--ecr-kms-key <key>', 'KMS key (ARN, id or alias) of ECR repositories the pipeline creates (default: AES256)');
  addLockTimeoutOption(addVersionsFileOption(pipeline), 'the plugins directory or the store prefix').action(
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
  addVersionsFileOption(addReleaseOptions(addClusterOptions(deploy)))
    .option('--env <name>', 'environment of the configuration file giving the cluster, namespace, release, values and timeout; flags win')
    .option('--diagnostics-dir <dir>', 'where the diagnostics bundle of a failed deploy is written', 'falco-airgap-diagnostics')
    .option('--dry-run', 'read the release history and print the plan; change nothing', false)
    .action(
      execute(
        'deploy',
        withEnvironment(async (ctx, command) => (await import('./commands/deploy.ts')).deploy(ctx, command.opts())),
      ),
    );

  addVersionsFileOption(
    addClusterOptions(program.command('status').description('what is deployed where: revision, chart, plugin source, images and rollout of the release')),
  )
    .option('--env <name>', 'environment of the configuration file giving the cluster, namespace and release; flags win')
    .action(
      execute(
        'status',
        withEnvironment(async (ctx, command) => (await import('./commands/status.ts')).status(ctx, command.opts())),
      ),
    );
}

function defineVersionsCommands(program: Command, execute: Execute): void {
  const versions = program
    .command('versions')
    .description('the Falco versions catalogue: each version with its lifecycle (preview, supported, deprecated until its expiry) and what it ships');
  const load = () => import('./commands/versions.ts');
  addVersionsFileOption(
    versions.command('list').description('every Falco version, newest first: lifecycle, libs, plugin API, rules and Falcosidekick versions'),
  ).action(execute('versions list', async (ctx, command) => (await load()).versionsList(ctx, command.opts())));
  addVersionsFileOption(
    versions
      .command('show')
      .description('one Falco version: what it ships, the rules artifacts at their versions and the images to mirror')
      .argument('<version>', 'a version of the catalogue, or auto (the latest supported)'),
  ).action(execute('versions show', async (ctx, command) => (await load()).versionsShow(ctx, command.args[0]!, command.opts())));
  addVersionsFileOption(
    versions
      .command('resolve')
      .description('the version a request or an environment gets under the lifecycle policy, printed alone; exit 2 when it is expired or unknown')
      .argument('[version]', 'a version of the catalogue, or auto (default: auto)')
      .option('--env <name>', "resolve an environment's falco.version and autoUpdate from the configuration file instead")
      .option('--auto-update', 'resolve as an environment with autoUpdate: true does (moves to the latest supported version)', false),
  ).action(execute('versions resolve', async (ctx, command) => (await load()).versionsResolve(ctx, command.args[0], command.opts())));
}

function defineBundleCommands(program: Command, execute: Execute): void {
  const bundle = program
    .command('bundle')
    .description('across an air gap: one signed, checksummed bundle of everything an environment needs, checked file by file and loaded on the isolated side');
  const load = () => import('./commands/bundle.ts');
  const withEnvironment =
    (action: (ctx: CommandContext, command: Command, stateDir: string) => Promise<CommandOutcome>): Action =>
    async (ctx, command) =>
      action(ctx, command, await (await import('./config/loaded-bundle.ts')).applyBundleEnvironment(ctx, command));

  bundle
    .command('keygen')
    .description('write a key pair to sign bundles with: PREFIX.key (private, mode 0600) and PREFIX.pub, which cosign verify-blob --key reads')
    .addOption(new Option('--algorithm <name>', 'key type').choices(['ecdsa-p256', 'ed25519']).default('ecdsa-p256'))
    .option('--out <prefix>', 'path and name of the two files, without extension', 'falco-airgap-bundle')
    .option('--force', 'replace an existing key pair', false)
    .action(execute('bundle keygen', async (ctx, command) => (await load()).bundleKeygen(ctx, command.opts())));

  const create = bundle
    .command('create')
    .description(
      'on the connected side: the locked plugin and rules artifacts and the images (OCI layout, digests kept), the lock and its files, the chart with the values, falco-s3-loader and falco-airgap, in one bundle',
    )
    .requiredOption('--env <name>', 'environment of the configuration file whose registry, values and strategy the bundle is made from')
    .option('--out <dir|file.tar>', 'a directory, or an archive (.tar) (default: falco-airgap-<env>.tar)')
    .option('--split <size>', 'write the archive in numbered parts of this size for media with a limit, e.g. 4GiB (cat joins them)')
    .option('--sign-key <pem>', 'sign bundle.json with this private key (ECDSA P-256 or Ed25519, PEM), e.g. from bundle keygen')
    .option('--lock <file>', 'lock written by extract', DEFAULT_LOCK_FILE)
    .option('--extracted <dir>', 'directory of the extracted files (default: extracted/ next to the lock)')
    .option('--registry <host>', "registry host[:port][/path] the images were pushed to (default: the environment's)")
    .option('--images <list>', 'comma-separated images to carry: falco, s3-loader, plugin-loader', 'falco,s3-loader,plugin-loader')
    .option('--image-tag <tag>', "tag of the images (default: the lock's Falco version)")
    .option('--chart <dir>', 'the chart directory', 'helm/falco-airgap')
    .option('--values <file>', "values file carried with the chart, in helm -f order (repeatable; default: the environment's)", repeatable, [] as string[])
    .option('--s3-loader-binary <file>', 'the falco-s3-loader executable', 'apps/s3-loader/dist/falco-s3-loader')
    .option('--no-s3-loader-binary', 'leave falco-s3-loader out')
    .option('--cli-binary <file>', 'the falco-airgap single executable (default: this one when it is one, else dist/falco-airgap of this package)')
    .option('--no-cli-binary', 'leave falco-airgap out (the isolated side then needs it installed)')
    .option('--created-at <time>', 'creation time recorded in the bundle, RFC 3339 or @seconds (default: SOURCE_DATE_EPOCH, else now)')
    .option('--creator <name>', 'who created the bundle (default: user@host)')
    .option('--ca-file <pem>', 'trust this CA (besides the public roots) for registries')
    .option('--plain-http <host>', 'talk plain HTTP to this registry host[:port] (repeatable)', repeatable, [] as string[]);
  create.action(
    execute(
      'bundle create',
      withEnvironment(async (ctx, command) => (await load()).bundleCreate(ctx, command.opts())),
    ),
  );

  bundle
    .command('verify')
    .description('check a bundle before using it: the signature of bundle.json, then every file against it; exit 3 on the first problem, nothing written')
    .argument('<bundle>', 'the bundle directory, archive, or first part of a split archive')
    .option('--key <pem>', 'public key the bundle must be signed with; without it only integrity is checked')
    .option('--platform <os/arch>', 'platform the bundle must cover (repeatable)', repeatable, [] as string[])
    .action(execute('bundle verify', async (ctx, command) => (await load()).bundleVerify(ctx, command.args[0]!, command.opts())));

  const loadCommand = bundle
    .command('load')
    .description(
      "on the isolated side: verify, push every image and artifact to the environment's registry with its digest, publish the plugins (strategy s3), and write the values deploy --env uses",
    )
    .argument('<bundle>', 'the bundle directory, archive, or first part of a split archive')
    .requiredOption('--env <name>', 'environment of the configuration file to load into (its registry, strategy and store)')
    .option('--key <pem>', 'public key the bundle must be signed with; without it only integrity is checked')
    .option('--platform <os/arch>', 'platform the cluster runs, which the bundle must cover (repeatable; default: linux/amd64)', repeatable, [] as string[])
    .option('--registry <host>', "registry host[:port][/path] to push to (default: the environment's)")
    .option('--ca-file <pem>', 'trust this CA (besides the public roots) for the registry')
    .option('--plain-http <host>', 'talk plain HTTP to this registry host[:port] (repeatable)', repeatable, [] as string[])
    .addOption(new Option('--strategy <strategy>', "how plugins reach the Falco pods (default: the environment's)").choices(PLUGIN_STRATEGIES))
    .option('--no-publish', 'do not publish the plugins to the S3 store, even for strategy s3')
    .option('--channel <name>', 'point this channel at the published release')
    .option('--state-dir <dir>', 'where the chart and the values overlay go (default: .falco-airgap/<env> next to the configuration file)');
  addStoreOptions(loadCommand, { bucketRequired: false, bucketDescription: 'S3 bucket of the plugin store (strategy s3)' }).action(
    execute(
      'bundle load',
      withEnvironment(async (ctx, command, stateDir) => (await load()).bundleLoad(ctx, command.args[0]!, command.opts(), stateDir)),
    ),
  );
}

function defineFleetCommands(program: Command, execute: Execute): void {
  const fleet = program
    .command('fleet')
    .description('cluster identity for the event ingestor: signing keys, a token per cluster, and the JWKS the ingestor verifies tokens with');
  const load = () => import('./commands/fleet.ts');
  fleet
    .command('keygen')
    .description("write a signing key pair into a new directory: private.pem (mode 0600) and public.pem; the key id is the public key's RFC 7638 thumbprint")
    .requiredOption('--out <dir>', 'directory for the pair; an existing pair is never overwritten (rotate into a new directory)')
    .addOption(new Option('--alg <algorithm>', 'signature algorithm').choices(['ES256', 'EdDSA']).default('ES256'))
    .action(execute('fleet keygen', async (ctx, command) => (await load()).fleetKeygen(ctx, command.opts())));
  fleet
    .command('token')
    .description('print a signed JWT naming one cluster (kid in the header; iss, aud, sub, cluster, iat, exp, jti); --json adds its key id and expiry')
    .requiredOption('--cluster <name>', 'the cluster the token speaks for: lower-case letters, digits, ".", "-" and "_"')
    .requiredOption('--key <private.pem>', 'private key written by fleet keygen')
    .option('--ttl <duration>', 'lifetime, e.g. 90d, 12h or 3600s', '90d')
    .option('--issuer <iss>', 'issuer the ingestor expects', DEFAULT_FLEET_ISSUER)
    .option('--audience <aud>', 'audience the ingestor expects', DEFAULT_FLEET_AUDIENCE)
    .action(execute('fleet token', async (ctx, command) => (await load()).fleetToken(ctx, command.opts())));
  fleet
    .command('jwks')
    .description('write the JWKS of the public keys in force: list old and new while tokens move to a new key; leave a key out to revoke it')
    .option('--key <public.pem>', 'public key written by fleet keygen (repeatable)', repeatable, [] as string[])
    .option('--out <file>', 'write the JWKS here, replacing the file in one step (default: print it)')
    .action(execute('fleet jwks', async (ctx, command) => (await load()).fleetJwks(ctx, command.opts())));
}

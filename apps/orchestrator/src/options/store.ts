import { Option, type Command } from 'commander';
import { CliError, CliErrorCode } from '../cli-error.ts';
import type { AwsKeys, ResolvedEnvironment } from '../environment.ts';
import { withVariable } from '../option-variables.ts';
import { parseDuration } from './duration.ts';

/** The store flags as commander parsed them (after the FALCO_AIRGAP_* variables). */
export interface StoreFlags {
  bucket?: string | undefined;
  prefix?: string | undefined;
  endpoint?: string | undefined;
  region?: string | undefined;
  pathStyle?: boolean | undefined;
  timeout?: string | undefined;
}

/** Where the plugin store is and how to reach it: what the store factory needs. */
export interface StoreConnection {
  bucket: string;
  prefix: string | undefined;
  endpoint: string | undefined;
  region: string;
  /** Path-style addressing; with an endpoint it is on unless --no-path-style. */
  forcePathStyle: boolean | undefined;
  /** Keys of the configuration file's store, else AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY; without them the AWS SDK's default chain applies. */
  credentials: AwsKeys | undefined;
  /** The most the whole command may spend talking to S3. */
  timeoutMs: number;
}

/** What --timeout allows a store command by default: a large first publish over a slow link fits. */
export const DEFAULT_STORE_TIMEOUT = '30m';

export interface StoreOptionsShape {
  /** Whether the command refuses to run without a bucket (the pipeline only needs one for strategy s3). */
  bucketRequired: boolean;
  bucketDescription?: string;
  /** Only --bucket and --prefix: for commands that name the store without talking to it. */
  locationOnly?: boolean;
  /** Add --timeout, the deadline of the whole command (the pipeline has its own stages' limits). */
  deadline?: boolean;
}

/** Adds --bucket, --prefix and, unless `locationOnly`, --endpoint, --region, --no-path-style (and --timeout with `deadline`); FALCO_AIRGAP_S3_* set the first three. */
export function addStoreOptions(command: Command, shape: StoreOptionsShape): Command {
  const bucket = new Option('--bucket <name>', shape.bucketDescription ?? 'S3 bucket of the plugin store');
  command.addOption(withVariable(shape.bucketRequired ? bucket.makeOptionMandatory() : bucket, 'FALCO_AIRGAP_S3_BUCKET'));
  command.addOption(withVariable(new Option('--prefix <prefix>', 'key prefix of the store inside the bucket'), 'FALCO_AIRGAP_S3_PREFIX'));
  if (shape.locationOnly) return command;
  command.addOption(
    withVariable(new Option('--endpoint <url>', 'S3-compatible server (MinIO, Ceph, ...); implies path-style addressing'), 'FALCO_AIRGAP_S3_ENDPOINT'),
  );
  command
    .option('--region <region>', 'AWS region (default: AWS_REGION, then us-east-1)')
    .option('--no-path-style', 'virtual-hosted addressing even with --endpoint');
  if (shape.deadline)
    command.option('--timeout <duration>', 'the most the command may spend on S3, retries included, e.g. 90s, 10m, 1h', DEFAULT_STORE_TIMEOUT);
  return command;
}

/** The flags and the environment as the store factory's options; `configured` are the keys the configuration file gives for this store. */
export function storeConnection(flags: StoreFlags & { bucket: string }, environment: ResolvedEnvironment, configured?: AwsKeys): StoreConnection {
  if (flags.endpoint !== undefined && !/^https?:\/\/[^/]+/.test(flags.endpoint)) {
    throw new CliError(`--endpoint "${flags.endpoint}" is not an http(s) URL`, CliErrorCode.Usage, 'input', 'e.g. --endpoint http://minio.storage:9000');
  }
  const timeoutMs = parseDuration(flags.timeout ?? DEFAULT_STORE_TIMEOUT, '--timeout', '90s, 10m or 1h');
  if (timeoutMs <= 0) throw new CliError('--timeout must be more than 0s', CliErrorCode.Usage, 'input', 'e.g. --timeout 10m');
  return {
    bucket: flags.bucket,
    prefix: flags.prefix,
    endpoint: flags.endpoint,
    region: flags.region ?? environment.awsRegion,
    forcePathStyle: flags.endpoint ? flags.pathStyle !== false : undefined,
    credentials: configured ?? environment.awsKeys,
    timeoutMs,
  };
}

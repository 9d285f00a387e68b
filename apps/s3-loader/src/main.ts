import { isFalcoAirgapError } from '@falco-airgap/core';
import packageJson from '../package.json' with { type: 'json' };
import { parseLoaderArgs, usage } from './config.ts';
import { LoaderError, LoaderErrorCode, LoaderExit, loaderExitCodeFor } from './errors.ts';
import { runLoader } from './loader.ts';
import { jsonLineLog } from './log.ts';
import { credentialSource, S3Reader } from './s3-reader.ts';

export const version: string = packageJson.version;

export interface LoaderProcess {
  argv: readonly string[];
  env: Record<string, string | undefined>;
  arch: string;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  signal: AbortSignal;
}

/** The binary's whole life: configuration, one run, an exit code. Everything it says is a JSON line on stderr. */
export async function main(proc: LoaderProcess): Promise<number> {
  const log = jsonLineLog(proc.stderr);
  let reader: S3Reader | undefined;
  try {
    if (proc.signal.aborted)
      throw new LoaderError(LoaderErrorCode.Interrupted, 'interrupted before it started', { hint: 'nothing was changed; the next start installs' });
    const command = parseLoaderArgs(proc.argv, proc.env, proc.arch);
    if (command.kind === 'help') {
      proc.stdout(`${usage(version)}\n`);
      return LoaderExit.Installed;
    }
    if (command.kind === 'version') {
      proc.stdout(`${version}\n`);
      return LoaderExit.Installed;
    }
    const { config } = command;
    log({
      level: 'info',
      event: 'start',
      msg: `falco-s3-loader ${version}`,
      version,
      bucket: config.bucket,
      prefix: config.prefix,
      channel: config.channel,
      release: config.release,
      platform: config.platform,
      destination: config.destination,
      onUnavailable: config.onUnavailable,
    });
    reader = new S3Reader({
      bucket: config.bucket,
      region: config.region ?? 'us-east-1',
      endpoint: config.endpoint,
      forcePathStyle: config.forcePathStyle,
      credentials: credentialSource(proc.env),
      timeoutMs: config.timeoutMs,
      maxSockets: config.concurrency + 1,
    });
    await runLoader(config, { objects: reader, log, signal: proc.signal });
    return LoaderExit.Installed;
  } catch (caught) {
    const exitCode = proc.signal.aborted ? LoaderExit.Interrupted : loaderExitCodeFor(caught);
    // Stopped by a signal, whatever was running reports the signal: it is no bug, and nothing was half-installed.
    const error =
      proc.signal.aborted && !isFalcoAirgapError(caught)
        ? new LoaderError(LoaderErrorCode.Interrupted, `interrupted: ${(caught as Error).message}`, {
            hint: 'nothing was half-installed; the next start installs',
          })
        : caught;
    const known = isFalcoAirgapError(error);
    log({
      level: 'error',
      event: 'failed',
      msg: error instanceof Error ? error.message : String(error),
      code: known ? error.code : 'LOADER_UNEXPECTED',
      hint: known ? error.hint : 'this is a bug in falco-s3-loader if it persists',
      exitCode,
      ...(known ? {} : { stack: error instanceof Error ? error.stack : undefined }),
    });
    return exitCode;
  } finally {
    reader?.close();
  }
}

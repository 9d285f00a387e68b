import type { CredentialSource } from '@falco-airgap/oci';
import type { Command } from 'commander';
import { resolve } from 'node:path';
import type { ProxyEnvironment, ResolvedEnvironment } from '../environment.ts';
import { repeatable } from './repeatable.ts';

/** The registry flags as commander parsed them. */
export interface RegistryFlags {
  caFile?: string | undefined;
  plainHttp?: string[] | undefined;
  cacheDir?: string | undefined;
}

/** How registries are reached: TLS trust, plain-HTTP hosts, the blob cache and the credentials of `docker login`. */
export interface RegistryAccess {
  caFile: string | undefined;
  plainHttp: string[];
  cacheDir: string;
  dockerConfigDir: string;
  dockerHost: string | undefined;
  proxy: ProxyEnvironment;
  /** Asked before the docker config: the configuration file's logins, ECR tokens the pipeline obtained. */
  credentials?: CredentialSource | undefined;
}

/** Adds --ca-file, --plain-http and --cache-dir. */
export function addRegistryOptions(command: Command): Command {
  return command
    .option('--ca-file <pem>', 'trust this CA (besides the public roots) for registries')
    .option('--plain-http <host>', 'talk plain HTTP to this registry host[:port] (repeatable)', repeatable, [] as string[])
    .option('--cache-dir <dir>', 'blob cache (default: $XDG_CACHE_HOME/falco-airgap/oci or ~/.cache/falco-airgap/oci)');
}

/** The flags and the environment as the extractor's options; paths resolved against the working directory. */
export function registryAccess(flags: RegistryFlags, environment: ResolvedEnvironment, cwd: string, credentials?: CredentialSource): RegistryAccess {
  return {
    credentials,
    caFile: flags.caFile ? resolve(cwd, flags.caFile) : undefined,
    plainHttp: flags.plainHttp ?? [],
    cacheDir: flags.cacheDir ? resolve(cwd, flags.cacheDir) : environment.cacheDir,
    dockerConfigDir: environment.dockerConfigDir,
    dockerHost: environment.dockerHost,
    proxy: environment.proxy,
  };
}

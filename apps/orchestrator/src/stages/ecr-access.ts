import { definedFields } from '@falco-airgap/core';
import type { EnsuredRepository } from '@falco-airgap/eks-deployer';
import type { CredentialSource } from '@falco-airgap/oci';
import type { ResolvedEnvironment } from '../environment.ts';

const ECR_HOST = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?(:443)?$/i;

/** A private ECR registry named by `host[/path]`: its account, region and the repository prefix after the host. */
export interface EcrRegistry {
  account: string;
  region: string;
  host: string;
  /** e.g. `falco-airgap` for 123456789012.dkr.ecr.eu-west-1.amazonaws.com/falco-airgap; empty for none. */
  path: string;
}

/** The ECR registry a `--registry` value names, or undefined for any other registry. */
export function ecrRegistryOf(registry: string): EcrRegistry | undefined {
  const [host = '', ...path] = registry.split('/');
  const match = ECR_HOST.exec(host);
  if (!match) return undefined;
  return { account: match[1]!, region: match[2]!, host, path: path.join('/') };
}

export interface OpenedEcr {
  /** Registry credentials from GetAuthorizationToken, renewed before they expire. */
  credentials: CredentialSource;
  /** Creates missing repositories (immutable tags, scan on push, the KMS key when given) and brings existing ones to that. */
  ensureRepositories(names: readonly string[], kmsKey: string | undefined, signal: AbortSignal): Promise<EnsuredRepository[]>;
  close(): void;
}

/** An ECR client for the registry's region with the identity of the environment; the SDK is loaded only here. */
export async function openEcr(registry: EcrRegistry, environment: ResolvedEnvironment): Promise<OpenedEcr> {
  const [{ ECRClient }, { EcrCredentialSource, ensureRepositories }] = await Promise.all([import('@aws-sdk/client-ecr'), import('@falco-airgap/eks-deployer')]);
  const ecr = new ECRClient(
    definedFields({
      region: registry.region,
      endpoint: environment.awsEndpoints.ECR,
      credentials: environment.awsKeys && definedFields(environment.awsKeys),
      maxAttempts: 3,
      requestHandler: { connectionTimeout: 10_000, requestTimeout: 30_000 },
    }),
  );
  const source = new EcrCredentialSource({ ecr });
  return {
    credentials: {
      // The token is asked for the registry host the pipeline pushes to, whatever host GetAuthorizationToken names.
      lookup: async (host) => {
        if (host.toLowerCase() !== registry.host.toLowerCase()) return undefined;
        const { username, password } = await source.credentials();
        return { username, password };
      },
    },
    ensureRepositories: (names, kmsKey, signal) =>
      ensureRepositories(
        names.map((name) => definedFields({ name, kmsKey })),
        { ecr, signal },
      ),
    close: () => ecr.destroy(),
  };
}

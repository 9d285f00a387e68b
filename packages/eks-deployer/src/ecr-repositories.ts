import {
  CreateRepositoryCommand,
  DescribeRepositoriesCommand,
  PutImageScanningConfigurationCommand,
  PutImageTagMutabilityCommand,
  type ECRClient,
  type Repository,
} from '@aws-sdk/client-ecr';
import { mapConcurrently } from '@falco-airgap/core';
import { awsCall, awsErrorName, type AwsCallOptions } from './aws-errors.ts';
import { DeployError, DeployErrorCode } from './errors.ts';

/** A repository the images are pushed to, and how it must be set up. */
export interface RepositorySpec {
  /** e.g. falco-airgap/falco */
  name: string;
  /** KMS key (ARN, id or alias) encrypting the images; AES256 with AWS-owned keys when absent. */
  kmsKey?: string | undefined;
}

/** What a repository holds today, as far as the plan cares. */
export interface RepositoryState {
  name: string;
  uri: string | undefined;
  tagMutability: string | undefined;
  scanOnPush: boolean;
  encryptionType: string | undefined;
  kmsKey: string | undefined;
}

export type RepositoryAction =
  | { action: 'create'; name: string; kmsKey: string | undefined }
  | { action: 'update'; name: string; changes: ('immutable-tags' | 'scan-on-push')[]; warnings: string[] }
  | { action: 'unchanged'; name: string; warnings: string[] };

/**
 * What to do so every wanted repository exists with immutable tags and scan-on-push: pure, so it can
 * be printed as a plan. Encryption cannot change after creation; a different one is only a warning.
 */
export function planRepositories(wanted: readonly RepositorySpec[], existing: readonly RepositoryState[]): RepositoryAction[] {
  const byName = new Map(existing.map((repository) => [repository.name, repository]));
  return wanted.map((spec) => {
    checkRepositoryName(spec.name);
    const current = byName.get(spec.name);
    if (!current) return { action: 'create', name: spec.name, kmsKey: spec.kmsKey };
    const changes: ('immutable-tags' | 'scan-on-push')[] = [];
    if (current.tagMutability !== 'IMMUTABLE') changes.push('immutable-tags');
    if (!current.scanOnPush) changes.push('scan-on-push');
    const warnings: string[] = [];
    const wantKms = spec.kmsKey !== undefined;
    if (wantKms !== (current.encryptionType === 'KMS') || (wantKms && !sameKmsKey(spec.kmsKey!, current.kmsKey))) {
      warnings.push(
        `repository ${spec.name} is encrypted with ${current.encryptionType === 'KMS' ? `KMS key ${current.kmsKey}` : 'AES256'}, not ${wantKms ? `KMS key ${spec.kmsKey}` : 'AES256'}; encryption cannot change after creation`,
      );
    }
    return changes.length ? { action: 'update', name: spec.name, changes, warnings } : { action: 'unchanged', name: spec.name, warnings };
  });
}

const REPOSITORY_NAME = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;

function checkRepositoryName(name: string): void {
  if (name.length < 2 || name.length > 256 || !REPOSITORY_NAME.test(name)) {
    throw new DeployError(
      DeployErrorCode.EcrRepositoryName,
      `"${name}" is not a valid ECR repository name`,
      'use 2 to 256 lower-case letters, digits and . _ - / (each part starting and ending with a letter or digit), e.g. falco-airgap/falco',
    );
  }
}

// An alias or id given by the user matches the ARN ECR reports when it is its suffix.
function sameKmsKey(wanted: string, actual: string | undefined): boolean {
  return actual !== undefined && (actual === wanted || actual.endsWith(`/${wanted.replace(/^alias\//, '')}`) || actual.endsWith(`:${wanted}`));
}

export function repositoryState(repository: Repository): RepositoryState {
  return {
    name: repository.repositoryName ?? '',
    uri: repository.repositoryUri,
    tagMutability: repository.imageTagMutability,
    scanOnPush: repository.imageScanningConfiguration?.scanOnPush === true,
    encryptionType: repository.encryptionConfiguration?.encryptionType,
    kmsKey: repository.encryptionConfiguration?.kmsKey,
  };
}

export interface EnsureRepositoriesOptions extends AwsCallOptions {
  ecr: ECRClient;
  /** Bring existing repositories to immutable tags and scan-on-push (default true); false only reports them. */
  updateExisting?: boolean | undefined;
}

export interface EnsuredRepository {
  name: string;
  uri: string | undefined;
  status: 'created' | 'updated' | 'unchanged';
  /** What differs and was left alone (encryption; settings when updateExisting is false). */
  warnings: string[];
}

/** Reads the wanted repositories, plans, and creates or updates what the plan says. A second run changes nothing. */
export async function ensureRepositories(specs: readonly RepositorySpec[], options: EnsureRepositoriesOptions): Promise<EnsuredRepository[]> {
  const existing = (await mapConcurrently(specs, 4, (spec) => describeRepository(options, spec.name))).filter((r) => r !== undefined);
  const plan = planRepositories(specs, existing);
  const uris = new Map(existing.map((r) => [r.name, r.uri]));
  return mapConcurrently(plan, 4, async (step): Promise<EnsuredRepository> => {
    if (step.action === 'create') return { name: step.name, ...(await createRepository(options, step.name, step.kmsKey)) };
    if (step.action === 'unchanged') return { name: step.name, uri: uris.get(step.name), status: 'unchanged', warnings: step.warnings };
    if (options.updateExisting === false) {
      return {
        name: step.name,
        uri: uris.get(step.name),
        status: 'unchanged',
        warnings: [...step.warnings, `repository ${step.name} lacks ${step.changes.join(' and ')}`],
      };
    }
    await awsCall('ECR', `update repository ${step.name}`, options, async (abortSignal) => {
      if (step.changes.includes('immutable-tags'))
        await options.ecr.send(new PutImageTagMutabilityCommand({ repositoryName: step.name, imageTagMutability: 'IMMUTABLE' }), { abortSignal });
      if (step.changes.includes('scan-on-push'))
        await options.ecr.send(new PutImageScanningConfigurationCommand({ repositoryName: step.name, imageScanningConfiguration: { scanOnPush: true } }), {
          abortSignal,
        });
    });
    return { name: step.name, uri: uris.get(step.name), status: 'updated', warnings: step.warnings };
  });
}

async function describeRepository(options: EnsureRepositoriesOptions, name: string): Promise<RepositoryState | undefined> {
  const answer = await awsCall('ECR', `describe repository ${name}`, options, (abortSignal) =>
    options.ecr.send(new DescribeRepositoriesCommand({ repositoryNames: [name] }), { abortSignal }).catch((error: unknown) => {
      if (awsErrorName(error) === 'RepositoryNotFoundException') return undefined;
      throw error;
    }),
  );
  const repository = answer?.repositories?.[0];
  return repository ? repositoryState(repository) : undefined;
}

async function createRepository(options: EnsureRepositoriesOptions, name: string, kmsKey: string | undefined): Promise<Omit<EnsuredRepository, 'name'>> {
  const answer = await awsCall('ECR', `create repository ${name}`, options, (abortSignal) =>
    options.ecr
      .send(
        new CreateRepositoryCommand({
          repositoryName: name,
          imageTagMutability: 'IMMUTABLE',
          imageScanningConfiguration: { scanOnPush: true },
          encryptionConfiguration: kmsKey === undefined ? { encryptionType: 'AES256' } : { encryptionType: 'KMS', kmsKey },
          tags: [{ Key: 'managed-by', Value: 'falco-airgap' }],
        }),
        { abortSignal },
      )
      .catch((error: unknown) => {
        // Another pipeline created it between our read and our write: it exists, which is what we wanted.
        if (awsErrorName(error) === 'RepositoryAlreadyExistsException') return undefined;
        throw error;
      }),
  );
  if (answer === undefined) return { uri: (await describeRepository(options, name))?.uri, status: 'unchanged', warnings: [] };
  return { uri: answer.repository?.repositoryUri, status: 'created', warnings: [] };
}

import { makeDirectory } from '@falco-airgap/core';
import { chmod, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FleetIdentityError, FleetIdentityErrorCode } from './errors.ts';
import { readSigningKey, readVerificationKey, type ClusterKeyPair, type PublicJwk, type SigningKey } from './keys.ts';

export const PRIVATE_KEY_FILE = 'private.pem';
export const PUBLIC_KEY_FILE = 'public.pem';

export interface WrittenKeyPair {
  privateKeyFile: string;
  publicKeyFile: string;
}

/**
 * Writes `private.pem` (mode 0600) and `public.pem` (0644) into `dir`, creating it. An existing pair is never
 * overwritten: a new key for rotation goes into a new directory.
 */
export async function writeKeyPair(dir: string, pair: ClusterKeyPair): Promise<WrittenKeyPair> {
  const privateKeyFile = join(dir, PRIVATE_KEY_FILE);
  const publicKeyFile = join(dir, PUBLIC_KEY_FILE);
  try {
    await makeDirectory(dir, 0o700);
  } catch (cause) {
    throw writeFailed(dir, cause);
  }
  await writeExclusive(privateKeyFile, pair.privateKeyPem, 0o600);
  try {
    await writeExclusive(publicKeyFile, pair.publicKeyPem, 0o644);
  } catch (error) {
    // Half a pair is worse than none: the next attempt would refuse the private key it cannot match.
    await rm(privateKeyFile, { force: true });
    throw error;
  }
  return { privateKeyFile, publicKeyFile };
}

/** Reads a private key file into a signing key. */
export async function readSigningKeyFile(file: string): Promise<SigningKey> {
  return readSigningKey(await readKeyFile(file), file);
}

/** Reads a public key file into the JWK a JWKS publishes. */
export async function readVerificationKeyFile(file: string): Promise<PublicJwk> {
  return readVerificationKey(await readKeyFile(file), file);
}

async function readKeyFile(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (cause) {
    throw new FleetIdentityError(FleetIdentityErrorCode.InvalidKey, `cannot read ${file}`, 'check the path of the key file and that it is readable', cause);
  }
}

async function writeExclusive(file: string, text: string, mode: number): Promise<void> {
  try {
    await writeFile(file, text, { flag: 'wx', mode });
    // The umask may have taken bits away from `mode`, never added: chmod makes it exact.
    await chmod(file, mode);
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new FleetIdentityError(
        FleetIdentityErrorCode.KeyExists,
        `${file} already exists`,
        'keys are never overwritten: write the new key pair into another directory and publish both public keys while tokens move over',
        cause,
      );
    }
    throw writeFailed(file, cause);
  }
}

function writeFailed(path: string, cause: unknown): FleetIdentityError {
  return new FleetIdentityError(
    FleetIdentityErrorCode.WriteFailed,
    `cannot write ${path}`,
    'check that the directory is writable and the disk is not full',
    cause,
  );
}

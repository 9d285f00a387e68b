import {
  buildJwks,
  generateClusterKeyPair,
  isSigningAlgorithm,
  issueClusterToken,
  PUBLIC_KEY_FILE,
  readSigningKeyFile,
  readVerificationKeyFile,
  renderJwks,
  SIGNING_ALGORITHMS,
  writeKeyPair,
} from '@falco-airgap/fleet-identity';
import { rename, writeFile } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import { CliError, CliErrorCode } from '../cli-error.ts';
import type { CommandContext, CommandOutcome } from '../context.ts';
import { parseDuration } from '../options/duration.ts';

// Cluster identity for the event ingestor: keys, one token per cluster, and the JWKS the ingestor verifies tokens with.

export interface FleetKeygenOptions {
  out: string;
  alg: string;
}

/** `falco-airgap fleet keygen`: a signing key pair in a directory of its own; the private key is written 0600. */
export async function fleetKeygen(ctx: CommandContext, options: FleetKeygenOptions): Promise<CommandOutcome> {
  if (!isSigningAlgorithm(options.alg))
    throw new CliError(`unknown --alg "${options.alg}"`, CliErrorCode.Usage, 'input', `use ${SIGNING_ALGORITHMS.join(' or ')}`);
  const dir = resolve(ctx.cwd, options.out);
  const pair = await generateClusterKeyPair({ algorithm: options.alg });
  const written = await writeKeyPair(dir, pair);
  const shown = (file: string) => relative(ctx.cwd, file) || file;
  return {
    data: { algorithm: pair.algorithm, kid: pair.kid, privateKey: written.privateKeyFile, publicKey: written.publicKeyFile },
    summary:
      `wrote ${shown(written.privateKeyFile)} (private, mode 0600) and ${shown(written.publicKeyFile)} (${pair.algorithm}, key id ${pair.kid}); ` +
      `publish the public key with falco-airgap fleet jwks --key ${shown(written.publicKeyFile)}`,
  };
}

export interface FleetTokenOptions {
  cluster: string;
  key: string;
  ttl: string;
  issuer: string;
  audience: string;
}

/** `falco-airgap fleet token`: a signed token naming one cluster, printed alone so it can go straight into a Secret. */
export async function fleetToken(ctx: CommandContext, options: FleetTokenOptions): Promise<CommandOutcome> {
  const ttlMs = parseDuration(options.ttl, '--ttl', '90d, 12h or 3600s');
  if (ttlMs < 1000) throw new CliError('--ttl must be at least 1s', CliErrorCode.Usage, 'input', 'e.g. --ttl 90d');
  const key = await readSigningKeyFile(resolve(ctx.cwd, options.key));
  const issued = await issueClusterToken({ cluster: options.cluster, key, ttl: ttlMs / 1000, issuer: options.issuer, audience: options.audience });
  return {
    output: `${issued.token}\n`,
    data: {
      token: issued.token,
      kid: issued.kid,
      algorithm: issued.algorithm,
      cluster: issued.claims.cluster,
      issuer: issued.claims.iss,
      audience: issued.claims.aud,
      jti: issued.claims.jti,
      issuedAt: issued.issuedAt.toISOString(),
      expiresAt: issued.expiresAt.toISOString(),
    },
  };
}

export interface FleetJwksOptions {
  key: string[];
  out?: string | undefined;
}

/** `falco-airgap fleet jwks`: the JWKS of the given public keys; rotation lists old and new, revocation leaves a key out. */
export async function fleetJwks(ctx: CommandContext, options: FleetJwksOptions): Promise<CommandOutcome> {
  if (options.key.length === 0) {
    throw new CliError('no public key given', CliErrorCode.Usage, 'input', `name each key in force with --key, e.g. --key keys/2026-05/${PUBLIC_KEY_FILE}`);
  }
  const keys = [];
  for (const file of options.key) keys.push(await readVerificationKeyFile(resolve(ctx.cwd, file)));
  const jwks = buildJwks(keys);
  const text = renderJwks(jwks);
  const data = { keys: jwks.keys.map((key) => ({ kid: key.kid, alg: key.alg })), out: options.out, jwks };
  if (options.out === undefined) return { output: text, data };
  const out = resolve(ctx.cwd, options.out);
  // Readers (the ingestor) see the old file or the new one, never half of it.
  await writeFile(`${out}.tmp`, text, { mode: 0o644 });
  await rename(`${out}.tmp`, out);
  return { data, summary: `wrote ${options.out}: ${jwks.keys.length} key${jwks.keys.length === 1 ? '' : 's'} (${jwks.keys.map((key) => key.kid).join(', ')})` };
}

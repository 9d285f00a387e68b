import { readFile, stat } from 'node:fs/promises';
import { FleetIdentityError, FleetIdentityErrorCode, isFleetIdentityError } from './errors.ts';
import { importKeySet, parseJwks, type KeySet } from './jwks.ts';
import { verifyClusterToken, type VerificationPolicy, type VerifiedClusterToken } from './verify.ts';

export const DEFAULT_CHECK_INTERVAL_MS = 1_000;
export const DEFAULT_UNKNOWN_KEY_RELOAD_INTERVAL_MS = 10_000;
export const DEFAULT_VERIFIED_CACHE_SIZE = 10_000;

export interface JwksFileVerifierOptions extends VerificationPolicy {
  /** The JWKS file, e.g. a mounted Secret; replacing or rewriting it rotates keys without a restart. */
  file: string;
  /** How often, at most, the file is looked at for a change (default 1 s). */
  checkIntervalMs?: number;
  /** How often, at most, a token with a key id the set lacks forces a re-read (default 10 s): a flood of made-up ids costs no I/O. */
  unknownKeyReloadIntervalMs?: number;
  /** The clock, in milliseconds (default `Date.now`). */
  now?: () => number;
  /**
   * Tokens verified against the keys in force, remembered until they expire or the keys change (default 10 000, 0: none):
   * a cluster sends the same token with every event, and a signature check costs more than the rest of the request.
   */
  cacheSize?: number;
  /** Told of every reload: the key ids now in force, or why the file was refused (the previous keys stay in force). */
  onReload?: (event: KeySetReload) => void;
}

export type KeySetReload = { ok: true; file: string; keyIds: string[] } | { ok: false; file: string; error: FleetIdentityError };

export interface KeySetStatus {
  keyIds: string[];
  loadedAt: Date;
  /** Why the last attempt to read the file failed, while the keys read before it stay in force. */
  lastError: FleetIdentityError | undefined;
}

/** Verifies cluster tokens against the keys of a JWKS file it keeps up to date. */
export interface ClusterTokenVerifier {
  verify(token: string): Promise<VerifiedClusterToken>;
  status(): KeySetStatus;
  /** Re-reads the file now. */
  reload(): Promise<void>;
}

/**
 * Reads the JWKS file once (an unreadable or invalid file is an error here) and returns a verifier that re-reads it when
 * its size, mtime or inode changes, and when a token names a key id the set lacks, both rate-limited. A file that turns
 * unreadable or invalid later keeps the last good keys in force and is reported through `onReload` and `status()`.
 */
export async function createJwksFileVerifier(options: JwksFileVerifierOptions): Promise<ClusterTokenVerifier> {
  const now = options.now ?? Date.now;
  const checkIntervalMs = options.checkIntervalMs ?? DEFAULT_CHECK_INTERVAL_MS;
  const unknownKeyIntervalMs = options.unknownKeyReloadIntervalMs ?? DEFAULT_UNKNOWN_KEY_RELOAD_INTERVAL_MS;
  const policy: VerificationPolicy = definedPolicy(options);

  let current = await load(options.file);
  let lastError: FleetIdentityError | undefined;
  let lastCheck = now();
  let lastForcedReload = -Infinity;
  let inflight: Promise<void> | undefined;
  const cacheSize = options.cacheSize ?? DEFAULT_VERIFIED_CACHE_SIZE;
  const verified = new Map<string, VerifiedClusterToken>();
  let verifiedUnder = current;

  // One read at a time: concurrent requests that find the file changed wait for the same reload.
  const reload = (): Promise<void> => {
    inflight ??= (async () => {
      try {
        const next = await load(options.file);
        if (next.fingerprint !== current.fingerprint || next.keyIds.join() !== current.keyIds.join()) {
          current = next;
          options.onReload?.({ ok: true, file: options.file, keyIds: next.keyIds });
        }
        lastError = undefined;
      } catch (error) {
        lastError = isFleetIdentityError(error) ? error : unavailable(options.file, error);
        options.onReload?.({ ok: false, file: options.file, error: lastError });
      } finally {
        lastCheck = now();
        inflight = undefined;
      }
    })();
    return inflight;
  };

  let checking: Promise<void> | undefined;
  // Requests arriving while a check runs wait for it, so none is verified against keys about to be replaced.
  const reloadIfChanged = (): Promise<void> | undefined => {
    if (checking !== undefined || now() - lastCheck < checkIntervalMs) return checking;
    lastCheck = now();
    checking = (async () => {
      try {
        const fingerprint = fingerprintOf(await stat(options.file));
        if (fingerprint !== current.fingerprint) await reload();
      } catch (error) {
        lastError = unavailable(options.file, error);
      } finally {
        checking = undefined;
      }
    })();
    return checking;
  };

  return {
    async verify(token) {
      await reloadIfChanged();
      // New keys (a rotation, a revocation) forget every token verified under the old ones.
      if (verifiedUnder !== current) {
        verified.clear();
        verifiedUnder = current;
      }
      const known = verified.get(token);
      if (known !== undefined && known.expiresAt.getTime() > now()) return known;
      let result: VerifiedClusterToken;
      try {
        result = await verifyClusterToken(token, current.keySet, policy, new Date(now()));
      } catch (error) {
        if (!isFleetIdentityError(error, FleetIdentityErrorCode.UnknownKey) || now() - lastForcedReload < unknownKeyIntervalMs) throw error;
        lastForcedReload = now();
        await reload();
        return verifyClusterToken(token, current.keySet, policy, new Date(now()));
      }
      if (cacheSize > 0 && verifiedUnder === current) {
        // The oldest entry goes first: a Map iterates in insertion order.
        if (verified.size >= cacheSize) verified.delete(verified.keys().next().value!);
        verified.set(token, result);
      }
      return result;
    },
    status() {
      return { keyIds: [...current.keyIds], loadedAt: current.loadedAt, lastError };
    },
    reload,
  };

  async function load(file: string): Promise<{ keySet: KeySet; keyIds: string[]; fingerprint: string; loadedAt: Date }> {
    let text: string;
    let fingerprint: string;
    try {
      // The fingerprint is taken before the read: a change during the read is seen at the next check.
      fingerprint = fingerprintOf(await stat(file));
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw unavailable(file, error);
    }
    const jwks = await parseJwks(text, file);
    return { keySet: await importKeySet(jwks, file), keyIds: jwks.keys.map((key) => key.kid), fingerprint, loadedAt: new Date(now()) };
  }
}

function fingerprintOf(stats: { size: number; mtimeMs: number; ino: number }): string {
  return `${stats.ino}:${stats.size}:${stats.mtimeMs}`;
}

function definedPolicy(options: VerificationPolicy): VerificationPolicy {
  return {
    issuer: options.issuer,
    audience: options.audience,
    ...(options.algorithms === undefined ? {} : { algorithms: options.algorithms }),
    ...(options.clockSkewSeconds === undefined ? {} : { clockSkewSeconds: options.clockSkewSeconds }),
  };
}

function unavailable(file: string, cause: unknown): FleetIdentityError {
  return new FleetIdentityError(
    FleetIdentityErrorCode.KeySetUnavailable,
    `cannot read the JWKS file ${file}`,
    'check that `file` names the mounted JWKS and that it is readable',
    cause,
  );
}

import { isValidClusterName } from '@falco-airgap/fleet-identity';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { IngestorError, IngestorErrorCode } from './errors.ts';

/** A person or team reading the event view, and the clusters they may see (`all`: every cluster). */
export interface Operator {
  name: string;
  clusters: readonly string[] | 'all';
}

/** An operator as the directory keeps it: the SHA-256 of the token is both what is compared and the key sessions are signed with. */
export interface OperatorEntry {
  operator: Operator;
  tokenDigest: Buffer;
}

/** The operators of one tokens file. */
export interface OperatorDirectory {
  /** The operator whose token this is; every entry is compared, each in constant time. */
  authenticate(token: string): OperatorEntry | undefined;
  byName(name: string): OperatorEntry | undefined;
  size: number;
}

export const MIN_TOKEN_LENGTH = 32;
const NAME = /^[^\p{Cc}]{1,256}$/u;
const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * Reads the operator tokens file: `{"operators": [{"name", "token" | "tokenSha256", "clusters": [...] | ["*"]}]}`.
 * `source` names the file in errors.
 */
export function parseOperatorTokens(text: string, source: string): OperatorDirectory {
  const fail = (message: string) =>
    new IngestorError(
      IngestorErrorCode.OperatorTokens,
      `${source}: ${message}`,
      `write {"operators":[{"name":"alice","token":"<${MIN_TOKEN_LENGTH}+ random characters>","clusters":["prod-eu-1"]}]} (or "tokenSha256" instead of "token", "clusters":["*"] for every cluster)`,
    );
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (cause) {
    throw fail(`is not JSON (${(cause as Error).message})`);
  }
  const list = (document as { operators?: unknown } | null)?.operators;
  if (typeof document !== 'object' || document === null || Array.isArray(document) || !Array.isArray(list) || Object.keys(document).length !== 1)
    throw fail('must be one object with a single key "operators", a list');
  const entries: OperatorEntry[] = [];
  const names = new Set<string>();
  const digests = new Set<string>();
  list.forEach((item: unknown, index) => {
    const at = `/operators/${index}`;
    if (typeof item !== 'object' || item === null || Array.isArray(item)) throw fail(`${at} is not an object`);
    const record = item as Record<string, unknown>;
    const unknown = Object.keys(record).filter((key) => !['name', 'token', 'tokenSha256', 'clusters'].includes(key));
    if (unknown.length > 0) throw fail(`${at} has unknown keys ${unknown.join(', ')}`);
    const { name, token, tokenSha256, clusters } = record;
    if (typeof name !== 'string' || !NAME.test(name)) throw fail(`${at}/name must be 1 to 256 printable characters`);
    if (names.has(name)) throw fail(`${at}/name "${name}" appears twice`);
    names.add(name);
    let digest: Buffer;
    if (typeof token === 'string' && tokenSha256 === undefined) {
      if (token.length < MIN_TOKEN_LENGTH || /\s/.test(token)) throw fail(`${at}/token must be at least ${MIN_TOKEN_LENGTH} characters without spaces`);
      digest = sha256(token);
    } else if (typeof tokenSha256 === 'string' && token === undefined && SHA256_HEX.test(tokenSha256)) {
      digest = Buffer.from(tokenSha256, 'hex');
    } else {
      throw fail(`${at} needs exactly one of "token" or "tokenSha256" (64 lowercase hex digits)`);
    }
    if (digests.has(digest.toString('hex'))) throw fail(`${at} has the same token as another operator`);
    digests.add(digest.toString('hex'));
    if (!Array.isArray(clusters) || clusters.length === 0 || !clusters.every((c): c is string => typeof c === 'string'))
      throw fail(`${at}/clusters must be a list of cluster names, or ["*"] for every cluster`);
    if (clusters.includes('*') && clusters.length > 1) throw fail(`${at}/clusters: "*" stands alone`);
    const bad = clusters.find((c) => c !== '*' && !isValidClusterName(c));
    if (bad !== undefined) throw fail(`${at}/clusters: ${JSON.stringify(bad)} is not a cluster name`);
    entries.push({ operator: { name, clusters: clusters[0] === '*' ? 'all' : [...new Set(clusters)].sort() }, tokenDigest: digest });
  });
  const byName = new Map(entries.map((entry) => [entry.operator.name, entry]));
  return {
    size: entries.length,
    authenticate(token) {
      const presented = sha256(token);
      let found: OperatorEntry | undefined;
      // No early exit: the time taken does not tell how many entries were compared.
      for (const entry of entries) if (timingSafeEqual(presented, entry.tokenDigest)) found = entry;
      return found;
    },
    byName: (name) => byName.get(name),
  };
}

// Compared against when the name is unknown, so an unknown name costs the same as a wrong token.
const NO_OPERATOR_DIGEST = randomBytes(32);

/** Whether `name` could name an operator: 1 to 256 characters, none of them a control character. */
export function isOperatorName(name: string): boolean {
  return NAME.test(name);
}

/** The operator of this name, if `token` is that operator's; the same work whether or not the name exists. */
export function authenticateOperator(directory: OperatorDirectory, name: string, token: string): OperatorEntry | undefined {
  const entry = directory.byName(name);
  const matches = timingSafeEqual(sha256(token), entry?.tokenDigest ?? NO_OPERATOR_DIGEST);
  return matches ? entry : undefined;
}

export interface OperatorTokensFile {
  /** The directory of the file as it is now: re-read when the file changes, looked at most once per check interval. */
  current(): Promise<OperatorDirectory>;
}

/**
 * Reads the tokens file once (unreadable or invalid: an error here) and keeps it current, like a mounted Secret that
 * is updated in place. A file that turns invalid later keeps the last good operators and is reported through `onReload`.
 */
export async function openOperatorTokensFile(options: {
  file: string;
  checkIntervalMs?: number;
  now?: () => number;
  onReload?: (event: { ok: true; operators: number } | { ok: false; error: IngestorError }) => void;
}): Promise<OperatorTokensFile> {
  const now = options.now ?? Date.now;
  const checkIntervalMs = options.checkIntervalMs ?? 5_000;
  const read = async () => {
    let text: string;
    let signature: string;
    try {
      const info = await stat(options.file);
      signature = `${info.ino}:${info.size}:${info.mtimeMs}`;
      text = await readFile(options.file, 'utf8');
    } catch (cause) {
      throw new IngestorError(
        IngestorErrorCode.OperatorTokens,
        `cannot read the operator tokens file ${options.file}: ${(cause as Error).message}`,
        'mount the Secret that holds it, or set `operatorTokensFile` to an existing file',
        cause,
      );
    }
    return { directory: parseOperatorTokens(text, options.file), signature };
  };
  let loaded = await read();
  let lastCheck = now();
  let inflight: Promise<void> | undefined;
  const refresh = async () => {
    try {
      const info = await stat(options.file);
      if (`${info.ino}:${info.size}:${info.mtimeMs}` === loaded.signature) return;
      loaded = await read();
      options.onReload?.({ ok: true, operators: loaded.directory.size });
    } catch (error) {
      const refused =
        error instanceof IngestorError
          ? error
          : new IngestorError(IngestorErrorCode.OperatorTokens, (error as Error).message, 'fix the operator tokens file', error);
      options.onReload?.({ ok: false, error: refused });
    }
  };
  return {
    async current() {
      if (now() - lastCheck >= checkIntervalMs) {
        lastCheck = now();
        inflight ??= refresh().finally(() => (inflight = undefined));
        await inflight;
      }
      return loaded.directory;
    },
  };
}

export function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

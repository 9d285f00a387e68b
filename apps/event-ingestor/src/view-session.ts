import { createHmac, timingSafeEqual } from 'node:crypto';
import type { OperatorDirectory, OperatorEntry } from './operator-tokens.ts';

export const SESSION_TTL_SECONDS = 12 * 3600;

// Sessions are signed with the operator's own token digest: any replica can check them, and a new token ends the old sessions.
const mac = (entry: OperatorEntry, purpose: string, text: string) => createHmac('sha256', entry.tokenDigest).update(`${purpose}\n${text}`).digest();

/** The session cookie's value: `<name, base64url>.<expiry, unix seconds>.<HMAC>`; it holds no token. */
export function issueSession(entry: OperatorEntry, nowMs: number, ttlSeconds = SESSION_TTL_SECONDS): string {
  const payload = `${Buffer.from(entry.operator.name, 'utf8').toString('base64url')}.${Math.floor(nowMs / 1000) + ttlSeconds}`;
  return `${payload}.${mac(entry, 'session', payload).toString('base64url')}`;
}

/** The operator a session cookie belongs to, if its signature holds under that operator's current token and it has not expired. */
export function verifySession(value: string, directory: OperatorDirectory, nowMs: number): OperatorEntry | undefined {
  const match = /^([A-Za-z0-9_-]{1,400})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(value);
  if (!match) return undefined;
  const [, name, expires, signature] = match as unknown as [string, string, string, string];
  if (Number(expires) * 1000 <= nowMs) return undefined;
  const entry = directory.byName(Buffer.from(name, 'base64url').toString('utf8'));
  if (!entry) return undefined;
  return equal(mac(entry, 'session', `${name}.${expires}`), Buffer.from(signature, 'base64url')) ? entry : undefined;
}

/** The anti-CSRF token of a session: forms carry it, and only pages of this origin can read it. */
export function csrfToken(entry: OperatorEntry, session: string): string {
  return mac(entry, 'csrf', session).toString('base64url');
}

export function checkCsrfToken(entry: OperatorEntry, session: string, presented: unknown): boolean {
  return typeof presented === 'string' && equal(mac(entry, 'csrf', session), Buffer.from(presented, 'base64url'));
}

function equal(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

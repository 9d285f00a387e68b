import { isIPv4, isIPv6 } from 'node:net';

/** Failed sign-ins allowed per operator name and per client address within one window. */
export interface SignInLimits {
  /** Failed sign-ins per operator name (default 5). */
  perOperator: number;
  /** Failed sign-ins per client address (default 20). */
  perAddress: number;
  /** The sliding window the failures are counted in, in seconds (default 900). */
  windowSeconds: number;
}

export const DEFAULT_SIGN_IN_LIMITS: Readonly<SignInLimits> = { perOperator: 5, perAddress: 20, windowSeconds: 900 };

export interface FailureLimiterOptions {
  maxFailures: number;
  windowMs: number;
  /** Keys tracked at most; past it, the key whose last failure is oldest is forgotten first (default 10 000). */
  maxKeys?: number;
  /** The clock, in milliseconds (default `performance.now` plus the time origin: monotonic). */
  now?: () => number;
}

export type FailureCheck = { limited: false } | { limited: true; retryAfterSeconds: number };

/** What a recorded failure led to; `firstLimit` is true once per key and window, when the key has just become limited. */
export type FailureOutcome = { limited: false } | { limited: true; retryAfterSeconds: number; firstLimit: boolean };

export interface FailureLimiter {
  /** Whether `key` is limited now; records nothing. */
  check(key: string): FailureCheck;
  /** Records one failure of `key`. */
  fail(key: string): FailureOutcome;
  /** Forgets the failures of `key` (a successful sign-in). */
  reset(key: string): void;
  trackedKeys(): number;
}

interface Entry {
  /** Times of the failures still in the window, oldest first; never more than `maxFailures`. */
  failures: number[];
  warnedAt: number | undefined;
}

/**
 * A sliding-window count of failures per key, held in memory: at most `maxFailures` within `windowMs`, then limited
 * until the oldest of them leaves the window. Memory is bounded by `maxKeys` × `maxFailures` timestamps.
 */
export function createFailureLimiter(options: FailureLimiterOptions): FailureLimiter {
  const { maxFailures, windowMs } = options;
  const maxKeys = options.maxKeys ?? 10_000;
  if (!Number.isInteger(maxFailures) || maxFailures < 1) throw new RangeError(`maxFailures must be a whole number of at least 1, got ${maxFailures}`);
  if (!(windowMs >= 1)) throw new RangeError(`windowMs must be at least 1, got ${windowMs}`);
  if (!Number.isInteger(maxKeys) || maxKeys < 1) throw new RangeError(`maxKeys must be a whole number of at least 1, got ${maxKeys}`);
  const now = options.now ?? (() => performance.timeOrigin + performance.now());
  // Insertion order is the order of each key's last failure, so expired keys and eviction candidates come first.
  const entries = new Map<string, Entry>();

  const forgetExpired = (t: number) => {
    for (const [key, entry] of entries) {
      if (entry.failures.at(-1)! > t - windowMs) break;
      entries.delete(key);
    }
  };
  const inWindow = (entry: Entry, t: number) => {
    while (entry.failures.length > 0 && entry.failures[0]! <= t - windowMs) entry.failures.shift();
    return entry.failures;
  };
  const retryAfter = (failures: number[], t: number) => Math.max(1, Math.ceil((failures[0]! + windowMs - t) / 1000));

  return {
    check(key) {
      const t = now();
      forgetExpired(t);
      const entry = entries.get(key);
      if (entry === undefined) return { limited: false };
      const failures = inWindow(entry, t);
      return failures.length >= maxFailures ? { limited: true, retryAfterSeconds: retryAfter(failures, t) } : { limited: false };
    },
    fail(key) {
      const t = now();
      forgetExpired(t);
      let entry = entries.get(key);
      if (entry === undefined) {
        while (entries.size >= maxKeys) entries.delete(entries.keys().next().value!);
        entry = { failures: [], warnedAt: undefined };
      } else {
        entries.delete(key);
      }
      entries.set(key, entry);
      const failures = inWindow(entry, t);
      failures.push(t);
      // Failures racing past a check are still counted, but only the newest ones are kept.
      if (failures.length > maxFailures) failures.splice(0, failures.length - maxFailures);
      if (failures.length < maxFailures) return { limited: false };
      const firstLimit = entry.warnedAt === undefined || entry.warnedAt <= t - windowMs;
      if (firstLimit) entry.warnedAt = t;
      return { limited: true, retryAfterSeconds: retryAfter(failures, t), firstLimit };
    },
    reset(key) {
      entries.delete(key);
    },
    trackedKeys: () => entries.size,
  };
}

export interface SignInGuardOptions extends Partial<SignInLimits> {
  /** Names and addresses tracked at most, each (default 10 000). */
  maxTrackedKeys?: number;
  /** The clock, in milliseconds (default monotonic). */
  now?: () => number;
}

/** A limit in force: on the operator name tried, or on the address it was tried from. */
export interface SignInLimited {
  scope: 'operator' | 'address';
  retryAfterSeconds: number;
}

/** A sign-in attempt as the limits see it: the client address key, and the operator name when it could be one. */
export interface SignInAttempt {
  address: string;
  operator?: string | undefined;
}

export interface SignInGuard {
  readonly limits: Readonly<SignInLimits>;
  /** The longest limit in force on the attempt's address or name, if any; records nothing. */
  check(attempt: SignInAttempt): SignInLimited | undefined;
  /** Counts a failed attempt against its address and name; answers the limits it brought into force, once per key and window. */
  failed(attempt: SignInAttempt): SignInLimited[];
  /** A sign-in that succeeded: the name's failures are forgotten, the address's are not. */
  succeeded(operator: string): void;
}

/** Failed sign-ins counted per operator name and per client address, each in a sliding window of its own. */
export function createSignInGuard(options: SignInGuardOptions = {}): SignInGuard {
  const limits: SignInLimits = {
    perOperator: options.perOperator ?? DEFAULT_SIGN_IN_LIMITS.perOperator,
    perAddress: options.perAddress ?? DEFAULT_SIGN_IN_LIMITS.perAddress,
    windowSeconds: options.windowSeconds ?? DEFAULT_SIGN_IN_LIMITS.windowSeconds,
  };
  const limiter = (maxFailures: number) =>
    createFailureLimiter({
      maxFailures,
      windowMs: limits.windowSeconds * 1000,
      ...(options.maxTrackedKeys === undefined ? {} : { maxKeys: options.maxTrackedKeys }),
      ...(options.now === undefined ? {} : { now: options.now }),
    });
  const byOperator = limiter(limits.perOperator);
  const byAddress = limiter(limits.perAddress);
  const scoped = (scope: SignInLimited['scope'], check: FailureCheck): SignInLimited[] =>
    check.limited ? [{ scope, retryAfterSeconds: check.retryAfterSeconds }] : [];

  return {
    limits,
    check({ address, operator }) {
      const limited = [
        ...scoped('operator', operator === undefined ? { limited: false } : byOperator.check(operator)),
        ...scoped('address', byAddress.check(address)),
      ];
      return limited.sort((a, b) => b.retryAfterSeconds - a.retryAfterSeconds)[0];
    },
    failed({ address, operator }) {
      const outcomes: [SignInLimited['scope'], FailureOutcome][] = [['address', byAddress.fail(address)]];
      if (operator !== undefined) outcomes.push(['operator', byOperator.fail(operator)]);
      return outcomes.flatMap(([scope, outcome]) => (outcome.limited && outcome.firstLimit ? [{ scope, retryAfterSeconds: outcome.retryAfterSeconds }] : []));
    },
    succeeded: (operator) => byOperator.reset(operator),
  };
}

/**
 * The key a client address is limited by: IPv4 as it is (also when mapped into IPv6), IPv6 by its /64, since one host
 * or one customer commonly holds a whole /64; anything else as it is.
 */
export function clientAddressKey(address: string): string {
  if (isIPv4(address)) return address;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped !== undefined && isIPv4(mapped)) return mapped;
  if (!isIPv6(address)) return address;
  const bare = address.replace(/%.*$/, '');
  const [head = '', tail] = bare.split('::') as [string, string | undefined];
  const groups = (part: string) => (part === '' ? [] : part.split(':'));
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  // An embedded IPv4 tail counts as two groups; it never reaches the first four.
  const rightCount = right.reduce((n, group) => n + (group.includes('.') ? 2 : 1), 0);
  const full = [...left, ...Array<string>(Math.max(0, 8 - left.length - rightCount)).fill('0'), ...right];
  return `${full
    .slice(0, 4)
    .map((group) => Number.parseInt(group, 16).toString(16))
    .join(':')}::/64`;
}

/** Runs at most `concurrency` tasks at once; the rest wait their turn in order. */
export function createLimit(concurrency: number): <T>(task: () => Promise<T>) => Promise<T> {
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`);
  let active = 0;
  const queue: (() => void)[] = [];
  const next = () => {
    active--;
    queue.shift()?.();
  };
  return <T>(task: () => Promise<T>) =>
    new Promise<T>((resolve, reject) => {
      const run = () => {
        active++;
        task().then(resolve, reject).finally(next);
      };
      if (active < concurrency) run();
      else queue.push(run);
    });
}

/**
 * Maps items through an async function with at most `limit` calls in flight, keeping order.
 * After the first failure no new call starts; the first error is rethrown once the running ones settle.
 */
export async function mapConcurrently<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (!failure && next < items.length) {
      const index = next++;
      try {
        results[index] = await fn(items[index]!, index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failure) throw failure.error;
  return results;
}

/** How often and how patiently to retry an operation that failed in a way that may pass. */
export interface RetryPolicy {
  /** Attempts in total, the first one included. */
  attempts: number;
  /** Delay before the second attempt; doubles each time, with jitter, up to maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { attempts: 5, baseDelayMs: 250, maxDelayMs: 8_000 };

/**
 * Delay before attempt `attempt` (1-based; attempt 2 is the first retry). A server's Retry-After in
 * seconds wins when given, capped at maxDelayMs so a hostile server cannot stall us for hours.
 */
export function retryDelayMs(policy: RetryPolicy, attempt: number, retryAfter?: string | undefined, random: () => number = Math.random): number {
  const seconds = retryAfter !== undefined && /^\d+$/.test(retryAfter.trim()) ? Number(retryAfter.trim()) : undefined;
  if (seconds !== undefined) return Math.min(seconds * 1000, policy.maxDelayMs);
  const exponential = policy.baseDelayMs * 2 ** Math.max(0, attempt - 2);
  return Math.min(policy.maxDelayMs, exponential / 2 + (random() * exponential) / 2);
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** What `retry` asks of the failure before trying again. */
export interface RetryDecision {
  retry: boolean;
  /** A server's Retry-After value, when it sent one. */
  retryAfter?: string | undefined;
}

export interface RetryOptions {
  policy?: RetryPolicy | undefined;
  signal?: AbortSignal | undefined;
  /** Decides whether a failure may pass on another try; nothing is retried by default. */
  shouldRetry?: (error: unknown, attempt: number) => RetryDecision | boolean;
  /** Called before each retry, e.g. to report it. */
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  random?: () => number;
}

/**
 * Runs `operation` until it succeeds, the policy's attempts are spent, `shouldRetry` says no, or
 * `signal` aborts; the last error is rethrown as it was.
 */
export async function retry<T>(operation: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const policy = options.policy ?? DEFAULT_RETRY_POLICY;
  for (let attempt = 1; ; attempt++) {
    options.signal?.throwIfAborted();
    try {
      return await operation(attempt);
    } catch (error) {
      if (attempt >= policy.attempts || options.signal?.aborted) throw error;
      const decision = options.shouldRetry?.(error, attempt) ?? false;
      const { retry: again, retryAfter } = typeof decision === 'boolean' ? { retry: decision, retryAfter: undefined } : decision;
      if (!again) throw error;
      const delay = retryDelayMs(policy, attempt + 1, retryAfter, options.random);
      options.onRetry?.(error, attempt, delay);
      await sleep(delay, options.signal);
    }
  }
}

import { describe, expect, it } from 'vitest';
import { createRateLimiter } from './rate-limit.ts';

describe('per-cluster token bucket', () => {
  it('lets a burst through, then the rate, and says when to retry', () => {
    let t = 0;
    const limiter = createRateLimiter({ rate: 2, burst: 3, now: () => t });
    expect([1, 2, 3].map(() => limiter.take('a').allowed)).toEqual([true, true, true]);
    expect(limiter.take('a')).toEqual({ allowed: false, retryAfterSeconds: 1 });
    t += 500;
    expect(limiter.take('a').allowed).toBe(true);
    expect(limiter.take('a').allowed).toBe(false);
    t += 10_000;
    expect([1, 2, 3, 4].map(() => limiter.take('a').allowed)).toEqual([true, true, true, false]);
  });

  it('keeps clusters apart', () => {
    const limiter = createRateLimiter({ rate: 1, burst: 1, now: () => 0 });
    expect(limiter.take('noisy').allowed).toBe(true);
    expect(limiter.take('noisy').allowed).toBe(false);
    expect(limiter.take('quiet').allowed).toBe(true);
  });

  it('rounds Retry-After up for slow rates', () => {
    const limiter = createRateLimiter({ rate: 0.1, burst: 1, now: () => 0 });
    limiter.take('a');
    expect(limiter.take('a')).toEqual({ allowed: false, retryAfterSeconds: 10 });
  });

  it('forgets full buckets once it tracks too many clusters', () => {
    let t = 0;
    const limiter = createRateLimiter({ rate: 1, burst: 2, now: () => t, maxTrackedClusters: 3 });
    for (const c of ['a', 'b', 'c']) limiter.take(c);
    t += 5_000;
    limiter.take('d');
    expect(limiter.trackedClusters()).toBe(1);
    expect(() => createRateLimiter({ rate: 0, burst: 1 })).toThrow(RangeError);
  });
});

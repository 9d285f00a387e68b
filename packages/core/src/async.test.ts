import { describe, expect, it } from 'vitest';
import { createLimit, mapConcurrently, retry, retryDelayMs, sleep } from './async.ts';

describe('createLimit / mapConcurrently', () => {
  it('never runs more than the limit at once and keeps the order of results', async () => {
    let active = 0;
    let peak = 0;
    const results = await mapConcurrently([5, 1, 4, 2, 3], 2, async (n) => {
      active++;
      peak = Math.max(peak, active);
      await sleep(n);
      active--;
      return n * 10;
    });
    expect(results).toEqual([50, 10, 40, 20, 30]);
    expect(peak).toBe(2);
  });

  it('starts nothing new after a failure and rethrows the first error', async () => {
    const started: number[] = [];
    await expect(
      mapConcurrently([1, 2, 3, 4], 1, async (n) => {
        started.push(n);
        if (n === 2) throw new Error('boom');
        return n;
      }),
    ).rejects.toThrow('boom');
    expect(started).toEqual([1, 2]);
  });

  it('queues tasks beyond the limit in order', async () => {
    const limit = createLimit(1);
    const order: string[] = [];
    await Promise.all(['a', 'b', 'c'].map((x) => limit(async () => order.push(x))));
    expect(order).toEqual(['a', 'b', 'c']);
    expect(() => createLimit(0)).toThrow(RangeError);
  });
});

describe('retry', () => {
  const fast = { attempts: 3, baseDelayMs: 1, maxDelayMs: 2 };

  it('retries what shouldRetry accepts, up to the attempts of the policy', async () => {
    let calls = 0;
    await expect(
      retry(
        async () => {
          calls++;
          throw new Error('flaky');
        },
        { policy: fast, shouldRetry: () => true },
      ),
    ).rejects.toThrow('flaky');
    expect(calls).toBe(3);
  });

  it('returns the first success and does not retry what shouldRetry refuses', async () => {
    let calls = 0;
    expect(await retry(async (attempt) => (attempt < 2 ? Promise.reject(new Error('once')) : 'ok'), { policy: fast, shouldRetry: () => true })).toBe('ok');
    await expect(
      retry(
        async () => {
          calls++;
          throw new Error('fatal');
        },
        { policy: fast },
      ),
    ).rejects.toThrow('fatal');
    expect(calls).toBe(1);
  });

  it('stops waiting when the signal aborts', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const pending = retry(() => Promise.reject(new Error('down')), {
      policy: { attempts: 5, baseDelayMs: 60_000, maxDelayMs: 60_000 },
      shouldRetry: () => true,
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(new Error('interrupted')), 10);
    await expect(pending).rejects.toThrow('interrupted');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('honours Retry-After within the cap and backs off exponentially otherwise', () => {
    const policy = { attempts: 5, baseDelayMs: 100, maxDelayMs: 1_000 };
    expect(retryDelayMs(policy, 2, '0')).toBe(0);
    expect(retryDelayMs(policy, 2, '3600')).toBe(1_000);
    expect(retryDelayMs(policy, 2, undefined, () => 1)).toBe(100);
    expect(retryDelayMs(policy, 4, undefined, () => 1)).toBe(400);
    expect(retryDelayMs(policy, 10, undefined, () => 1)).toBe(1_000);
  });
});

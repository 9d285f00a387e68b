import { describe, expect, it } from 'vitest';
import { BatcherClosedError, BatcherFullError, createBatcher } from './batcher.ts';

function recorder(delayMs = 0) {
  const batches: number[][] = [];
  let release: () => void = () => {};
  let gate: Promise<void> = Promise.resolve();
  return {
    batches,
    hold() {
      gate = new Promise((resolve) => (release = resolve));
    },
    open: () => release(),
    flush: async (items: number[]) => {
      batches.push(items);
      await gate;
      if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
      return items.map((n) => n * 10);
    },
  };
}

describe('batcher', () => {
  it('writes as soon as a batch is full, and answers each item with its own result', async () => {
    const r = recorder();
    const batcher = createBatcher({ maxBatchSize: 3, maxDelayMs: 60_000, maxPending: 100, concurrency: 1, flush: r.flush });
    expect(await Promise.all([1, 2, 3].map((n) => batcher.submit(n)))).toEqual([10, 20, 30]);
    expect(r.batches).toEqual([[1, 2, 3]]);
    await batcher.close();
  });

  it('writes a partial batch after the delay', async () => {
    const r = recorder();
    const batcher = createBatcher({ maxBatchSize: 100, maxDelayMs: 5, maxPending: 100, concurrency: 1, flush: r.flush });
    const started = performance.now();
    expect(await Promise.all([batcher.submit(1), batcher.submit(2)])).toEqual([10, 20]);
    expect(performance.now() - started).toBeGreaterThanOrEqual(4);
    expect(r.batches).toEqual([[1, 2]]);
    await batcher.close();
  });

  it('gathers what arrives while a write is in flight into the next batch, and refuses beyond the pending bound', async () => {
    const r = recorder();
    r.hold();
    const batcher = createBatcher({ maxBatchSize: 2, maxDelayMs: 1, maxPending: 5, concurrency: 1, flush: r.flush });
    const first = [batcher.submit(1), batcher.submit(2)];
    const waiting = [batcher.submit(3), batcher.submit(4), batcher.submit(5)];
    await expect(batcher.submit(6)).rejects.toBeInstanceOf(BatcherFullError);
    expect(batcher.pending()).toBe(5);
    r.open();
    expect(await Promise.all([...first, ...waiting])).toEqual([10, 20, 30, 40, 50]);
    expect(r.batches).toEqual([[1, 2], [3, 4], [5]]);
    await batcher.close();
  });

  it('fails every item of a batch whose write fails, and only those', async () => {
    let calls = 0;
    const batcher = createBatcher<number, number>({
      maxBatchSize: 2,
      maxDelayMs: 1,
      maxPending: 10,
      concurrency: 1,
      flush: async (items) => {
        if (calls++ === 0) throw new Error('database went away');
        return items;
      },
    });
    const results = await Promise.allSettled([1, 2, 3].map((n) => batcher.submit(n)));
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'fulfilled']);
    await batcher.close();
  });

  it('on drain writes at once, and on close writes everything left and then refuses', async () => {
    const r = recorder();
    const batcher = createBatcher({ maxBatchSize: 100, maxDelayMs: 60_000, maxPending: 100, concurrency: 2, flush: r.flush });
    const a = batcher.submit(1);
    batcher.drain();
    expect(await a).toBe(10);
    const b = batcher.submit(2);
    await batcher.close();
    expect(await b).toBe(20);
    await expect(batcher.submit(3)).rejects.toBeInstanceOf(BatcherClosedError);
    expect(batcher.pending()).toBe(0);
  });
});

export interface BatcherOptions<T, R> {
  /** A batch is written as soon as this many items wait. */
  maxBatchSize: number;
  /** ...or this long after the first of them arrived. */
  maxDelayMs: number;
  /** Items waiting or being written beyond which `submit` refuses at once (backpressure instead of unbounded memory). */
  maxPending: number;
  /** Batches written at once. */
  concurrency: number;
  /** Writes a batch; returns one result per item, in order. A rejection fails every item of the batch. */
  flush: (items: T[]) => Promise<R[]>;
}

export class BatcherClosedError extends Error {
  override name = 'BatcherClosedError';
}

export class BatcherFullError extends Error {
  override name = 'BatcherFullError';
}

export interface Batcher<T, R> {
  /** Resolves once the batch holding the item is written (committed), with the item's result. */
  submit(item: T): Promise<R>;
  /** Items waiting or being written. */
  pending(): number;
  /** From now on writes every batch at once, without waiting for more items; still takes new ones (for a shutdown that lets requests in flight finish). */
  drain(): void;
  /** Refuses new items, writes everything that waits, and resolves when all writes are done. */
  close(): Promise<void>;
}

interface Waiting<T, R> {
  item: T;
  at: number;
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
}

/** Gathers items submitted one by one into batches written by size or after a short delay, whichever comes first. */
export function createBatcher<T, R>(options: BatcherOptions<T, R>): Batcher<T, R> {
  const queue: Waiting<T, R>[] = [];
  const running = new Set<Promise<void>>();
  let writing = 0;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let draining = false;

  const write = (batch: Waiting<T, R>[]) => {
    writing += batch.length;
    const done = (async () => {
      try {
        const results = await options.flush(batch.map((w) => w.item));
        if (results.length !== batch.length) throw new Error(`flush returned ${results.length} results for ${batch.length} items`);
        batch.forEach((w, i) => w.resolve(results[i]!));
      } catch (error) {
        for (const w of batch) w.reject(error);
      } finally {
        writing -= batch.length;
      }
    })();
    running.add(done);
    void done.finally(() => {
      running.delete(done);
      pump();
    });
  };

  // Starts as many batches as the concurrency allows: full ones, or any once the oldest item has waited long enough.
  const pump = () => {
    const due = () => closed || draining || queue.length >= options.maxBatchSize || performance.now() - queue[0]!.at >= options.maxDelayMs;
    while (running.size < options.concurrency && queue.length > 0 && due()) {
      write(queue.splice(0, options.maxBatchSize));
    }
    if (queue.length === 0 && timer !== undefined) {
      clearTimeout(timer);
      timer = undefined;
    } else if (queue.length > 0 && timer === undefined) {
      timer = setTimeout(
        () => {
          timer = undefined;
          pump();
        },
        Math.max(0, queue[0]!.at + options.maxDelayMs - performance.now()),
      );
    }
  };

  return {
    submit(item) {
      if (closed) return Promise.reject(new BatcherClosedError('the batcher is closed'));
      if (queue.length + writing >= options.maxPending) return Promise.reject(new BatcherFullError(`${options.maxPending} items are already waiting`));
      return new Promise<R>((resolve, reject) => {
        queue.push({ item, at: performance.now(), resolve, reject });
        pump();
      });
    },
    pending: () => queue.length + writing,
    drain() {
      draining = true;
      pump();
    },
    async close() {
      closed = true;
      pump();
      while (running.size > 0 || queue.length > 0) {
        await Promise.allSettled([...running]);
        pump();
      }
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
    },
  };
}

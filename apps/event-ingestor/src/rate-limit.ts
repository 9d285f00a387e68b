/** A token bucket per cluster: `rate` events per second on average, bursts of up to `burst`. */
export interface RateLimitOptions {
  rate: number;
  burst: number;
  /** The clock, in milliseconds (default `performance.now` plus the time origin). */
  now?: () => number;
  /** Buckets kept before full ones are forgotten (a full bucket is the same as none). */
  maxTrackedClusters?: number;
}

export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export interface RateLimiter {
  take(cluster: string): RateDecision;
  trackedClusters(): number;
}

/**
 * Per-replica limiter: each replica holds its own buckets, so with N replicas behind a load balancer a cluster may
 * send up to N times `rate`. Nothing is shared, so a decision costs no database work.
 */
export function createRateLimiter(options: RateLimitOptions): RateLimiter {
  const { rate, burst } = options;
  if (!(rate > 0) || !(burst >= 1)) throw new RangeError(`rate must be above 0 and burst at least 1, got rate ${rate} and burst ${burst}`);
  const now = options.now ?? (() => performance.timeOrigin + performance.now());
  const maxTracked = options.maxTrackedClusters ?? 100_000;
  const buckets = new Map<string, { tokens: number; at: number }>();

  const refill = (bucket: { tokens: number; at: number }, t: number) => {
    bucket.tokens = Math.min(burst, bucket.tokens + ((t - bucket.at) / 1000) * rate);
    bucket.at = t;
  };
  const forgetFull = (t: number) => {
    for (const [cluster, bucket] of buckets) {
      refill(bucket, t);
      if (bucket.tokens >= burst) buckets.delete(cluster);
    }
  };

  return {
    take(cluster) {
      const t = now();
      let bucket = buckets.get(cluster);
      if (bucket === undefined) {
        if (buckets.size >= maxTracked) forgetFull(t);
        bucket = { tokens: burst, at: t };
        buckets.set(cluster, bucket);
      } else {
        refill(bucket, t);
      }
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return { allowed: true };
      }
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / rate)) };
    },
    trackedClusters: () => buckets.size,
  };
}

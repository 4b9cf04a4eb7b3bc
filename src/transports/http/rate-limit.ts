import type { Rejection } from './rejection.js';

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/** A token bucket per key: bursts up to the per-minute allowance, refilled continuously. */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly perMs: number;

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {
    this.perMs = perMinute / 60_000;
  }

  take(key: string): Rejection | undefined {
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: this.perMinute, updatedAt: now };
    bucket.tokens = Math.min(this.perMinute, bucket.tokens + (now - bucket.updatedAt) * this.perMs);
    bucket.updatedAt = now;
    this.buckets.set(key, bucket);
    if (this.buckets.size > 10_000) this.forgetFullBuckets(now);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return undefined;
    }
    const retryAfter = Math.max(1, Math.ceil((1 - bucket.tokens) / this.perMs / 1000));
    return {
      status: 429,
      reason: 'rate_limited',
      message: `Too many requests: this client may send ${this.perMinute} per minute.`,
      hint: `Retry after ${retryAfter} s, or raise server.http.rate_limit_per_minute.`,
      headers: { 'retry-after': String(retryAfter) },
    };
  }

  private forgetFullBuckets(now: number): void {
    for (const [key, bucket] of this.buckets) {
      if (bucket.tokens + (now - bucket.updatedAt) * this.perMs >= this.perMinute) this.buckets.delete(key);
    }
  }
}

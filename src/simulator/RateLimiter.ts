import * as TokenBucket from "../domain/TokenBucket.ts"

/**
 * nginx's `limit_req` with `nodelay`, per client: `burst + 1` requests pass at once, then one every 1/rate
 * seconds; a request beyond that is refused, not delayed, and refused requests do not count (nginx does not count
 * them either). nginx's leaky bucket with excess up to `burst` is the project's token bucket with `burst + 1`
 * tokens refilled at `rate` per second, taken with `TokenBucket.take`.
 */
export interface RateLimiterOptions {
  /** Requests per second per client. */
  readonly rate: number
  /** Extra requests admitted at once; default five seconds' worth (Quay's nginx: 5 r/s, burst 25). */
  readonly burst?: number
  readonly now?: () => number
}

/** Past this many clients, full buckets are dropped before a new one is added. */
const maxClients = 10_000

export class RateLimiter {
  readonly rate: number
  readonly burst: number
  private readonly bucket: TokenBucket.TokenBucket
  private readonly now: () => number
  private readonly buckets = new Map<string, TokenBucket.BucketState>()

  constructor(options: RateLimiterOptions) {
    if (!(options.rate > 0)) throw new RangeError(`rate limit must be positive, got ${options.rate}`)
    this.rate = options.rate
    this.burst = options.burst ?? Math.max(1, Math.round(options.rate * 5))
    this.bucket = { perSecond: this.rate, capacity: this.burst + 1 }
    this.now = options.now ?? (() => performance.now())
  }

  /** A bucket that has refilled completely holds nothing a new client's would not: dropping it bounds memory. */
  private forgetFull(now: number): void {
    for (const [client, state] of this.buckets) {
      if (TokenBucket.refill(this.bucket, state, now).tokens >= this.bucket.capacity) this.buckets.delete(client)
    }
  }

  /** True when this client's request may pass now. */
  admit(client: string): boolean {
    const now = this.now()
    let state = this.buckets.get(client)
    if (state === undefined) {
      if (this.buckets.size >= maxClients) this.forgetFull(now)
      state = TokenBucket.full(this.bucket, now)
    }
    const [admitted, next] = TokenBucket.take(this.bucket, state, now)
    this.buckets.set(client, next)
    return admitted
  }
}

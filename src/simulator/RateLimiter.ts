/**
 * nginx's `limit_req` with `nodelay`, per client: a leaky bucket that drains at `rate` requests per second;
 * a request is refused when it would push the excess over `burst`. So `burst + 1` requests pass at once,
 * then one every 1/rate seconds. Refused requests do not fill the bucket (nginx does not count them either).
 */
export interface RateLimiterOptions {
  /** Requests per second per client. */
  readonly rate: number
  /** Extra requests admitted at once; default five seconds' worth (Quay's nginx: 5 r/s, burst 25). */
  readonly burst?: number
  readonly now?: () => number
}

/** Past this many clients, drained buckets are dropped before a new one is added. */
const maxClients = 10_000

interface Bucket {
  excess: number
  last: number
}

export class RateLimiter {
  readonly rate: number
  readonly burst: number
  private readonly now: () => number
  private readonly buckets = new Map<string, Bucket>()

  constructor(options: RateLimiterOptions) {
    if (!(options.rate > 0)) throw new RangeError(`rate limit must be positive, got ${options.rate}`)
    this.rate = options.rate
    this.burst = options.burst ?? Math.max(1, Math.round(options.rate * 5))
    this.now = options.now ?? (() => performance.now())
  }

  /** Buckets that have drained completely hold nothing a new one would not: dropping them bounds memory. */
  private forgetDrained(now: number): void {
    for (const [client, bucket] of this.buckets) {
      if (bucket.excess - (this.rate * (now - bucket.last)) / 1000 <= 0) this.buckets.delete(client)
    }
  }

  /** True when this client's request may pass now. */
  admit(client: string): boolean {
    const now = this.now()
    const bucket = this.buckets.get(client)
    if (bucket === undefined) {
      if (this.buckets.size >= maxClients) this.forgetDrained(now)
      this.buckets.set(client, { excess: 0, last: now })
      return true
    }
    // As nginx: the bucket drains, then this request adds one; a drained bucket behaves like a new client's.
    const excess = Math.max(0, bucket.excess - (this.rate * (now - bucket.last)) / 1000 + 1)
    if (excess > this.burst) return false
    bucket.excess = excess
    bucket.last = now
    return true
  }
}

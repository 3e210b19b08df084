/**
 * One token bucket for every rate in the project: the work queue's overall retry limit (client-go's
 * `BucketRateLimiter`) and the simulator's per-client limit (nginx's `limit_req ... burst=N nodelay`, which is
 * this bucket with `burst + 1` tokens). Pure values and functions; the caller keeps the state and the clock.
 */
export interface TokenBucket {
  /** Tokens added per second. */
  readonly perSecond: number
  /** Tokens the bucket holds when full: requests admitted at once after a quiet spell. */
  readonly capacity: number
}

export interface BucketState {
  readonly tokens: number
  /** When `tokens` was last brought up to date, in milliseconds. */
  readonly at: number
}

export const full = (bucket: TokenBucket, now: number): BucketState => ({ tokens: bucket.capacity, at: now })

/** The bucket at `now`: refilled for the time passed, never above capacity. */
export const refill = (bucket: TokenBucket, state: BucketState, now: number): BucketState => ({
  tokens: Math.min(bucket.capacity, state.tokens + (Math.max(0, now - state.at) / 1000) * bucket.perSecond),
  at: Math.max(now, state.at)
})

/**
 * Reserves one token at `now`: the wait in milliseconds until it is available, and the bucket after. As Go's
 * `rate.Limiter.Reserve`, tokens may go negative, so later reservations queue up behind earlier ones.
 */
export const reserve = (bucket: TokenBucket, state: BucketState, now: number): readonly [number, BucketState] => {
  const refilled = refill(bucket, state, now)
  const tokens = refilled.tokens - 1
  return [tokens >= 0 ? 0 : Math.ceil((-tokens / bucket.perSecond) * 1000), { tokens, at: refilled.at }]
}

/** Takes one token at `now` if there is one (nginx's `nodelay`: refused, not delayed); the bucket is unchanged otherwise. */
export const take = (bucket: TokenBucket, state: BucketState, now: number): readonly [boolean, BucketState] => {
  const refilled = refill(bucket, state, now)
  return refilled.tokens >= 1 ? [true, { tokens: refilled.tokens - 1, at: refilled.at }] : [false, refilled]
}

import { Duration } from "effect"
import * as TokenBucket from "../domain/TokenBucket.ts"

/** Per-key exponential backoff for failed reconciles: `base * 2^failures`, capped. */
export interface ItemBackoff {
  readonly base: Duration.DurationInput
  readonly cap: Duration.DurationInput
}

/** client-go's `DefaultItemBasedRateLimiter`: 5 ms doubling up to 1000 s. */
export const defaultItemBackoff: ItemBackoff = { base: Duration.millis(5), cap: Duration.seconds(1000) }

/**
 * The delay before retrying a key that has already failed `failures` times (0 for the first failure).
 * A pure function rather than a running Schedule because the count lives per key in the work queue.
 */
export const itemDelay = (backoff: ItemBackoff, failures: number): Duration.Duration => {
  const base = Duration.toMillis(backoff.base)
  const cap = Duration.toMillis(backoff.cap)
  // 2^n overflows to Infinity past n = 1023; the cap catches it either way.
  const millis = base * Math.pow(2, Math.max(0, failures))
  return Duration.millis(Number.isFinite(millis) ? Math.min(millis, cap) : cap)
}

/**
 * An overall limit on retries, whatever the key (client-go's `BucketRateLimiter`, 10 per second with a
 * burst of 100): when everything fails at once (Quay down), per-key backoff alone would still retry every
 * key several times within seconds.
 */
export interface RetryBucket {
  readonly perSecond: number
  readonly burst: number
}

export const defaultRetryBucket: RetryBucket = { perSecond: 10, burst: 100 }

/** The bucket a RetryBucket describes: `burst` retries at once, then `perSecond`. */
export const retryTokenBucket = (bucket: RetryBucket): TokenBucket.TokenBucket => ({
  perSecond: bucket.perSecond,
  capacity: bucket.burst
})

/** Reconnect delays for a watch or list that keeps failing (client-go's reflector uses 800 ms → 30 s). */
export interface ReconnectBackoff {
  readonly base: Duration.DurationInput
  readonly cap: Duration.DurationInput
  /** Up to this fraction is added at random, so many clients do not reconnect in step. */
  readonly jitter: number
}

export const defaultReconnectBackoff: ReconnectBackoff = {
  base: Duration.millis(800),
  cap: Duration.seconds(30),
  jitter: 0.2
}

/** The reconnect delay after `attempt` consecutive failures, before jitter; `random` in [0, 1) adds the jitter. */
export const reconnectDelay = (backoff: ReconnectBackoff, attempt: number, random: number): Duration.Duration => {
  const delay = Duration.toMillis(itemDelay(backoff, attempt))
  return Duration.millis(Math.round(delay * (1 + backoff.jitter * random)))
}

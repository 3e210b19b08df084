import { Clock, Duration, Effect, Ref } from "effect"
import * as TokenBucket from "../../domain/TokenBucket.ts"

/**
 * The client side of Quay's rate limit: `burst` requests at once, then `requestsPerSecond`. Each request reserves a
 * token and waits exactly until it is due (Go's `rate.Limiter.Reserve`, the project's one token bucket), so the pace
 * is computed from the clock rather than counted out by a refill timer: no drift when timers fire late on a busy
 * machine, and requests leave in the order they asked, each at the earliest moment nginx's bucket (one token larger
 * than this one) has room for it.
 */
export interface ClientLimit {
  readonly limited: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
}

export const make = (options: { readonly requestsPerSecond: number; readonly burst: number }): Effect.Effect<ClientLimit> =>
  Effect.gen(function*() {
    const bucket: TokenBucket.TokenBucket = { perSecond: options.requestsPerSecond, capacity: options.burst }
    const state = yield* Ref.make(TokenBucket.full(bucket, yield* Clock.currentTimeMillis))
    const take = Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const wait = yield* Ref.modify(state, (current) => TokenBucket.reserve(bucket, current, now))
      // A timer may fire early by as long as the event loop's current turn has run (libuv times it from the turn's
      // start): on a busy machine that is enough to reach nginx before its token, so sleep until the clock says due.
      const due = now + wait
      for (let left = wait; left > 0; left = due - (yield* Clock.currentTimeMillis)) yield* Effect.sleep(Duration.millis(left))
    })
    return { limited: (effect) => Effect.zipRight(take, effect) }
  })

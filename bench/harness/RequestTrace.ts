/**
 * A request trace of one burst under nginx's limit, from the simulator's timeline: when the first and last Quay
 * requests arrived, and how much of nginx's allowance went unused because no request was ready while its bucket was
 * full (tokens it could not hold). With that, a run's time splits into the bound (requests ÷ rate), the allowance left
 * unused, the wait before the first request and the tail after the last one, which says where time over the bound went.
 */
import * as TokenBucket from "../../src/domain/TokenBucket.ts"
import type { TimelineEntry } from "../../src/simulator/RequestTimeline.ts"

export interface RequestTrace {
  readonly requests: number
  readonly tooManyRequests: number
  /** Seconds from the first create to the first request's arrival. */
  readonly firstRequestSeconds: number
  /** Seconds from the first create to the last request's arrival. */
  readonly lastRequestSeconds: number
  /** nginx's allowance lost while its bucket was full and nothing arrived, in seconds at its rate. */
  readonly unusedSeconds: number
  /** Requests arrived by each whole second since the first create: (seconds, requests). */
  readonly cumulative: ReadonlyArray<readonly [number, number]>
}

/** nginx's bucket (`burst + 1` tokens at `rate`/s) full at `started`, replayed over the arrivals after it. */
export const analyse = (
  entries: ReadonlyArray<TimelineEntry>,
  started: number,
  limit: { readonly rate: number; readonly burst: number }
): RequestTrace => {
  const bucket: TokenBucket.TokenBucket = { perSecond: limit.rate, capacity: limit.burst + 1 }
  const arrivals = entries.filter((entry) => entry.at >= started)
  let state = TokenBucket.full(bucket, started)
  let lost = 0
  for (const entry of arrivals) {
    const unbounded = state.tokens + (Math.max(0, entry.at - state.at) / 1000) * bucket.perSecond
    lost += Math.max(0, unbounded - bucket.capacity)
    const [, next] = TokenBucket.take(bucket, state, entry.at)
    state = next
  }
  const seconds = (at: number) => (at - started) / 1000
  const last = arrivals.at(-1)
  const cumulative: Array<readonly [number, number]> = []
  let count = 0
  for (const entry of arrivals) {
    count += 1
    const second = Math.floor(seconds(entry.at))
    if (cumulative.at(-1)?.[0] === second) cumulative[cumulative.length - 1] = [second, count]
    else cumulative.push([second, count])
  }
  return {
    requests: arrivals.length,
    tooManyRequests: arrivals.filter((entry) => entry.status === 429).length,
    firstRequestSeconds: arrivals[0] === undefined ? 0 : seconds(arrivals[0].at),
    lastRequestSeconds: last === undefined ? 0 : seconds(last.at),
    unusedSeconds: lost / limit.rate,
    cumulative
  }
}

export const describe = (trace: RequestTrace, readySeconds: number, limit: { readonly rate: number; readonly burst: number }): string =>
  `${trace.requests} requests (${trace.tooManyRequests} answered 429): the first ${trace.firstRequestSeconds.toFixed(2)} s after the ` +
  `first create, the last at ${trace.lastRequestSeconds.toFixed(2)} s, every object ready at ${readySeconds.toFixed(2)} s; ` +
  `nginx's bucket (${limit.burst + 1} at ${limit.rate}/s, full at the first create) sat full with no request ready for ` +
  `${trace.unusedSeconds.toFixed(2)} s of its allowance`

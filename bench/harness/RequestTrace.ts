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
  /** nginx's allowance lost before the first request (its bucket is full at the first create), in seconds at its rate. */
  readonly lostBeforeFirstSeconds: number
  /** nginx's allowance lost after it, while its bucket was full and no request was ready, in seconds at its rate. */
  readonly lostDuringSeconds: number
  /**
   * Tokens left in nginx's bucket after the last request, in seconds at its rate: allowance the client did not use
   * though it was not lost (a client going slower than the limit). With the two above, the time between the first and
   * the last request is (requests − (burst + 1)) ÷ rate + lostDuring + leftAtLast, exactly.
   */
  readonly leftAtLastSeconds: number
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
  let lostBefore = 0
  let lostDuring = 0
  for (const [i, entry] of arrivals.entries()) {
    const unbounded = state.tokens + (Math.max(0, entry.at - state.at) / 1000) * bucket.perSecond
    const lost = Math.max(0, unbounded - bucket.capacity)
    if (i === 0) lostBefore = lost
    else lostDuring += lost
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
    lostBeforeFirstSeconds: lostBefore / limit.rate,
    lostDuringSeconds: lostDuring / limit.rate,
    leftAtLastSeconds: arrivals.length === 0 ? 0 : state.tokens / limit.rate,
    cumulative
  }
}

/** How a burst ended: the seconds until its last object ended, and how many did not become ready. */
export interface Outcome {
  readonly seconds: number
  readonly failed: number
  readonly pending: number
}

export const describe = (trace: RequestTrace, outcome: Outcome, limit: { readonly rate: number; readonly burst: number }): string => {
  const readySeconds = outcome.seconds
  if (outcome.failed + outcome.pending > 0) {
    // The split below adds up to the time until every object was ready; with objects failed or pending there is none.
    return `${trace.requests} requests (${trace.tooManyRequests} answered 429); ${outcome.failed} objects failed and ` +
      `${outcome.pending} were pending ${readySeconds.toFixed(2)} s after the first create; the last request arrived at ` +
      `${trace.lastRequestSeconds.toFixed(2)} s`
  }
  const paced = Math.max(0, trace.requests - (limit.burst + 1)) / limit.rate
  return `${trace.requests} requests (${trace.tooManyRequests} answered 429); ${readySeconds.toFixed(2)} s until every object ` +
    `was ready = ${trace.firstRequestSeconds.toFixed(2)} s until the first request (nginx's full bucket of ${limit.burst + 1} ` +
    `at ${limit.rate}/s lost ${trace.lostBeforeFirstSeconds.toFixed(2)} s of allowance meanwhile) + ${paced.toFixed(2)} s ` +
    `of requests at the limit + ${trace.lostDuringSeconds.toFixed(2)} s of allowance lost while no request was ready + ` +
    `${trace.leftAtLastSeconds.toFixed(2)} s of allowance the client left unused (pacing slower than the limit) + ` +
    `${(readySeconds - trace.lastRequestSeconds).toFixed(2)} s from the last request to the last object ready`
}

/** The quay-limit scenario's request trace accounts for every second between the first and the last request. */
import { describe, expect, it } from "vitest"
import * as RequestTrace from "../../bench/harness/RequestTrace.ts"
import type { TimelineEntry } from "../../src/simulator/RequestTimeline.ts"

const at = (ms: number): TimelineEntry => ({ at: ms, method: "GET", path: "/api/v1/x", status: 200, httpVersion: "1.1", client: "c" })

describe("RequestTrace.analyse", () => {
  const limit = { rate: 5, burst: 3 }

  it("splits the time into the paced requests, allowance lost at the start and mid-run, and allowance left", () => {
    // Start at 1000; first request 2 s later (bucket of 4 full all along: 10 tokens lost); 4 at once; then one every
    // 200 ms (the limit); a 3 s pause (bucket full after 0.8 s: 11 tokens lost); then one 400 ms later
    // (one more lost: 12 in all), leaving 3 in the bucket.
    const times = [3000, 3000, 3000, 3000, 3200, 3400, 6400, 6800]
    const trace = RequestTrace.analyse(times.map(at), 1000, limit)
    expect(trace.requests).toBe(8)
    expect(trace.firstRequestSeconds).toBeCloseTo(2)
    expect(trace.lastRequestSeconds).toBeCloseTo(5.8)
    expect(trace.lostBeforeFirstSeconds).toBeCloseTo(2)
    expect(trace.lostDuringSeconds).toBeCloseTo(2.4)
    expect(trace.leftAtLastSeconds).toBeCloseTo(0.6)
    // first → last = (requests − (burst + 1)) ÷ rate + lost mid-run + left at the end.
    expect(trace.lastRequestSeconds - trace.firstRequestSeconds).toBeCloseTo((8 - 4) / 5 + trace.lostDuringSeconds + trace.leftAtLastSeconds)
    expect(trace.cumulative).toEqual([[2, 6], [5, 8]])
  })

  it("ignores requests before the start and counts 429s", () => {
    const trace = RequestTrace.analyse([at(500), { ...at(1500), status: 429 }], 1000, limit)
    expect(trace.requests).toBe(1)
    expect(trace.tooManyRequests).toBe(1)
  })
})

describe("RequestTrace.describe", () => {
  const limit = { rate: 5, burst: 3 }
  const trace = RequestTrace.analyse([3000, 3000, 3200, 9000].map(at), 1000, limit)

  it("splits a run where every object became ready", () => {
    expect(RequestTrace.describe(trace, { seconds: 8.5, failed: 0, pending: 0 }, limit)).toContain("8.50 s until every object was ready")
  })

  it("gives no split when objects failed: the time is not one until every object was ready", () => {
    const text = RequestTrace.describe(trace, { seconds: 1.5, failed: 3, pending: 1 }, limit)
    expect(text).toContain("3 objects failed and 1 were pending 1.50 s after the first create; the last request arrived at 8.00 s")
    expect(text).not.toContain("until every object was ready")
  })
})

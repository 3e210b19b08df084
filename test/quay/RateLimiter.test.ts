import { describe, expect, it } from "@effect/vitest"
import { RateLimiter } from "../../src/simulator/RateLimiter.ts"

const burstOf = (limiter: RateLimiter, client: string) => {
  let admitted = 0
  while (limiter.admit(client)) admitted++
  return admitted
}

describe("RateLimiter (nginx limit_req nodelay)", () => {
  it("admits burst + 1 at once, then one per 1/rate seconds, and burst + 1 again once drained", () => {
    let now = 0
    const limiter = new RateLimiter({ rate: 5, burst: 25, now: () => now })
    expect(burstOf(limiter, "a")).toBe(26)
    now += 200
    expect(burstOf(limiter, "a")).toBe(1)
    now += 60_000
    expect(burstOf(limiter, "a")).toBe(26)
  })

  it("keeps clients apart", () => {
    const limiter = new RateLimiter({ rate: 1, burst: 1, now: () => 0 })
    expect(burstOf(limiter, "a")).toBe(2)
    expect(burstOf(limiter, "b")).toBe(2)
  })
})

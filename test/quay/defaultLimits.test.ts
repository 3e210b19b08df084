/** The Quay client's default rate limit follows where Quay runs; an explicit setting wins. */
import { describe, expect, it } from "vitest"
import { Either, Redacted } from "effect"
import { resolve } from "../../src/layers/quayHttp/config.ts"
import { isQuayIo, quayIoLimit, selfHostedLimit } from "../../src/layers/quayHttp/defaultLimits.ts"

const limitsOf = (apiUrl: string, extra: { readonly requestsPerSecond?: number; readonly burst?: number } = {}) =>
  Either.map(resolve({ apiUrl, organization: "org", token: Redacted.make("t"), ...extra }), (r) => ({
    requestsPerSecond: r.requestsPerSecond,
    burst: r.burst
  }))

describe("default Quay client limits", () => {
  it("keep to quay.io's nginx limit (5/s, burst 25) against quay.io and its hosts", () => {
    expect(limitsOf("https://quay.io/api/v1")).toEqual(Either.right(quayIoLimit))
    expect(limitsOf("https://QUAY.IO./api/v1")).toEqual(Either.right(quayIoLimit))
    expect(limitsOf("https://stage.quay.io/api/v1")).toEqual(Either.right(quayIoLimit))
    expect(quayIoLimit).toEqual({ requestsPerSecond: 5, burst: 25 })
  })

  it("do not throttle a self-hosted Quay to quay.io's limit", () => {
    expect(limitsOf("https://quay.example.com/api/v1")).toEqual(Either.right(selfHostedLimit))
    expect(isQuayIo("notquay.io")).toBe(false)
    expect(isQuayIo("quay.io.example.com")).toBe(false)
    expect(selfHostedLimit.requestsPerSecond).toBeGreaterThan(quayIoLimit.requestsPerSecond)
  })

  it("give way to an explicit limit", () => {
    expect(limitsOf("https://quay.io/api/v1", { requestsPerSecond: 2, burst: 3 })).toEqual(Either.right({ requestsPerSecond: 2, burst: 3 }))
    expect(limitsOf("https://quay.example.com/api/v1", { requestsPerSecond: 5, burst: 25 })).toEqual(Either.right(quayIoLimit))
  })
})

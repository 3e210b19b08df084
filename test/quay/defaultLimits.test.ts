/** The Quay client's default rate limit follows where Quay runs; an explicit setting wins. */
import { describe, expect, it } from "vitest"
import { Either, Redacted } from "effect"
import { resolve } from "../../src/layers/quayHttp/config.ts"
import { isQuayIo, quayIoHttp2Limit, quayIoLimit, selfHostedLimit } from "../../src/layers/quayHttp/defaultLimits.ts"

const limitsOf = (apiUrl: string, extra: { readonly requestsPerSecond?: number; readonly burst?: number; readonly http2?: boolean } = {}) =>
  Either.map(resolve({ apiUrl, organization: "org", token: Redacted.make("t"), ...extra }), (r) => ({
    requestsPerSecond: r.requestsPerSecond,
    burst: r.burst
  }))

describe("default Quay client limits", () => {
  it("keep to quay.io's nginx limit (5/s, burst 25, less a margin for delayed requests) against quay.io and its hosts", () => {
    expect(limitsOf("https://quay.io/api/v1")).toEqual(Either.right(quayIoLimit))
    expect(limitsOf("https://QUAY.IO./api/v1")).toEqual(Either.right(quayIoLimit))
    expect(limitsOf("https://stage.quay.io/api/v1")).toEqual(Either.right(quayIoLimit))
    expect(quayIoLimit).toEqual({ requestsPerSecond: 5, burst: 20 })
  })

  it("do not throttle a self-hosted Quay to quay.io's limit", () => {
    expect(limitsOf("https://quay.example.com/api/v1")).toEqual(Either.right(selfHostedLimit))
    expect(isQuayIo("notquay.io")).toBe(false)
    expect(isQuayIo("quay.io.example.com")).toBe(false)
    expect(selfHostedLimit.requestsPerSecond).toBeGreaterThan(quayIoLimit.requestsPerSecond)
  })

  it("over HTTP/2 keep to quay.io's per-connection limit (50/s, burst 100, less the margin); a self-hosted Quay is not throttled either way", () => {
    expect(limitsOf("https://quay.io/api/v1", { http2: true })).toEqual(Either.right(quayIoHttp2Limit))
    expect(quayIoHttp2Limit).toEqual({ requestsPerSecond: 50, burst: 75 })
    expect(limitsOf("https://quay.io/api/v1", { http2: false })).toEqual(Either.right(quayIoLimit))
    expect(limitsOf("https://quay.example.com/api/v1", { http2: true })).toEqual(Either.right(selfHostedLimit))
    expect(limitsOf("https://quay.io/api/v1", { http2: true, requestsPerSecond: 7, burst: 9 })).toEqual(Either.right({ requestsPerSecond: 7, burst: 9 }))
  })

  it("give way to an explicit limit", () => {
    expect(limitsOf("https://quay.io/api/v1", { requestsPerSecond: 2, burst: 3 })).toEqual(Either.right({ requestsPerSecond: 2, burst: 3 }))
    expect(limitsOf("https://quay.example.com/api/v1", { requestsPerSecond: 5, burst: 20 })).toEqual(Either.right(quayIoLimit))
  })
})

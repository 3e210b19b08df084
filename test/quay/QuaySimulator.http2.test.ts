/**
 * The simulator's TLS mode, as quay.io serves its API: ALPN offers h2 and http/1.1 on one port, and nginx's limit is
 * per client address over HTTP/1.x but per connection over HTTP/2 (Quay's rate-limiting.conf.jnj).
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { connect, constants } from "node:http2"
import { request } from "node:https"
import * as QuaySimulator from "../../src/simulator/QuaySimulator.ts"

const org = "acme"
const token = "h2-token-91c3"

/** `count` GETs one after the other on one new HTTP/2 connection: their statuses. */
const overOneConnection = (url: string, ca: string, path: string, count: number) =>
  Effect.promise(async () => {
    const session = connect(url, { ca })
    const statuses: Array<number> = []
    try {
      for (let i = 0; i < count; i++) {
        statuses.push(await new Promise<number>((resolve, reject) => {
          const stream = session.request({ [constants.HTTP2_HEADER_PATH]: path, authorization: `Bearer ${token}` })
          let status = 0
          stream.on("response", (headers) => {
            status = Number(headers[constants.HTTP2_HEADER_STATUS])
          })
          stream.on("error", reject)
          stream.on("end", () => resolve(status))
          stream.resume()
          stream.end()
        }))
      }
    } finally {
      session.close()
    }
    return statuses
  })

const overHttp1 = (url: string, ca: string, path: string) =>
  Effect.promise(() =>
    new Promise<{ readonly status: number; readonly version: string }>((resolve, reject) => {
      const req = request(`${url}${path}`, { ca, headers: { authorization: `Bearer ${token}` }, agent: false }, (res) => {
        res.resume()
        res.on("end", () => resolve({ status: res.statusCode ?? 0, version: res.httpVersion }))
      })
      req.on("error", reject)
      req.end()
    })
  )

const count = (statuses: ReadonlyArray<number>, status: number) => statuses.filter((s) => s === status).length

describe("QuaySimulator over TLS with HTTP/2", () => {
  it.scopedLive("limits each HTTP/2 connection on its own, and HTTP/1.1 clients by address", () =>
    Effect.gen(function*() {
      // Rates this low do not refill during the test: exactly burst + 1 requests pass per key.
      const sim = yield* QuaySimulator.start({
        organization: org,
        token,
        tls: true,
        recordTimeline: true,
        rateLimit: 0.001,
        rateLimitBurst: 2,
        http2RateLimit: 0.001,
        http2RateLimitBurst: 5
      })
      assert.isTrue(sim.apiUrl.startsWith("https://127.0.0.1:"))
      const ca = sim.certificatePem ?? ""
      const path = `/api/v1/organization/${org}/robots`
      const first = yield* overOneConnection(sim.url, ca, path, 8)
      assert.deepStrictEqual([count(first, 200), count(first, 429)], [6, 2])
      const second = yield* overOneConnection(sim.url, ca, path, 8)
      assert.deepStrictEqual([count(second, 200), count(second, 429)], [6, 2])
      const http1: Array<number> = []
      for (let i = 0; i < 4; i++) {
        const answer = yield* overHttp1(sim.url, ca, path)
        assert.strictEqual(answer.version, "1.1")
        http1.push(answer.status)
      }
      assert.deepStrictEqual(http1, [200, 200, 200, 429])

      const timeline = sim.timeline.since()
      assert.strictEqual(timeline.length, 20)
      assert.strictEqual(new Set(timeline.filter((e) => e.httpVersion === "2.0").map((e) => e.client)).size, 2)
      assert.strictEqual(new Set(timeline.filter((e) => e.httpVersion === "1.1").map((e) => e.client)).size, 1)
      assert.deepStrictEqual(timeline.filter((e) => e.status === 429).length, 5)
    }))

  it.scopedLive("by default an HTTP/2 connection gets ten times the rate and four times the burst", () =>
    Effect.gen(function*() {
      const sim = yield* QuaySimulator.start({ organization: org, token, tls: true, rateLimit: 0.0001, rateLimitBurst: 2 })
      const statuses = yield* overOneConnection(sim.url, sim.certificatePem ?? "", `/api/v1/organization/${org}/robots`, 11)
      assert.deepStrictEqual([count(statuses, 200), count(statuses, 429)], [9, 2])
    }))
})

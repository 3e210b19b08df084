/** QuayHttp against a scripted server: answers that are not Quay's API, network failures, and which of them are retried. */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import * as Net from "node:net"
import * as QuayHttpRetry from "../../src/layers/quayHttp/retryPolicy.ts"
import { QuayUnauthorized, QuayUnavailable } from "../../src/services/QuayError.ts"
import {
  robotToken,
  org,
  json,
  apiException,
  htmlPage,
  robotBody,
  repositoryBody,
  stubServer,
  liveQuay,
  quayAnswering,
  failure,
  assertErrorHasNoSecrets
} from "./scriptedQuayServer.ts"

describe("QuayHttp against a scripted server", () => {
  describe("bodies that are not Quay's API → QuayUnavailable", () => {
    it.scopedLive("nginx 502 HTML page, retried, detail names the page not its markup", () =>
      Effect.gen(function*() {
        const { quay, stub } = yield* quayAnswering(htmlPage(502, "502 Bad Gateway"))
        const error = yield* failure(quay.getRepository("t/a"))
        assert.strictEqual(error._tag, "QuayUnavailable")
        assert.strictEqual(error.message, "Quay is unavailable (HTTP 502): HTML page '502 Bad Gateway'")
        assert.strictEqual(stub.received.length, 4)
      }))

    it.scopedLive("nginx 429 HTML page without Retry-After → QuayRateLimited after retries", () =>
      Effect.gen(function*() {
        const { quay, stub } = yield* quayAnswering(htmlPage(429, "429 Too Many Requests"))
        const error = yield* failure(quay.listRobots())
        assert.strictEqual(error._tag, "QuayRateLimited")
        if (error._tag === "QuayRateLimited") assert.strictEqual(error.retryAfterSeconds, undefined)
        assert.strictEqual(stub.received.length, 4)
      }))

    it.scopedLive("read-only 503 carries Quay's message", () =>
      Effect.gen(function*() {
        const { quay } = yield* quayAnswering(
          json(503, { message: "System is currently read-only. Pulls will succeed but all write operations are currently suspended.", is_readonly: true })
        )
        const error = yield* failure(quay.deleteRobot("r"))
        assert.strictEqual(error._tag, "QuayUnavailable")
        assert.include(error.message, "System is currently read-only.")
      }))

    it.scopedLive("malformed JSON on a 200", () =>
      Effect.gen(function*() {
        const { quay } = yield* quayAnswering({ status: 200, headers: { "content-type": "application/json" }, body: "{\"namespace\": " })
        const error = yield* failure(quay.getRepository("t/a"))
        assert.strictEqual(error._tag, "QuayUnavailable")
        assert.include(error.message, "malformed JSON")
      }))

    it.scopedLive("empty body on a 200 that should carry a robot", () =>
      Effect.gen(function*() {
        const { quay } = yield* quayAnswering({ status: 200, body: "" })
        const error = yield* failure(quay.getRobot("r"))
        assert.strictEqual(error._tag, "QuayUnavailable")
        assert.include(error.message, "empty body")
      }))

    it.scopedLive("a 200 of the wrong shape names the field, never its value", () =>
      Effect.gen(function*() {
        const { quay } = yield* quayAnswering(json(200, { name: 42, token: robotToken }))
        const error = yield* failure(quay.getRobot("r"))
        assert.strictEqual(error._tag, "QuayUnavailable")
        assert.include(error.message, "field name")
        assertErrorHasNoSecrets(error)
      }))

    it.scopedLive("an unknown role in the permission map is a wrong shape", () =>
      Effect.gen(function*() {
        const { quay } = yield* quayAnswering(json(200, { permissions: { [`${org}+r`]: { role: "owner" } } }))
        const error = yield* failure(quay.listPermissions("t/a"))
        assert.strictEqual(error._tag, "QuayUnavailable")
      }))

    it.scopedLive("a body over the cap is cut off, whether or not its length is declared", () =>
      Effect.gen(function*() {
        const declared = yield* quayAnswering(
          { status: 200, headers: { "content-type": "application/json" }, body: " ".repeat(256 * 1024) },
          { maxResponseBytes: 64 * 1024 }
        )
        const streamed = yield* quayAnswering({ status: 200, streamBytes: 8 * 1024 * 1024 }, { maxResponseBytes: 64 * 1024 })
        for (const { quay } of [declared, streamed]) {
          const error = yield* failure(quay.listRobots())
          assert.strictEqual(error._tag, "QuayUnavailable")
          assert.include(error.message, "larger than 65536 bytes")
          assert.isBelow(error.message.length, 300)
        }
      }))

    it.scopedLive("a server that never answers → timeout, retried like any transient failure", () =>
      Effect.gen(function*() {
        const { quay, stub } = yield* quayAnswering("hang", { timeout: "100 millis" })
        const error = yield* failure(quay.getRepository("t/a"))
        assert.strictEqual(error._tag, "QuayUnavailable")
        assert.include(error.message, "no complete answer within")
        assert.strictEqual(stub.received.length, 4)
      }))

    it.scopedLive("a refused connection → QuayUnavailable 'network error'", () =>
      Effect.gen(function*() {
        // A port that was just free: listen, note it, close.
        const closed = yield* Effect.scoped(stubServer(() => json(200, {})))
        const quay = yield* liveQuay(closed.url)
        const error = yield* failure(quay.getRepository("t/a"))
        assert.strictEqual(error._tag, "QuayUnavailable")
        assert.include(error.message, "network error")
      }))
  })

  describe("retries", () => {
    it.scopedLive("transient failures of a read are retried until Quay answers", () =>
      Effect.gen(function*() {
        const { quay, stub } = yield* quayAnswering((index) =>
          index === 0 ? htmlPage(502, "502 Bad Gateway") : index === 1 ? htmlPage(429, "429") : json(200, robotBody("r"))
        )
        const robot = yield* quay.getRobot("r")
        assert.isTrue(Option.isSome(robot))
        assert.strictEqual(stub.received.length, 3)
      }))

    it.scopedLive("a write that got a 502 is not retried: Quay may have done it", () =>
      Effect.gen(function*() {
        const { quay, stub } = yield* quayAnswering((index) =>
          index === 0 ? htmlPage(502, "502 Bad Gateway") : json(201, { namespace: org, name: "t/a", kind: "image" })
        )
        const error = yield* failure(quay.createRepository({ name: "t/a", visibility: "public", description: "" }))
        assert.strictEqual(error._tag, "QuayUnavailable")
        assert.strictEqual(stub.received.length, 1)
        assert.strictEqual(stub.received[0]?.method, "POST")
      }))

    it.scopedLive("a read that got a 502 is retried", () =>
      Effect.gen(function*() {
        const { quay, stub } = yield* quayAnswering((index) =>
          index === 0 ? htmlPage(502, "502 Bad Gateway") : json(200, repositoryBody("t/a"))
        )
        assert.isTrue(Option.isSome(yield* quay.getRepository("t/a")))
        assert.deepStrictEqual(stub.received.map((r) => r.method), ["GET", "GET"])
      }))

    it.scopedLive("a write whose connection was refused is retried: nothing was sent", () =>
      Effect.gen(function*() {
        // A real refused connect gives the error object Node's client wraps.
        const closed = yield* Effect.scoped(stubServer(() => json(200, {})))
        const refused = yield* Effect.async<unknown>((resume) => {
          const socket = Net.connect(Number(new URL(closed.url).port), "127.0.0.1")
          socket.once("error", (error) => resume(Effect.succeed(error)))
          socket.once("connect", () => {
            socket.destroy()
            resume(Effect.succeed(undefined))
          })
        })
        assert.isTrue(QuayHttpRetry.connectionNeverMade(refused))
        const reset = Object.assign(new Error("socket hang up"), { code: "ECONNRESET" })
        assert.isFalse(QuayHttpRetry.connectionNeverMade(reset))
        const unavailable = new QuayUnavailable({ detail: "network error" })
        assert.isTrue(QuayHttpRetry.mayRetry("POST", { error: unavailable, requestSent: false }))
        assert.isFalse(QuayHttpRetry.mayRetry("POST", { error: unavailable, requestSent: true }))
        assert.isTrue(QuayHttpRetry.mayRetry("GET", { error: unavailable, requestSent: true }))
        assert.isFalse(
          QuayHttpRetry.mayRetry("GET", { error: new QuayUnauthorized({ status: 401, detail: "x" }), requestSent: true })
        )
      }))

    it.scopedLive("permanent failures are not retried", () =>
      Effect.gen(function*() {
        const answers = [
          apiException(400, "Invalid username: x"),
          apiException(403, "Unauthorized", "insufficient_scope"),
          apiException(402, "Payment Required", "exceeds_license"),
          apiException(404, "Not Found", "not_found")
        ]
        const { quay, stub } = yield* quayAnswering((index) => answers[index] ?? json(500, {}))
        yield* failure(quay.setPermission("t/a", "x", "read"))
        yield* failure(quay.setPermission("t/a", "x", "read"))
        yield* failure(quay.changeVisibility("t/a", "private"))
        yield* failure(quay.regenerateRobotToken("r"))
        assert.strictEqual(stub.received.length, 4)
      }))
  })
})

/** Time-dependent behaviour of QuayHttp, in process under TestClock: Retry-After, the retry policy, the token bucket
 * and the concurrency cap, against an HttpClient that answers from a script with no I/O besides reading a web
 * Response body. */
import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Fiber, Option, TestClock } from "effect"
import { failure, fakeServer, fakeQuay, repositoryOk } from "./scriptedQuayServer.ts"

/** Lets forked fibers run (response bodies are read through real promises), boundedly. */
const settle = Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve))).pipe(Effect.repeatN(20))

const waitFor = (condition: () => boolean, what: string) =>
  Effect.gen(function*() {
    for (let i = 0; i < 500; i++) {
      if (condition()) return
      yield* Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))
    }
    return yield* Effect.dieMessage(`timed out waiting for ${what}`)
  })

describe("QuayHttp timing (TestClock)", () => {
  it.scoped("a 429 with a Retry-After of a second is waited out before the read is tried again", () =>
    Effect.gen(function*() {
      const server = fakeServer((_, index) =>
        Effect.succeed(index === 0 ? { status: 429, headers: { "retry-after": "1" }, body: "" } : repositoryOk)
      )
      const quay = yield* fakeQuay(server)
      const fiber = yield* Effect.fork(quay.getRepository("t/a"))
      yield* waitFor(() => server.requests.length === 1, "the first attempt")
      yield* TestClock.adjust("900 millis")
      yield* settle
      assert.strictEqual(server.requests.length, 1, "retried before Retry-After elapsed")
      yield* TestClock.adjust("100 millis")
      const repository = yield* Fiber.join(fiber)
      assert.isTrue(Option.isSome(repository))
      assert.strictEqual(server.requests.length, 2)
    }))

  it.scoped("a 429 with Retry-After 30 is not waited out: it surfaces at once with retryAfterSeconds", () =>
    Effect.gen(function*() {
      const server = fakeServer(() => Effect.succeed({ status: 429, headers: { "retry-after": "30" }, body: "" }))
      const quay = yield* fakeQuay(server)
      const error = yield* failure(quay.getRepository("t/a"))
      assert.strictEqual(error._tag, "QuayRateLimited")
      if (error._tag === "QuayRateLimited") assert.strictEqual(error.retryAfterSeconds, 30)
      assert.strictEqual(server.requests.length, 1)
    }))

  it.scoped("a Retry-After given as an HTTP date is read as the seconds until then", () =>
    Effect.gen(function*() {
      // TestClock starts at the epoch: this date is 20 s from "now".
      const at = new Date(20_000).toUTCString()
      const server = fakeServer(() => Effect.succeed({ status: 429, headers: { "retry-after": at }, body: "" }))
      const quay = yield* fakeQuay(server)
      const error = yield* failure(quay.getRepository("t/a"))
      assert.strictEqual(error._tag, "QuayRateLimited")
      if (error._tag === "QuayRateLimited") assert.strictEqual(error.retryAfterSeconds, 20)
      assert.strictEqual(server.requests.length, 1)
    }))

  it.scoped("a Retry-After beyond a minute is left to the caller: no retry inside the layer", () =>
    Effect.gen(function*() {
      const server = fakeServer(() => Effect.succeed({ status: 429, headers: { "retry-after": "600" }, body: "" }))
      const quay = yield* fakeQuay(server)
      const error = yield* failure(quay.getRepository("t/a"))
      assert.strictEqual(error._tag, "QuayRateLimited")
      if (error._tag === "QuayRateLimited") assert.strictEqual(error.retryAfterSeconds, 600)
      assert.strictEqual(server.requests.length, 1)
    }))

  it.scoped("quayRetryPolicy: a read is retried after ~100 ms, then ~200 ms, and given up after 2 retries", () =>
    Effect.gen(function*() {
      const server = fakeServer(() => Effect.succeed({ status: 503, body: "" }))
      const quay = yield* fakeQuay(server)
      const fiber = yield* Effect.fork(Effect.either(quay.getRobot("r")))
      yield* waitFor(() => server.requests.length === 1, "the first attempt")
      // Jitter keeps the first delay within 80..120 ms.
      yield* TestClock.adjust("70 millis")
      yield* settle
      assert.strictEqual(server.requests.length, 1)
      yield* TestClock.adjust("60 millis")
      yield* waitFor(() => server.requests.length === 2, "the first retry")
      for (let i = 0; i < 10 && server.requests.length < 3; i++) {
        yield* TestClock.adjust("100 millis")
        yield* settle
      }
      const result = yield* Fiber.join(fiber)
      assert.isTrue(result._tag === "Left" && result.left._tag === "QuayUnavailable")
      yield* TestClock.adjust("1 minute")
      yield* settle
      assert.strictEqual(server.requests.length, 3)
    }))

  it.scoped("the token bucket lets a burst through, then one request per 1/rate", () =>
    Effect.gen(function*() {
      const server = fakeServer(() => Effect.succeed(repositoryOk))
      const quay = yield* fakeQuay(server, { requestsPerSecond: 2, burst: 3, maxConcurrentRequests: 10 })
      const fibers = yield* Effect.forEach(Array.from({ length: 7 }, (_, i) => `t/${i}`), (name) => Effect.fork(quay.getRepository(name)))
      const expectAfter = (count: number) =>
        Effect.gen(function*() {
          yield* waitFor(() => server.requests.length >= count, `${count} requests`)
          yield* settle
          assert.strictEqual(server.requests.length, count)
        })
      yield* expectAfter(3)
      for (const count of [4, 5, 6, 7]) {
        yield* TestClock.adjust("500 millis")
        yield* expectAfter(count)
      }
      yield* Fiber.joinAll(fibers)
    }))

  it.scoped("no more than maxConcurrentRequests are in flight", () =>
    Effect.gen(function*() {
      const gate = yield* Deferred.make<void>()
      let inFlight = 0
      let peak = 0
      const server = fakeServer(() =>
        Effect.gen(function*() {
          inFlight++
          peak = Math.max(peak, inFlight)
          yield* Deferred.await(gate)
          inFlight--
          return repositoryOk
        })
      )
      const quay = yield* fakeQuay(server, { maxConcurrentRequests: 2, burst: 100, requestsPerSecond: 100 })
      const fibers = yield* Effect.forEach([1, 2, 3, 4, 5], (i) => Effect.fork(quay.getRepository(`t/${i}`)))
      yield* waitFor(() => server.requests.length === 2, "two requests in flight")
      yield* settle
      assert.strictEqual(server.requests.length, 2)
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.joinAll(fibers)
      assert.strictEqual(server.requests.length, 5)
      assert.strictEqual(peak, 2)
    }))
})

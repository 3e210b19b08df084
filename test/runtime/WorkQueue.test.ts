import { assert, describe, it } from "@effect/vitest"
import { Deferred, Duration, Effect, Exit, Metric, Option, Ref, Scope, TestClock } from "effect"
import { itemDelay } from "../../src/runtime/Backoff.ts"
import * as Metrics from "../../src/runtime/Metrics.ts"
import * as WorkQueue from "../../src/runtime/WorkQueue.ts"

const takeSome = (queue: WorkQueue.WorkQueue) =>
  queue.take.pipe(Effect.map(Option.getOrThrowWith(() => new Error("queue shut down"))))

/** Lets forked fibers run up to their next suspension. */
const settle = Effect.repeatN(Effect.yieldNow(), 20)

describe("WorkQueue", () => {
  it.scoped("does not duplicate a key that is already queued", () =>
    Effect.gen(function*() {
      const queue = yield* WorkQueue.make()
      yield* queue.add("ns/a")
      yield* queue.add("ns/a")
      yield* queue.add("ns/b")
      assert.strictEqual(yield* queue.length, 2)
      assert.strictEqual(yield* takeSome(queue), "ns/a")
      assert.strictEqual(yield* takeSome(queue), "ns/b")
      assert.strictEqual(yield* queue.length, 0)
    }))

  it.scoped("re-queues a key added while in flight exactly once, after done", () =>
    Effect.gen(function*() {
      const queue = yield* WorkQueue.make()
      yield* queue.add("ns/a")
      assert.strictEqual(yield* takeSome(queue), "ns/a")
      yield* queue.add("ns/a")
      yield* queue.add("ns/a")
      // Not handed to another worker while the first one holds it.
      assert.strictEqual(yield* queue.length, 0)
      assert.strictEqual(yield* queue.inFlight, 1)
      yield* queue.done("ns/a")
      assert.strictEqual(yield* queue.length, 1)
      assert.strictEqual(yield* takeSome(queue), "ns/a")
      yield* queue.done("ns/a")
      assert.strictEqual(yield* queue.length, 0)
      assert.strictEqual(yield* queue.inFlight, 0)
    }))

  it.scoped("never processes one key on two workers at once", () =>
    Effect.gen(function*() {
      const queue = yield* WorkQueue.make()
      const active = yield* Ref.make(0)
      const maxActive = yield* Ref.make(0)
      const runs = yield* Ref.make(0)
      const release = yield* Deferred.make<void>()
      yield* WorkQueue.runWorkers(queue, { workers: 4 }, () =>
        Effect.gen(function*() {
          const now = yield* Ref.updateAndGet(active, (n) => n + 1)
          yield* Ref.update(maxActive, (m) => Math.max(m, now))
          yield* Ref.update(runs, (n) => n + 1)
          yield* Deferred.await(release)
          yield* Ref.update(active, (n) => n - 1)
        }))
      yield* queue.add("ns/a")
      yield* settle
      yield* queue.add("ns/a")
      yield* queue.add("ns/a")
      yield* settle
      assert.strictEqual(yield* Ref.get(runs), 1)
      yield* Deferred.succeed(release, undefined)
      yield* settle
      assert.strictEqual(yield* Ref.get(maxActive), 1)
      // The adds made while it ran collapse into one more run.
      assert.strictEqual(yield* Ref.get(runs), 2)
    }))

  it.scoped("runs at most the configured number of keys at once", () =>
    Effect.gen(function*() {
      const queue = yield* WorkQueue.make()
      const release = yield* Deferred.make<void>()
      const finished = yield* Ref.make(0)
      yield* WorkQueue.runWorkers(queue, { workers: 3 }, () =>
        Deferred.await(release).pipe(Effect.andThen(Ref.update(finished, (n) => n + 1))))
      for (let i = 0; i < 10; i++) yield* queue.add(`ns/k${i}`)
      yield* settle
      assert.strictEqual(yield* queue.inFlight, 3)
      assert.strictEqual(yield* queue.length, 7)
      yield* Deferred.succeed(release, undefined)
      yield* settle
      assert.strictEqual(yield* Ref.get(finished), 10)
      assert.strictEqual(yield* queue.inFlight, 0)
    }))

  it.scoped("backs off exponentially per key, capped, and forget resets it", () =>
    Effect.gen(function*() {
      const queue = yield* WorkQueue.make({ backoff: { base: "5 millis", cap: "1 second" }, bucket: false })
      const delays: Array<number> = []
      for (let i = 0; i < 10; i++) delays.push(Duration.toMillis(yield* queue.addRateLimited("ns/a")))
      assert.deepStrictEqual(delays, [5, 10, 20, 40, 80, 160, 320, 640, 1000, 1000])
      assert.strictEqual(yield* queue.failures("ns/a"), 10)
      // Another key has its own count.
      assert.strictEqual(Duration.toMillis(yield* queue.addRateLimited("ns/b")), 5)
      yield* queue.forget("ns/a")
      assert.strictEqual(yield* queue.failures("ns/a"), 0)
      assert.strictEqual(Duration.toMillis(yield* queue.addRateLimited("ns/a")), 5)
    }))

  it.scoped("limits retries overall with a token bucket, whatever the key", () =>
    Effect.gen(function*() {
      const queue = yield* WorkQueue.make({ bucket: { perSecond: 10, burst: 100 } })
      const delays: Array<number> = []
      for (let i = 0; i < 102; i++) delays.push(Duration.toMillis(yield* queue.addRateLimited(`ns/k${i}`)))
      // The burst goes with each key's own (5 ms) backoff; beyond it, retries queue at 10 per second.
      assert.isTrue(delays.slice(0, 100).every((d) => d === 5))
      assert.deepStrictEqual(delays.slice(100), [100, 200])
      // The bucket refills with time.
      yield* TestClock.adjust("20 seconds")
      assert.strictEqual(Duration.toMillis(yield* queue.addRateLimited("ns/late")), 5)
    }))

  it.scoped("adds a rate-limited key only once its backoff has passed", () =>
    Effect.gen(function*() {
      const queue = yield* WorkQueue.make({ backoff: { base: "100 millis", cap: "1 minute" } })
      yield* queue.addRateLimited("ns/a")
      yield* queue.addRateLimited("ns/a")
      // The second failure (200 ms) replaces nothing: the earlier pending add (100 ms) wins.
      yield* settle
      yield* TestClock.adjust("99 millis")
      assert.strictEqual(yield* queue.length, 0)
      yield* TestClock.adjust("1 millis")
      assert.strictEqual(yield* queue.length, 1)
      assert.strictEqual(yield* queue.delayed, 0)
    }))

  it.scoped("honours a floor on the backoff (a Retry-After)", () =>
    Effect.gen(function*() {
      const queue = yield* WorkQueue.make()
      const delay = yield* queue.addRateLimited("ns/a", "30 seconds")
      assert.strictEqual(Duration.toMillis(delay), 30_000)
    }))

  it.scoped("addAfter adds after the delay and keeps the earliest of several", () =>
    Effect.gen(function*() {
      const queue = yield* WorkQueue.make()
      yield* queue.addAfter("ns/a", "10 seconds")
      yield* queue.addAfter("ns/a", "3 seconds")
      yield* queue.addAfter("ns/a", "20 seconds")
      yield* queue.addAfter("ns/b", 0)
      assert.strictEqual(yield* queue.length, 1)
      assert.strictEqual(yield* takeSome(queue), "ns/b")
      yield* settle
      yield* TestClock.adjust("2999 millis")
      assert.strictEqual(yield* queue.length, 0)
      yield* TestClock.adjust("1 millis")
      assert.strictEqual(yield* queue.length, 1)
      assert.strictEqual(yield* takeSome(queue), "ns/a")
      yield* queue.done("ns/a")
      // The later delays were superseded, not kept as extra visits.
      yield* TestClock.adjust("1 minute")
      assert.strictEqual(yield* queue.length, 0)
    }))

  it.effect("graceful shutdown finishes in-flight keys and takes no new ones", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const queue = yield* WorkQueue.make().pipe(Scope.extend(scope))
      const started = yield* Ref.make<ReadonlyArray<string>>([])
      const finished = yield* Ref.make<ReadonlyArray<string>>([])
      const release = yield* Deferred.make<void>()
      yield* WorkQueue.runWorkers(queue, { workers: 1 }, (key) =>
        Effect.gen(function*() {
          yield* Ref.update(started, (s) => [...s, key])
          yield* Deferred.await(release)
          yield* Ref.update(finished, (s) => [...s, key])
        })).pipe(Scope.extend(scope))
      yield* queue.add("ns/a")
      yield* queue.add("ns/b")
      yield* settle
      assert.deepStrictEqual(yield* Ref.get(started), ["ns/a"])
      const closing = yield* Effect.fork(Scope.close(scope, Exit.void))
      yield* settle
      // Closing waits for the in-flight key.
      assert.isNull(closing.unsafePoll())
      yield* queue.add("ns/c")
      yield* Deferred.succeed(release, undefined)
      yield* closing.await
      assert.deepStrictEqual(yield* Ref.get(finished), ["ns/a"])
      assert.deepStrictEqual(yield* Ref.get(started), ["ns/a"])
      assert.isTrue(Option.isNone(yield* queue.take))
    }))

  it.effect("graceful shutdown interrupts in-flight keys after the drain timeout", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const queue = yield* WorkQueue.make().pipe(Scope.extend(scope))
      const interrupted = yield* Ref.make(false)
      yield* WorkQueue.runWorkers(queue, { workers: 1, drainTimeout: "5 seconds" }, () =>
        Effect.never.pipe(Effect.onInterrupt(() => Ref.set(interrupted, true)))).pipe(Scope.extend(scope))
      yield* queue.add("ns/a")
      yield* settle
      const closing = yield* Effect.fork(Scope.close(scope, Exit.void))
      yield* settle
      yield* TestClock.adjust("4 seconds")
      assert.isFalse(yield* Ref.get(interrupted))
      yield* TestClock.adjust("1 second")
      yield* closing.await
      assert.isTrue(yield* Ref.get(interrupted))
    }))

  it("computes client-go's item delays", () => {
    const backoff = { base: "5 millis", cap: "1000 seconds" } as const
    assert.strictEqual(Duration.toMillis(itemDelay(backoff, 0)), 5)
    assert.strictEqual(Duration.toMillis(itemDelay(backoff, 17)), 655_360)
    assert.strictEqual(Duration.toMillis(itemDelay(backoff, 18)), 1_000_000)
    assert.strictEqual(Duration.toMillis(itemDelay(backoff, 5000)), 1_000_000)
  })

  it.scoped("reports client-go's queue metrics: adds, depth, and how long a key waited", () =>
    Effect.gen(function*() {
      const metrics = Metrics.forController("metrics-test").queue
      const queue = yield* WorkQueue.make({ metrics })
      yield* queue.add("ns/a")
      yield* queue.add("ns/a")
      yield* queue.add("ns/b")
      assert.strictEqual((yield* Metric.value(metrics.adds)).count, 3, "every add counts, deduplicated or not")
      assert.strictEqual((yield* Metric.value(metrics.depth)).value, 2)
      yield* TestClock.adjust("250 millis")
      yield* queue.take
      assert.strictEqual((yield* Metric.value(metrics.depth)).value, 1)
      const waited = yield* Metric.value(metrics.queueDuration)
      assert.strictEqual(waited.count, 1)
      assert.strictEqual(waited.sum, 0.25)
    }))
})

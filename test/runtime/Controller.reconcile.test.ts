/** How the Controller runs reconciles: what it reconciles, from the cache, with backoff, retry hints, timeouts, logs and metrics. */
import { assert, describe, it } from "@effect/vitest"
import { Data, Duration, Effect, Logger, Metric, Option, Ref, TestClock } from "effect"
import { refKey } from "../../src/domain/ObjectMeta.ts"
import { Transient } from "../../src/domain/ReconcileError.ts"
import * as InMemory from "../../src/layers/KubernetesInMemory.ts"
import * as Metrics from "../../src/runtime/Metrics.ts"
import { done, requeueAfter } from "../../src/services/ReconcileResult.ts"
import { Kubernetes } from "../../src/services/Kubernetes.ts"
import { ImageRepository, Secret } from "../../src/services/ResourceKind.ts"
import { advanceUntil, eventually, imageRepository, managedSecret, runController, settle } from "./support.ts"
import { makeRecorder, countIs } from "./controllerSupport.ts"

describe("Controller", () => {
  it.scoped("reconciles existing objects, then new ones and owners of changed Secrets", () =>
    Effect.gen(function*() {
      const control = yield* InMemory.KubernetesControl
      yield* control.put(ImageRepository, imageRepository("ns", "existing"))
      const recorder = yield* makeRecorder
      yield* runController({ reconcile: (ref) => Effect.as(recorder.record(ref), done) })
      yield* eventually(countIs(recorder.count("ns/existing"), 1))

      yield* control.put(ImageRepository, imageRepository("ns", "created"))
      yield* eventually(countIs(recorder.count("ns/created"), 1))

      // Someone edits the operator's Secret: its owner is reconciled to put it back.
      yield* control.put(Secret, managedSecret("ns", "created-pull", "created"))
      yield* eventually(countIs(recorder.count("ns/created"), 2))
      // A Secret that is not the operator's wakes nobody.
      yield* control.put(Secret, managedSecret("ns", "foreign", "existing", false))
      yield* settle
      assert.strictEqual(yield* recorder.count("ns/existing"), 1)
    }).pipe(Effect.provide(InMemory.layer())))

  it.scoped("reads watched kinds from the cache: a converged object costs no API call", () =>
    Effect.gen(function*() {
      const control = yield* InMemory.KubernetesControl
      yield* control.put(ImageRepository, imageRepository("ns", "a"))
      const seen = yield* Ref.make<Option.Option<string>>(Option.none())
      yield* runController({
        reconcile: (ref) =>
          Effect.gen(function*() {
            const kubernetes = yield* Kubernetes
            const object = yield* kubernetes.get(ImageRepository, ref)
            yield* Ref.set(seen, Option.map(object, (o) => o.metadata.name))
            return done
          })
      })
      yield* eventually(Effect.map(Ref.get(seen), Option.isSome))
      const calls = yield* control.calls
      assert.strictEqual(calls.byVerb.get, 0)
      assert.strictEqual(calls.writes, 0)
    }).pipe(Effect.provide(InMemory.layer())))

  it.scoped("retries a failing reconcile with growing backoff, and resets it after a success", () =>
    Effect.gen(function*() {
      const control = yield* InMemory.KubernetesControl
      const recorder = yield* makeRecorder
      const failuresLeft = yield* Ref.make(3)
      yield* runController({
        backoff: { base: "1 second", cap: "1 minute" },
        reconcile: (ref) =>
          Effect.gen(function*() {
            yield* recorder.record(ref)
            const left = yield* Ref.getAndUpdate(failuresLeft, (n) => n - 1)
            if (left > 0) return yield* new Transient({ reason: "QuayUnavailable", message: "quay answered 503" })
            return done
          })
      })
      yield* settle
      yield* control.put(ImageRepository, imageRepository("ns", "a"))
      yield* eventually(countIs(recorder.count("ns/a"), 1))
      for (let i = 0; i < 20; i++) {
        yield* TestClock.adjust("500 millis")
        yield* settle
      }
      const times = yield* recorder.timesOf("ns/a")
      assert.strictEqual(times.length, 4)
      const gaps = times.slice(1).map((t, i) => t - (times[i] ?? 0))
      assert.deepStrictEqual(gaps, [1000, 2000, 4000])

      // After the success, a new failure starts from the base delay again.
      yield* Ref.set(failuresLeft, 1)
      yield* control.patch(ImageRepository, { namespace: "ns", name: "a" }, { spec: { image: { name: "b" } } })
      yield* eventually(countIs(recorder.count("ns/a"), 5))
      yield* TestClock.adjust("1 second")
      yield* eventually(countIs(recorder.count("ns/a"), 6))
    }).pipe(Effect.provide(InMemory.layer())))

  it.scoped("waits at least the retryAfter an error carries", () =>
    Effect.gen(function*() {
      const control = yield* InMemory.KubernetesControl
      const recorder = yield* makeRecorder
      const failed = yield* Ref.make(false)
      yield* runController({
        reconcile: (ref) =>
          Effect.gen(function*() {
            yield* recorder.record(ref)
            if (yield* Ref.getAndSet(failed, true)) return done
            return yield* new Transient({ reason: "Throttled", message: "quay 429", retryAfter: Duration.seconds(30) })
          })
      })
      yield* control.put(ImageRepository, imageRepository("ns", "a"))
      yield* eventually(countIs(recorder.count("ns/a"), 1))
      yield* TestClock.adjust("29 seconds")
      yield* settle
      assert.strictEqual(yield* recorder.count("ns/a"), 1)
      yield* TestClock.adjust("1 second")
      yield* eventually(countIs(recorder.count("ns/a"), 2))
    }).pipe(Effect.provide(InMemory.layer())))

  it.scoped("comes back by the retryWithin an error carries, however far the backoff has grown", () =>
    Effect.gen(function*() {
      const control = yield* InMemory.KubernetesControl
      const recorder = yield* makeRecorder
      yield* runController({
        backoff: { base: "1 minute", cap: "1 hour" },
        reconcile: (ref) =>
          Effect.gen(function*() {
            yield* recorder.record(ref)
            const n = yield* recorder.count(refKey(ref))
            // Fails twice with a deadline 90 s ahead of the first failure; the backoff alone would wait 1 and 2 minutes.
            if (n === 1) return yield* new Transient({ reason: "QuayUnavailable", message: "502", retryWithin: Duration.seconds(90) })
            if (n === 2) return yield* new Transient({ reason: "QuayUnavailable", message: "502", retryWithin: Duration.seconds(30) })
            return done
          })
      })
      yield* control.put(ImageRepository, imageRepository("ns", "a"))
      yield* eventually(countIs(recorder.count("ns/a"), 1))
      yield* advanceUntil(countIs(recorder.count("ns/a"), 3), "10 seconds", 30)
      // The first retry at the backoff (1 minute, sooner than 90 s); the second at its cap (30 s, sooner than 2 minutes).
      assert.deepStrictEqual(yield* recorder.timesOf("ns/a"), [0, 60_000, 90_000])
    }).pipe(Effect.provide(InMemory.layer())))

  it.scoped("honours requeueAfter", () =>
    Effect.gen(function*() {
      const control = yield* InMemory.KubernetesControl
      const recorder = yield* makeRecorder
      yield* runController({
        reconcile: (ref) => Effect.as(recorder.record(ref), requeueAfter(Duration.minutes(1)))
      })
      yield* control.put(ImageRepository, imageRepository("ns", "a"))
      yield* eventually(countIs(recorder.count("ns/a"), 1))
      yield* TestClock.adjust("59 seconds")
      yield* settle
      assert.strictEqual(yield* recorder.count("ns/a"), 1)
      yield* TestClock.adjust("1 second")
      yield* eventually(countIs(recorder.count("ns/a"), 2))
      yield* TestClock.adjust("1 minute")
      yield* eventually(countIs(recorder.count("ns/a"), 3))
      assert.deepStrictEqual(yield* recorder.timesOf("ns/a"), [0, 60_000, 120_000])
    }).pipe(Effect.provide(InMemory.layer())))

  it.scoped("logs a failure's message only, never the error object or what it holds", () =>
    Effect.gen(function*() {
      const control = yield* InMemory.KubernetesControl
      const lines = yield* Ref.make<ReadonlyArray<string>>([])
      const capture = Logger.make(({ message }) => {
        const text = (Array.isArray(message) ? message : [message]).map((m) => typeof m === "string" ? m : JSON.stringify(m))
          .join(" ")
        Effect.runSync(Ref.update(lines, (l) => [...l, text]))
      })
      class LeakyError extends Data.TaggedError("LeakyError")<{ readonly token: string }> {
        override get message() {
          return "robot token rejected"
        }
      }
      yield* runController({
        reconcile: () => new LeakyError({ token: "s3cr3t-robot-token" })
      }).pipe(Effect.provide(Logger.replace(Logger.defaultLogger, capture)))
      yield* control.put(ImageRepository, imageRepository("ns", "a"))
      yield* eventually(Effect.map(Ref.get(lines), (l) => l.some((line) => line.includes("robot token rejected"))))
      const all = (yield* Ref.get(lines)).join("\n")
      assert.include(all, "reconcile of ns/a failed: robot token rejected; retrying in")
      assert.notInclude(all, "s3cr3t")
    }).pipe(Effect.provide(InMemory.layer())))

  it.scoped("fails a reconcile that outlasts its timeout, and retries it", () =>
    Effect.gen(function*() {
      const control = yield* InMemory.KubernetesControl
      const recorder = yield* makeRecorder
      const hang = yield* Ref.make(true)
      yield* runController({
        reconcileTimeout: "10 seconds",
        backoff: { base: "1 second", cap: "1 minute" },
        reconcile: (ref) =>
          Effect.gen(function*() {
            yield* recorder.record(ref)
            if (yield* Ref.getAndSet(hang, false)) yield* Effect.never
            return done
          })
      })
      yield* control.put(ImageRepository, imageRepository("ns", "a"))
      yield* eventually(countIs(recorder.count("ns/a"), 1))
      yield* TestClock.adjust("10 seconds")
      yield* settle
      yield* TestClock.adjust("1 second")
      yield* eventually(countIs(recorder.count("ns/a"), 2))
      assert.deepStrictEqual(yield* recorder.timesOf("ns/a"), [0, 11_000])
    }).pipe(Effect.provide(InMemory.layer())))

  it.scoped("counts reconciles by result in controller-runtime's metrics", () =>
    Effect.gen(function*() {
      const control = yield* InMemory.KubernetesControl
      const counter = (result: string) =>
        Metrics.reconcileTotal.pipe(Metric.tagged("controller", "imagerepository"), Metric.tagged("result", result))
      const count = (result: string) => Effect.map(Metric.value(counter(result)), (s) => s.count)
      const before = { success: yield* count("success"), error: yield* count("error"), requeue: yield* count("requeue_after") }
      const outcomes = yield* Ref.make<ReadonlyArray<"fail" | "requeue" | "done">>(["fail", "requeue", "done"])
      yield* runController({
        backoff: { base: "1 second", cap: "1 minute" },
        reconcile: () =>
          Effect.gen(function*() {
            const [next = "done", ...rest] = yield* Ref.get(outcomes)
            yield* Ref.set(outcomes, rest)
            if (next === "fail") return yield* new Transient({ reason: "x", message: "failed" })
            return next === "requeue" ? requeueAfter(Duration.seconds(5)) : done
          })
      })
      yield* control.put(ImageRepository, imageRepository("ns", "a"))
      yield* eventually(Effect.map(count("error"), (n) => n === before.error + 1))
      yield* TestClock.adjust("1 second")
      yield* eventually(Effect.map(count("requeue_after"), (n) => n === before.requeue + 1))
      yield* TestClock.adjust("5 seconds")
      yield* eventually(Effect.map(count("success"), (n) => n === before.success + 1))
      const gauge = Metrics.leaderElectionMasterStatus.pipe(Metric.tagged("name", "imagerepository"))
      assert.strictEqual((yield* Metric.value(gauge)).value, 1)
    }).pipe(Effect.provide(InMemory.layer())))
})

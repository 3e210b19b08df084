import { assert, describe, it } from "@effect/vitest"
import { Clock, Data, Deferred, Duration, Effect, Exit, Logger, Metric, Option, Ref, Scope, TestClock } from "effect"
import { type ObjectRef, refKey } from "../../src/domain/ObjectMeta.ts"
import { Transient } from "../../src/domain/ReconcileError.ts"
import * as InMemory from "../../src/layers/KubernetesInMemory.ts"
import { LeaseKind } from "../../src/runtime/Lease.ts"
import * as Metrics from "../../src/runtime/Metrics.ts"
import type { LeaderElectionConfig } from "../../src/runtime/LeaderElection.ts"
import { done, requeueAfter } from "../../src/services/ReconcileResult.ts"
import { Kubernetes } from "../../src/services/Kubernetes.ts"
import { ImageRepository, Secret } from "../../src/services/ResourceKind.ts"
import { advanceUntil, eventually, imageRepository, managedSecret, runController, settle } from "./support.ts"

/** Records every reconcile: which key, and when on the (test) clock. */
const makeRecorder = Effect.map(Ref.make<ReadonlyArray<{ readonly key: string; readonly at: number }>>([]), (log) => ({
  record: (ref: ObjectRef) =>
    Effect.flatMap(Clock.currentTimeMillis, (at) => Ref.update(log, (l) => [...l, { key: refKey(ref), at }])),
  keys: Effect.map(Ref.get(log), (l) => l.map((e) => e.key)),
  timesOf: (key: string) => Effect.map(Ref.get(log), (l) => l.filter((e) => e.key === key).map((e) => e.at)),
  count: (key: string) => Effect.map(Ref.get(log), (l) => l.filter((e) => e.key === key).length)
}))

/** Short election timings (15 s / 10 s / 2 s) for TestClock, one Lease shared by every candidate. */
const election = (identity: string): LeaderElectionConfig => ({
  lease: { namespace: "operators", name: "image-repository-operator" },
  identity,
  leaseDuration: "15 seconds",
  renewDeadline: "10 seconds",
  retryPeriod: "2 seconds"
})

const countIs = (count: Effect.Effect<number>, n: number) => Effect.map(count, (c) => c === n)

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

  it.effect("shutdown lets the in-flight reconcile finish and starts no other", () =>
    Effect.gen(function*() {
      const control = yield* InMemory.KubernetesControl
      const scope = yield* Scope.make()
      const started = yield* Deferred.make<void>()
      const release = yield* Deferred.make<void>()
      const finished = yield* Ref.make<ReadonlyArray<string>>([])
      yield* runController({
        workers: 1,
        reconcile: (ref) =>
          Effect.gen(function*() {
            yield* Deferred.succeed(started, undefined)
            yield* Deferred.await(release)
            yield* Ref.update(finished, (f) => [...f, refKey(ref)])
            return done
          })
      }).pipe(Scope.extend(scope))
      yield* control.put(ImageRepository, imageRepository("ns", "a"))
      yield* Deferred.await(started)
      yield* control.put(ImageRepository, imageRepository("ns", "b"))
      yield* settle
      const closing = yield* Effect.fork(Scope.close(scope, Exit.void))
      yield* settle
      assert.isNull(closing.unsafePoll())
      yield* Deferred.succeed(release, undefined)
      yield* closing.await
      assert.deepStrictEqual(yield* Ref.get(finished), ["ns/a"])
    }).pipe(Effect.provide(InMemory.layer())))

  it.effect("with leader election, shutdown lets the in-flight reconcile finish before releasing the Lease", () =>
    Effect.gen(function*() {
      const control = yield* InMemory.KubernetesControl
      const real = yield* Kubernetes
      const events = yield* Ref.make<ReadonlyArray<string>>([])
      const note = (event: string) => Ref.update(events, (e) => [...e, event])
      // Sees the Lease being released (its holder emptied).
      const kubernetes: Kubernetes = {
        ...real,
        replace: (kind, object, options) =>
          Effect.tap(real.replace(kind, object, options), () => {
            const spec: unknown = "spec" in object ? object.spec : undefined
            const released = kind.kind === "Lease" && typeof spec === "object" && spec !== null &&
              "holderIdentity" in spec && spec.holderIdentity === ""
            return released ? note("released lease") : Effect.void
          })
      }
      const scope = yield* Scope.make()
      const controller = yield* runController({
        workers: 1,
        leaderElection: election("a"),
        reconcile: () =>
          Effect.gen(function*() {
            yield* note("reconcile start")
            yield* Effect.sleep("1500 millis")
            yield* note("reconcile end")
            return done
          })
      }).pipe(Scope.extend(scope), Effect.provideService(Kubernetes, kubernetes))
      yield* eventually(controller.active)
      yield* control.put(ImageRepository, imageRepository("ns", "a"))
      yield* eventually(Effect.map(Ref.get(events), (e) => e.includes("reconcile start")))
      yield* TestClock.adjust("500 millis")
      const closing = yield* Effect.fork(Scope.close(scope, Exit.void))
      for (let i = 0; i < 8; i++) {
        yield* settle
        yield* TestClock.adjust("500 millis")
      }
      yield* closing.await
      assert.deepStrictEqual(yield* Ref.get(events), ["reconcile start", "reconcile end", "released lease"])
    }).pipe(Effect.provide(InMemory.layer())))

  it.scoped("keeps its Lease renewed while a drain outlasts the Lease duration, so no standby overlaps it", () =>
    Effect.gen(function*() {
      const control = yield* InMemory.KubernetesControl
      const events = yield* Ref.make<ReadonlyArray<string>>([])
      const note = (event: string) => Ref.update(events, (e) => [...e, event])
      const scopeA = yield* Scope.make()
      const a = yield* runController({
        workers: 1,
        drainTimeout: "1 minute",
        leaderElection: election("a"),
        reconcile: (ref) =>
          ref.namespace === "ns"
            ? note("a start").pipe(Effect.andThen(Effect.sleep("40 seconds")), Effect.andThen(note("a end")), Effect.as(done))
            : Effect.succeed(done)
      }).pipe(Scope.extend(scopeA))
      yield* eventually(a.active)
      const b = yield* runController({
        leaderElection: election("b"),
        reconcile: () => Effect.as(note("b reconciles"), done)
      })
      yield* control.put(ImageRepository, imageRepository("ns", "a"))
      yield* eventually(Effect.map(Ref.get(events), (e) => e.includes("a start")))
      const closing = yield* Effect.fork(Scope.close(scopeA, Exit.void))
      yield* settle
      yield* advanceUntil(b.active, "500 millis", 120)
      yield* closing.await
      yield* eventually(Effect.map(Ref.get(events), (e) => e.includes("b reconciles")))
      const log = yield* Ref.get(events)
      assert.deepStrictEqual(log.slice(0, 2), ["a start", "a end"])
    }).pipe(Effect.provide(InMemory.layer())))

  it.scoped("steps down within the renew deadline when the apiserver hangs, interrupting reconciles undrained", () =>
    Effect.gen(function*() {
      const control = yield* InMemory.KubernetesControl
      const real = yield* Kubernetes
      const hung = yield* Ref.make(false)
      // Lease requests hang (no answer, no error) once `hung` is set.
      const hangLeases = <A, E>(kind: { readonly kind: string }, effect: Effect.Effect<A, E>) =>
        Effect.flatMap(Ref.get(hung), (h): Effect.Effect<A, E> => h && kind.kind === "Lease" ? Effect.never : effect)
      const kubernetes: Kubernetes = {
        ...real,
        get: (kind, ref) => hangLeases(kind, real.get(kind, ref)),
        create: (kind, object) => hangLeases(kind, real.create(kind, object)),
        replace: (kind, object, options) => hangLeases(kind, real.replace(kind, object, options))
      }
      const interruptedAt = yield* Ref.make<Option.Option<number>>(Option.none())
      const controller = yield* runController({
        workers: 1,
        leaderElection: election("a"),
        reconcile: () =>
          Effect.sleep("1 minute").pipe(
            Effect.as(done),
            Effect.onInterrupt(() =>
              Effect.flatMap(Clock.currentTimeMillis, (now) => Ref.set(interruptedAt, Option.some(now)))
            )
          )
      }).pipe(Effect.provideService(Kubernetes, kubernetes))
      yield* eventually(controller.active)
      yield* control.put(ImageRepository, imageRepository("ns", "a"))
      yield* TestClock.adjust("1 second")
      yield* settle
      // The last successful renewal started at or before now.
      const hungAt = yield* Clock.currentTimeMillis
      yield* Ref.set(hung, true)
      for (let i = 0; i < 80 && Option.isNone(yield* Ref.get(interruptedAt)); i++) {
        yield* TestClock.adjust("500 millis")
        yield* settle
      }
      const stoppedAfter = Option.getOrThrow(yield* Ref.get(interruptedAt)) - hungAt
      // Within the renew deadline of the last renewal, so before the Lease can expire for another replica.
      assert.isAtMost(stoppedAfter, 10_000)
      assert.isFalse(yield* controller.active)
    }).pipe(Effect.provide(InMemory.layer())))

  it.scoped("reconciles only while leading; a standby takes over when the leader shuts down", () =>
    Effect.gen(function*() {
      const control = yield* InMemory.KubernetesControl
      yield* control.put(ImageRepository, imageRepository("ns", "a"))
      const recorder = yield* makeRecorder
      const reconcileAs = (who: string) => (ref: ObjectRef) =>
        Effect.as(recorder.record({ namespace: who, name: ref.name }), done)
      const scopeA = yield* Scope.make()
      const a = yield* runController({ reconcile: reconcileAs("a"), leaderElection: election("a") }).pipe(
        Scope.extend(scopeA)
      )
      yield* eventually(a.active)
      const b = yield* runController({ reconcile: reconcileAs("b"), leaderElection: election("b") })
      yield* eventually(countIs(recorder.count("a/a"), 1))
      for (let i = 0; i < 10; i++) {
        yield* TestClock.adjust("3 seconds")
        yield* settle
      }
      assert.isFalse(yield* b.active)
      assert.strictEqual(yield* recorder.count("b/a"), 0)

      yield* Scope.close(scopeA, Exit.void)
      assert.isFalse(yield* a.active)
      yield* advanceUntil(b.active, "1 second", 10)
      // Released, not expired: b leads within its retry period and reconciles everything.
      assert.isTrue(yield* b.active)
      yield* eventually(countIs(recorder.count("b/a"), 1))
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

  it.scoped("stops when its Lease is taken and campaigns again", () =>
    Effect.gen(function*() {
      const control = yield* InMemory.KubernetesControl
      const recorder = yield* makeRecorder
      const lease = { namespace: "operators", name: "image-repository-operator" }
      const controller = yield* runController({
        reconcile: (ref) => Effect.as(recorder.record(ref), done),
        leaderElection: { lease, identity: "a", leaseDuration: "15 seconds", renewDeadline: "10 seconds", retryPeriod: "2 seconds" }
      })
      yield* eventually(controller.active)
      // Another replica takes the Lease (it believed it expired) and then dies without renewing.
      const kubernetes = yield* Kubernetes
      const current = Option.getOrThrow(yield* kubernetes.get(LeaseKind, lease))
      yield* kubernetes.replace(LeaseKind, { ...current, spec: { ...current.spec, holderIdentity: "b" } })
      yield* TestClock.adjust("2 seconds")
      yield* eventually(Effect.map(controller.active, (active) => !active))
      // Reconciles nothing while b's Lease holds.
      yield* control.put(ImageRepository, imageRepository("ns", "during"))
      yield* TestClock.adjust("5 seconds")
      yield* settle
      assert.strictEqual(yield* recorder.count("ns/during"), 0)
      // Once b's Lease has gone unrenewed for its duration, a leads again and catches up.
      yield* advanceUntil(controller.active, "2 seconds", 20)
      assert.isTrue(yield* controller.active)
      yield* eventually(countIs(recorder.count("ns/during"), 1))
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

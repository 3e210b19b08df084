/** The Controller's shutdown and leader election: draining, holding and renewing the Lease, stepping down, taking over. */
import { assert, describe, it } from "@effect/vitest"
import { Clock, Deferred, Effect, Exit, Option, Ref, Scope, TestClock } from "effect"
import { type ObjectRef, refKey } from "../../src/domain/ObjectMeta.ts"
import * as InMemory from "../../src/layers/KubernetesInMemory.ts"
import { LeaseKind } from "../../src/runtime/Lease.ts"
import type { LeaderElectionConfig } from "../../src/runtime/LeaderElection.ts"
import { done } from "../../src/services/ReconcileResult.ts"
import { Kubernetes } from "../../src/services/Kubernetes.ts"
import { ImageRepository } from "../../src/services/ResourceKind.ts"
import { advanceUntil, eventually, imageRepository, runController, settle } from "./support.ts"
import { makeRecorder, countIs } from "./controllerSupport.ts"

/** Short election timings (15 s / 10 s / 2 s) for TestClock, one Lease shared by every candidate. */
const election = (identity: string): LeaderElectionConfig => ({
  lease: { namespace: "operators", name: "image-repository-operator" },
  identity,
  leaseDuration: "15 seconds",
  renewDeadline: "10 seconds",
  retryPeriod: "2 seconds"
})

describe("Controller", () => {
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
})

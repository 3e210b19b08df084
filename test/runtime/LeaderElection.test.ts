import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Exit, Fiber, Logger, LogLevel, Option, Ref, TestClock } from "effect"
import * as InMemory from "../../src/layers/KubernetesInMemory.ts"
import { LeaseKind } from "../../src/runtime/Lease.ts"
import * as LeaderElection from "../../src/runtime/LeaderElection.ts"
import { Kubernetes } from "../../src/services/Kubernetes.ts"
import { KubernetesForbidden, KubernetesUnavailable } from "../../src/services/KubernetesError.ts"
import { settle } from "./support.ts"

const lease = { namespace: "operators", name: "image-repository-operator" }

const config = (identity: string): LeaderElection.LeaderElectionConfig => ({
  lease,
  identity,
  leaseDuration: "15 seconds",
  renewDeadline: "10 seconds",
  retryPeriod: "2 seconds"
})

/** Moves the test clock on in small steps, letting every fiber react at each. */
const advance = (total: Duration.DurationInput, step: Duration.DurationInput = "500 millis") =>
  Effect.gen(function*() {
    const steps = Math.ceil(Duration.toMillis(total) / Duration.toMillis(step))
    for (let i = 0; i < steps; i++) {
      yield* TestClock.adjust(step)
      yield* settle
    }
  })

const leaseSpec = Effect.gen(function*() {
  const kubernetes = yield* Kubernetes
  const current = yield* kubernetes.get(LeaseKind, lease)
  return Option.getOrThrow(current).spec ?? {}
})

/** A candidate whose view of the apiserver can be cut off, as a network partition would. */
const partitionable = Effect.gen(function*() {
  const real = yield* Kubernetes
  const cut = yield* Ref.make(false)
  const guard = <A, E>(effect: Effect.Effect<A, E>): Effect.Effect<A, E | KubernetesUnavailable> =>
    Effect.flatMap(
      Ref.get(cut),
      (isCut): Effect.Effect<A, E | KubernetesUnavailable> =>
        isCut ? Effect.fail(new KubernetesUnavailable({ detail: "partitioned" })) : effect
    )
  const kubernetes: Kubernetes = {
    ...real,
    get: (kind, ref) => guard(real.get(kind, ref)),
    create: (kind, object) => guard(real.create(kind, object)),
    replace: (kind, object, options) => guard(real.replace(kind, object, options))
  }
  return { kubernetes, cut: Ref.set(cut, true) }
})

/** Work that records while it runs. */
const makeWork = (identity: string, running: Ref.Ref<ReadonlyArray<string>>) =>
  Effect.acquireRelease(
    Ref.update(running, (r) => [...r, identity]),
    () => Ref.update(running, (r) => r.filter((x) => x !== identity))
  ).pipe(Effect.andThen(Effect.never), Effect.scoped)

/** A candidate campaigning in the background; the scope ends its campaign. */
const candidate = (identity: string, running: Ref.Ref<ReadonlyArray<string>>) =>
  Effect.forkScoped(LeaderElection.runAsLeader(config(identity), makeWork(identity, running)))

describe("LeaderElection", () => {
  it.scoped("acquires an absent Lease, runs the work and renews every retry period", () =>
    Effect.gen(function*() {
      const running = yield* Ref.make<ReadonlyArray<string>>([])
      yield* candidate("a", running)
      yield* settle
      assert.deepStrictEqual(yield* Ref.get(running), ["a"])
      const first = yield* leaseSpec
      assert.strictEqual(first.holderIdentity, "a")
      assert.strictEqual(first.leaseDurationSeconds, 15)
      assert.strictEqual(first.leaseTransitions, 0)
      assert.match(first.renewTime ?? "", /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/)

      yield* advance("2 seconds")
      const renewed = yield* leaseSpec
      assert.strictEqual(renewed.holderIdentity, "a")
      assert.notStrictEqual(renewed.renewTime, first.renewTime)
      assert.strictEqual(renewed.acquireTime, first.acquireTime)
      assert.strictEqual(renewed.leaseTransitions, 0)
    }).pipe(Effect.provide(InMemory.layer())))

  it.scoped("of two candidates exactly one leads, and the other keeps waiting", () =>
    Effect.gen(function*() {
      const running = yield* Ref.make<ReadonlyArray<string>>([])
      yield* candidate("a", running)
      yield* candidate("b", running)
      yield* settle
      const leaders = yield* Ref.get(running)
      assert.strictEqual(leaders.length, 1)
      // Well past the lease duration: the leader keeps renewing, so nothing changes hands.
      yield* advance("1 minute")
      assert.deepStrictEqual(yield* Ref.get(running), leaders)
      const spec = yield* leaseSpec
      assert.strictEqual(spec.holderIdentity, leaders[0])
      assert.strictEqual(spec.leaseTransitions, 0)
    }).pipe(Effect.provide(InMemory.layer())))

  it.scoped("steps down past the renew deadline; a standby takes over once the Lease expires", () =>
    Effect.gen(function*() {
      const running = yield* Ref.make<ReadonlyArray<string>>([])
      const a = yield* partitionable
      const leaderA = yield* Effect.forkScoped(
        LeaderElection.runAsLeader(config("a"), makeWork("a", running)).pipe(
          Effect.provideService(Kubernetes, a.kubernetes)
        )
      )
      yield* settle
      yield* candidate("b", running)
      yield* advance("4 seconds")
      assert.deepStrictEqual(yield* Ref.get(running), ["a"])

      yield* a.cut
      yield* advance("9 seconds")
      // Renewals fail, but the deadline has not passed: a still works.
      assert.deepStrictEqual(yield* Ref.get(running), ["a"])
      yield* advance("3 seconds")
      const exit = yield* Fiber.await(leaderA)
      assert.isTrue(Exit.isFailure(exit))
      assert.notInclude(yield* Ref.get(running), "a")
      // b waits for the Lease to go unrenewed for its duration on b's clock, then takes it.
      yield* advance("20 seconds")
      assert.deepStrictEqual(yield* Ref.get(running), ["b"])
      const spec = yield* leaseSpec
      assert.strictEqual(spec.holderIdentity, "b")
      assert.strictEqual(spec.leaseTransitions, 1)
    }).pipe(Effect.provide(InMemory.layer())))

  it.scoped("fails with LeadershipLost when another candidate holds the Lease", () =>
    Effect.gen(function*() {
      const running = yield* Ref.make<ReadonlyArray<string>>([])
      const leader = yield* candidate("a", running)
      yield* settle
      // Someone else overwrites the Lease (a stale leader with skewed timing, an admin).
      const kubernetes = yield* Kubernetes
      const current = Option.getOrThrow(yield* kubernetes.get(LeaseKind, lease))
      yield* kubernetes.replace(LeaseKind, { ...current, spec: { ...current.spec, holderIdentity: "intruder" } })
      yield* advance("2 seconds")
      const exit = yield* Fiber.await(leader)
      assert.isTrue(Exit.isFailure(exit) && exit.cause._tag === "Fail" && exit.cause.error._tag === "LeadershipLost")
      assert.deepStrictEqual(yield* Ref.get(running), [])
      // It does not release what it no longer holds.
      assert.strictEqual((yield* leaseSpec).holderIdentity, "intruder")
    }).pipe(Effect.provide(InMemory.layer())))

  it.scoped("releases the Lease on shutdown so a standby takes over without waiting for expiry", () =>
    Effect.gen(function*() {
      const running = yield* Ref.make<ReadonlyArray<string>>([])
      const leaderA = yield* candidate("a", running)
      yield* settle
      yield* candidate("b", running)
      yield* settle
      yield* Fiber.interrupt(leaderA)
      assert.deepStrictEqual(yield* Ref.get(running), [])
      assert.strictEqual((yield* leaseSpec).holderIdentity, "")
      // Within b's next retry (at most 2.2 retry periods), far sooner than the 15 s lease duration.
      yield* advance("5 seconds")
      assert.deepStrictEqual(yield* Ref.get(running), ["b"])
      assert.strictEqual((yield* leaseSpec).holderIdentity, "b")
    }).pipe(Effect.provide(InMemory.layer())))

  it.scoped("tells the work its leadership is lost before interrupting it", () =>
    Effect.gen(function*() {
      const lostSeenOnInterrupt = yield* Ref.make<boolean | undefined>(undefined)
      const leader = yield* Effect.forkScoped(
        LeaderElection.runAsLeader(config("a"), (leadership) =>
          Effect.gen(function*() {
            const lost = yield* Effect.fork(leadership.lost)
            return yield* Effect.never.pipe(
              Effect.onInterrupt(() =>
                Effect.flatMap(Fiber.poll(lost), (done) => Ref.set(lostSeenOnInterrupt, Option.isSome(done)))
              )
            )
          }))
      )
      yield* settle
      const kubernetes = yield* Kubernetes
      const current = Option.getOrThrow(yield* kubernetes.get(LeaseKind, lease))
      yield* kubernetes.replace(LeaseKind, { ...current, spec: { ...current.spec, holderIdentity: "intruder" } })
      yield* advance("2 seconds")
      const exit = yield* Fiber.await(leader)
      assert.isTrue(Exit.isFailure(exit))
      assert.strictEqual(yield* Ref.get(lostSeenOnInterrupt), true)
    }).pipe(Effect.provide(InMemory.layer())))

  it.effect("leads through a slow apiserver: requests slower than a retry period still acquire and renew", () =>
    Effect.gen(function*() {
      // 1.5 s per Lease request, so an attempt (a read, then a write) takes 3 s: more than a retry period (2 s),
      // well within the renew deadline (10 s). The chaos soak met this on a busy machine: nobody led for minutes.
      const real = yield* Kubernetes
      const slow = <A, E>(effect: Effect.Effect<A, E>) => Effect.delay(effect, "1500 millis")
      const kubernetes: Kubernetes = {
        ...real,
        get: (kind, ref) => slow(real.get(kind, ref)),
        create: (kind, object) => slow(real.create(kind, object)),
        replace: (kind, object, options) => slow(real.replace(kind, object, options))
      }
      const running = yield* Ref.make<ReadonlyArray<string>>([])
      const leader = yield* Effect.fork(
        LeaderElection.runAsLeader(config("a"), makeWork("a", running)).pipe(Effect.provideService(Kubernetes, kubernetes))
      )
      yield* advance("5 seconds", "1 second")
      assert.deepStrictEqual(yield* Ref.get(running), ["a"])
      const first = yield* leaseSpec
      // Past the renew deadline: renewals landed in time.
      yield* advance("15 seconds", "1 second")
      assert.deepStrictEqual(yield* Ref.get(running), ["a"])
      const later = yield* leaseSpec
      assert.strictEqual(later.holderIdentity, "a")
      assert.notStrictEqual(later.renewTime, first.renewTime)
      // Shutting down releases the Lease through the same slow apiserver: the clock must move for it.
      const stopping = yield* Effect.fork(Fiber.interrupt(leader))
      yield* advance("5 seconds", "1 second")
      yield* Fiber.join(stopping)
    }).pipe(Effect.provide(InMemory.layer())))

  it.effect("a Lease it may not take (403, no namespace) is a Warning naming the reason, not a silent wait", () =>
    Effect.gen(function*() {
      const real = yield* Kubernetes
      const kubernetes: Kubernetes = {
        ...real,
        get: (kind, ref) =>
          kind.kind === "Lease"
            ? Effect.fail(new KubernetesForbidden({ detail: 'leases.coordination.k8s.io is forbidden: User "op" cannot get' }))
            : real.get(kind, ref)
      }
      const lines = yield* Ref.make<ReadonlyArray<{ readonly level: string; readonly message: string }>>([])
      const logger = Logger.make(({ logLevel, message }) => {
        const text = Array.isArray(message) ? message.join(" ") : String(message)
        Effect.runSync(Ref.update(lines, (l) => [...l, { level: logLevel.label, message: text }]))
      })
      const fiber = yield* LeaderElection.runAsLeader(config("a"), Effect.never).pipe(
        Effect.provideService(Kubernetes, kubernetes),
        Effect.provide(Logger.replace(Logger.defaultLogger, logger)),
        Logger.withMinimumLogLevel(LogLevel.Debug),
        Effect.fork
      )
      yield* advance("3 seconds")
      const warnings = (yield* Ref.get(lines)).filter((l) => l.level === "WARN")
      assert.isAtLeast(warnings.length, 1)
      assert.include(warnings[0]?.message ?? "", "cannot acquire lease operators/image-repository-operator")
      assert.include(warnings[0]?.message ?? "", "forbidden")
      yield* Fiber.interrupt(fiber)
    }).pipe(Effect.provide(InMemory.layer())))
})

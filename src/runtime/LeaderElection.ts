import { Clock, Data, Deferred, Duration, Effect, Exit, Fiber, Option, Random, Ref } from "effect"
import type { ObjectRef } from "../domain/ObjectMeta.ts"
import { Kubernetes } from "../services/Kubernetes.ts"
import { microTime } from "../domain/Timestamp.ts"
import { type Lease, LeaseKind, type LeaseSpec } from "./Lease.ts"

export interface LeaderElectionConfig {
  /** Where the Lease lives. */
  readonly lease: ObjectRef
  /** This candidate's name in `holderIdentity` (the pod name). */
  readonly identity: string
  /** How long a Lease holds after its last renewal, as others observe it. */
  readonly leaseDuration: Duration.DurationInput
  /** The leader steps down when it could not renew for this long (shorter than leaseDuration). */
  readonly renewDeadline: Duration.DurationInput
  /** How often the leader renews and candidates retry. */
  readonly retryPeriod: Duration.DurationInput
}

/** OpenShift's values for operators (more tolerant of apiserver restarts than client-go's 15/10/2 s). */
export const defaultTimings = {
  leaseDuration: Duration.seconds(137),
  renewDeadline: Duration.seconds(107),
  retryPeriod: Duration.seconds(26)
} as const

export class LeadershipLost extends Data.TaggedError("LeadershipLost")<{
  readonly identity: string
  readonly lease: string
  readonly reason: string
}> {
  override get message(): string {
    return `${this.identity} lost the lease ${this.lease}: ${this.reason}`
  }
}

/** What the work sees of its term as leader. */
export interface Leadership {
  /**
   * Completes when the Lease is lost, just before the work is interrupted: another replica may lead
   * already, so nothing may wait (no graceful drain).
   */
  readonly lost: Effect.Effect<void>
}

/** One attempt to take or keep the Lease; `at` is when it started (the Lease's renewTime). */
type Attempt =
  | { readonly _tag: "Held"; readonly at: number }
  | { readonly _tag: "HeldByOther"; readonly holder: string }
  | { readonly _tag: "Failed"; readonly reason: string }

const leaseName = (config: LeaderElectionConfig): string => `${config.lease.namespace}/${config.lease.name}`

/**
 * Campaigns for the Lease, then runs `work` while holding it (client-go's leaderelection, Lease lock):
 * - a candidate takes the Lease when it is absent, released (empty holder), or has not changed for the
 *   holder's leaseDuration by this candidate's own clock (no trust in other clocks);
 * - the leader renews every retryPeriod; when it cannot renew for renewDeadline (counted from the start of
 *   the last successful renewal, attempts included), or finds another holder, `leadership.lost` completes,
 *   `work` is interrupted at once (no drain: another replica may lead already) and this fails with
 *   LeadershipLost;
 * - every write carries the resourceVersion read, so of two candidates exactly one wins (the other gets a
 *   Conflict and keeps waiting);
 * - when this is interrupted (graceful shutdown) `work` is interrupted and awaited, so its finalizers (the
 *   workers' drain) finish while the Lease is still renewed; only then is the Lease released, so a standby
 *   takes over on its next retry instead of waiting for expiry. Likewise when `work` ends by itself.
 */
export const runAsLeader = <A, E, R>(
  config: LeaderElectionConfig,
  work: Effect.Effect<A, E, R> | ((leadership: Leadership) => Effect.Effect<A, E, R>)
): Effect.Effect<A, E | LeadershipLost, R | Kubernetes> =>
  Effect.gen(function*() {
    const kubernetes = yield* Kubernetes
    const leaseDurationMillis = Duration.toMillis(config.leaseDuration)
    const renewDeadlineMillis = Duration.toMillis(config.renewDeadline)
    const retryPeriod = Duration.decode(config.retryPeriod)
    const name = leaseName(config)
    // The last Lease content seen and when this process first saw it: expiry is judged on our clock.
    const observed = yield* Ref.make<{ readonly record: string; readonly at: number } | undefined>(undefined)

    const attempt = (timeout: Duration.Duration): Effect.Effect<Attempt> => Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const current = yield* kubernetes.get(LeaseKind, config.lease)
      if (Option.isNone(current)) {
        const lease: Lease = {
          apiVersion: "coordination.k8s.io/v1",
          kind: "Lease",
          metadata: { name: config.lease.name, namespace: config.lease.namespace },
          spec: {
            holderIdentity: config.identity,
            leaseDurationSeconds: Math.round(leaseDurationMillis / 1000),
            acquireTime: microTime(now),
            renewTime: microTime(now),
            leaseTransitions: 0
          }
        }
        yield* kubernetes.create(LeaseKind, lease)
        return { _tag: "Held", at: now } as const
      }
      const lease = current.value
      const spec: LeaseSpec = lease.spec ?? {}
      const record = JSON.stringify([spec.holderIdentity, spec.renewTime, spec.acquireTime, lease.metadata.resourceVersion])
      const seen = yield* Ref.updateAndGet(observed, (o) => o !== undefined && o.record === record ? o : { record, at: now })
      const holder = spec.holderIdentity ?? ""
      const duration = (spec.leaseDurationSeconds ?? leaseDurationMillis / 1000) * 1000
      if (holder !== "" && holder !== config.identity && (seen?.at ?? now) + duration > now) {
        return { _tag: "HeldByOther", holder } as const
      }
      const takingOver = holder !== config.identity
      yield* kubernetes.replace(LeaseKind, {
        ...lease,
        spec: {
          ...spec,
          holderIdentity: config.identity,
          leaseDurationSeconds: Math.round(leaseDurationMillis / 1000),
          acquireTime: takingOver ? microTime(now) : (spec.acquireTime ?? microTime(now)),
          renewTime: microTime(now),
          leaseTransitions: (spec.leaseTransitions ?? 0) + (takingOver ? 1 : 0)
        }
      })
      return { _tag: "Held", at: now } as const
    }).pipe(
      // A hung request must not outlast the leader's renew deadline.
      Effect.timeoutFail({ duration: timeout, onTimeout: () => ({ message: "request timed out" }) }),
      Effect.catchAll((e) => Effect.succeed({ _tag: "Failed", reason: e.message } as const)),
      Effect.withSpan("LeaderElection.tryAcquireOrRenew", { attributes: { lease: name } })
    )

    const jitteredRetry = Effect.flatMap(
      Random.next,
      (r) => Effect.sleep(Duration.times(retryPeriod, 1 + 1.2 * r))
    )

    /**
     * Answers when the successful attempt started. An attempt may take up to the renew deadline, as client-go's
     * does: a slow apiserver (seconds per request on a busy machine, as the chaos soak found) must delay the
     * election, not make every attempt time out so that nobody ever leads.
     */
    const acquire = Effect.gen(function*() {
      while (true) {
        const result = yield* attempt(Duration.millis(renewDeadlineMillis))
        if (result._tag === "Held") return result.at
        if (result._tag === "Failed") yield* Effect.logWarning(`cannot acquire lease ${name}: ${result.reason}`)
        yield* jitteredRetry
      }
    })

    const lose = (reason: string) =>
      Effect.gen(function*() {
        const lost = new LeadershipLost({ identity: config.identity, lease: name, reason })
        yield* Effect.logError(lost.message)
        return yield* lost
      })

    /**
     * Renews until it cannot: fails with LeadershipLost. The deadline counts from when the last successful
     * attempt started (the renewTime others see), and no sleep or attempt may run past it, so a hung
     * apiserver makes the leader step down after renewDeadline, well before the Lease expires for others.
     */
    const renewLoop = (acquiredAt: number) =>
      Effect.gen(function*() {
        let renewedAt = acquiredAt
        let lastFailure = "no renewal attempted"
        const timeLeft = Effect.map(Clock.currentTimeMillis, (now) => renewedAt + renewDeadlineMillis - now)
        const deadlinePassed = (now: number) =>
          lose(`could not renew for ${Duration.format(Duration.millis(now - renewedAt))}: ${lastFailure}`)
        while (true) {
          const untilNext = yield* timeLeft
          if (untilNext <= 0) return yield* deadlinePassed(yield* Clock.currentTimeMillis)
          yield* Effect.sleep(Duration.min(retryPeriod, Duration.millis(untilNext)))
          const left = yield* timeLeft
          if (left <= 0) return yield* deadlinePassed(yield* Clock.currentTimeMillis)
          // Up to the deadline, not one retry period: a slow renewal that lands in time keeps the lease.
          const result = yield* attempt(Duration.millis(left))
          if (result._tag === "Held") {
            renewedAt = result.at
          } else if (result._tag === "HeldByOther") {
            return yield* lose(`${result.holder} holds it`)
          } else {
            lastFailure = result.reason
            yield* Effect.logWarning(`renewing lease ${name} failed: ${result.reason}`)
          }
        }
      })

    const release = Effect.gen(function*() {
      const current = yield* kubernetes.get(LeaseKind, config.lease)
      if (Option.isNone(current) || current.value.spec?.holderIdentity !== config.identity) return
      const now = yield* Clock.currentTimeMillis
      const spec = current.value.spec
      yield* kubernetes.replace(LeaseKind, {
        ...current.value,
        spec: { ...spec, holderIdentity: "", leaseDurationSeconds: 1, renewTime: microTime(now) }
      })
      yield* Effect.logInfo(`released lease ${name}`)
    }).pipe(
      // Runs uninterruptibly, maybe after an interruption: only an interruptible body lets the timeout end it.
      Effect.interruptible,
      Effect.timeout(retryPeriod),
      Effect.catchAll((e) => Effect.logWarning(`releasing lease ${name} failed: ${e.message}`))
    )

    const acquiredAt = yield* acquire
    yield* Effect.logInfo(`${config.identity} became leader (lease ${name})`)
    const lost = yield* Deferred.make<void>()
    const body = Effect.isEffect(work) ? work : work({ lost: Deferred.await(lost) })

    // Not a race: a race would interrupt both sides and return at once, so the Lease would be released
    // while `work` still drains, and a second interruption would cut the drain short.
    return yield* Effect.uninterruptibleMask((restore) =>
      Effect.gen(function*() {
        const settled = yield* Deferred.make<void>()
        const signal = Deferred.succeed(settled, undefined)
        // Daemons, every path below awaits them: as children they would get every interruption this
        // fiber gets, and a second one reaching the work's drain would cut it short.
        const workFiber = yield* Effect.forkDaemon(Effect.ensuring(restore(body), signal))
        const renewFiber = yield* Effect.forkDaemon(Effect.ensuring(restore(renewLoop(acquiredAt)), signal))
        const waited = yield* Effect.exit(restore(Deferred.await(settled)))

        if (Exit.isFailure(waited)) {
          // Graceful shutdown. Renewals go on while the work drains, so a drain longer than the Lease cannot
          // overlap a new leader; should they fail for good meanwhile, the drain is cut short.
          const abandonOnLoss = yield* Effect.forkDaemon(
            Effect.andThen(Effect.interruptible(Fiber.await(renewFiber)), Deferred.succeed(lost, undefined))
          )
          yield* Fiber.interrupt(workFiber)
          yield* Fiber.interrupt(abandonOnLoss)
          yield* Fiber.interrupt(renewFiber)
          yield* release
          return yield* Effect.failCause(waited.cause)
        }
        const workExit = yield* Fiber.poll(workFiber)
        if (Option.isSome(workExit)) {
          yield* Fiber.interrupt(renewFiber)
          yield* release
          return yield* workExit.value
        }
        // Leadership lost: stop the work now, without draining it.
        yield* Deferred.succeed(lost, undefined)
        yield* Fiber.interrupt(workFiber)
        yield* release
        const renewExit = yield* Fiber.await(renewFiber)
        return yield* renewExit
      })
    )
  })

import { Cause, Clock, Data, Duration, Effect, Exit, Metric, Option, Ref, type Scope } from "effect"
import { failureMessage } from "../domain/FailureMessage.ts"
import { type ObjectRef, refKey } from "../domain/ObjectMeta.ts"
import { managedByLabel, managedByValue } from "../domain/Secret.ts"
import { Kubernetes } from "../services/Kubernetes.ts"
import { ImageRepository, Secret } from "../services/ResourceKind.ts"
import { defaultItemBackoff, type ItemBackoff, type ReconnectBackoff, type RetryBucket } from "./Backoff.ts"
import * as CachedKubernetes from "./CachedKubernetes.ts"
import * as Informer from "./Informer.ts"
import * as LeaderElection from "./LeaderElection.ts"
import * as Metrics from "./Metrics.ts"
import type { ReconcileResult } from "./ReconcileResult.ts"
import * as WorkQueue from "./WorkQueue.ts"

export interface ControllerOptions<E, R> {
  /** Level-based: called with a key only, reads what it needs, converges, and may ask to be called again. */
  readonly reconcile: (ref: ObjectRef) => Effect.Effect<ReconcileResult, E, R>
  /** Keys reconciled at once (different keys only). Default 2. */
  readonly workers?: number | undefined
  /** Watch one namespace; all namespaces when absent. */
  readonly namespace?: string | undefined
  /** Every ImageRepository is reconciled again this often, changed or not. Default 10 minutes. */
  readonly resyncPeriod?: Duration.DurationInput | undefined
  /** Per-key retry backoff after failures. Default 5 ms doubling to 1000 s. */
  readonly backoff?: ItemBackoff | undefined
  /** Overall retry limit across keys; `false` for none. Default 10 per second, burst 100. */
  readonly retryBucket?: RetryBucket | false | undefined
  readonly reconnect?: ReconnectBackoff | undefined
  /** Reconcile only while holding this Lease; always when absent. */
  readonly leaderElection?: LeaderElection.LeaderElectionConfig | undefined
  /** How long shutdown waits for in-flight reconciles. Default 25 s (inside Kubernetes' 30 s grace period). */
  readonly drainTimeout?: Duration.DurationInput | undefined
  /** A reconcile that takes longer fails (and is retried with backoff). None when absent. */
  readonly reconcileTimeout?: Duration.DurationInput | undefined
  /** Serve the reconcile's gets of watched kinds from the informers. Default true. */
  readonly cacheReads?: boolean | undefined
}

/** What a running controller tells its host (readiness, tests). */
export interface Controller {
  /** True while this replica leads (or needs no election), its caches are synced and its workers run. */
  readonly active: Effect.Effect<boolean>
}

/** The operator's own Secrets: the only ones it watches. */
export const managedSecretSelector = `${managedByLabel}=${managedByValue}`

/**
 * Runs the controller in the scope: informers on ImageRepositories and on the operator's Secrets (mapped
 * to their owning ImageRepository), a deduplicating work queue, and workers calling `reconcile`, which
 * gets the cached `Kubernetes`. Failures are retried with per-key backoff (honouring a `retryAfter` on the
 * error), `requeueAfter` schedules the next visit, and closing the scope stops taking work, lets in-flight
 * reconciles finish and releases the Lease. With leader election, nothing is watched or reconciled until
 * the Lease is held; a lost Lease stops everything at once (in-flight reconciles are interrupted, not
 * drained: another replica may lead already) and campaigns again.
 */
export const run = <E, R>(
  options: ControllerOptions<E, R>
): Effect.Effect<Controller, never, Kubernetes | Exclude<R, Kubernetes> | Scope.Scope> =>
  Effect.gen(function*() {
    const active = yield* Ref.make(false)
    const leaderStatus = Metrics.leaderElectionMasterStatus.pipe(Metric.tagged("name", Metrics.controllerName))
    const leading = Effect.acquireRelease(
      Ref.set(active, true).pipe(Effect.andThen(Metric.set(leaderStatus, 1))),
      () => Ref.set(active, false).pipe(Effect.andThen(Metric.set(leaderStatus, 0)))
    )
    const work = (leadership?: LeaderElection.Leadership) =>
      Effect.scoped(Effect.andThen(start(options, leadership), Effect.andThen(leading, Effect.never)))

    const election = options.leaderElection
    if (election === undefined) {
      yield* Effect.forkScoped(work())
    } else {
      yield* Effect.forkScoped(
        Effect.forever(
          LeaderElection.runAsLeader(election, work).pipe(
            Effect.catchAll((lost) => Effect.logWarning(`${lost.message}; campaigning again`))
          )
        )
      )
    }
    return { active: Ref.get(active) }
  })

/**
 * Starts informers, waits for their first list, then starts the workers; all in the scope. A lost
 * leadership interrupts in-flight reconciles instead of draining them.
 */
const start = <E, R>(
  options: ControllerOptions<E, R>,
  leadership: LeaderElection.Leadership | undefined
): Effect.Effect<void, never, Kubernetes | Exclude<R, Kubernetes> | Scope.Scope> =>
  Effect.gen(function*() {
    const raw = yield* Kubernetes
    const queue = yield* WorkQueue.make({
      backoff: options.backoff ?? defaultItemBackoff,
      ...(options.retryBucket === undefined ? {} : { bucket: options.retryBucket })
    })
    const onKey = (ref: ObjectRef) => queue.add(refKey(ref))
    const repositories = yield* Informer.make({
      kind: ImageRepository,
      namespace: options.namespace,
      onKey,
      resyncPeriod: options.resyncPeriod ?? Duration.minutes(10),
      reconnect: options.reconnect
    })
    const secrets = yield* Informer.make({
      kind: Secret,
      namespace: options.namespace,
      labelSelector: managedSecretSelector,
      keysOf: Informer.ownerKeys(ImageRepository),
      onKey,
      reconnect: options.reconnect
    })
    // As controller-runtime: no reconcile before the caches have seen everything once.
    yield* Effect.all([repositories.awaitSynced, secrets.awaitSynced], { discard: true })
    const kubernetes = options.cacheReads === false ? raw : yield* CachedKubernetes.make(raw, [repositories, secrets])
    const workers = options.workers ?? 2
    yield* Effect.logInfo(
      `controller started: ${workers} workers, ${options.namespace === undefined ? "all namespaces" : `namespace ${options.namespace}`}`
    )

    const reconcileOnce = (ref: ObjectRef): Effect.Effect<ReconcileResult, E | ReconcileTimedOut, Exclude<R, Kubernetes>> => {
      const reconcile = options.reconcile(ref).pipe(
        Effect.provideService(Kubernetes, kubernetes),
        Effect.withSpan("Controller.reconcile", { attributes: { namespace: ref.namespace, name: ref.name } })
      )
      const timeout = options.reconcileTimeout
      return timeout === undefined ? reconcile : reconcile.pipe(
        Effect.timeoutFail({ duration: timeout, onTimeout: () => new ReconcileTimedOut({ timeout: Duration.decode(timeout) }) })
      )
    }

    const reconcileTotal = (result: string) =>
      Metrics.reconcileTotal.pipe(Metric.tagged("controller", Metrics.controllerName), Metric.tagged("result", result))
    const reconcileErrors = Metrics.reconcileErrorsTotal.pipe(Metric.tagged("controller", Metrics.controllerName))
    const retries = Metrics.workqueueRetriesTotal.pipe(Metric.tagged("name", Metrics.controllerName))
    const reconcileTime = Metrics.reconcileTimeSeconds.pipe(Metric.tagged("controller", Metrics.controllerName))

    const process = (key: string): Effect.Effect<void, never, Exclude<R, Kubernetes>> =>
      Effect.gen(function*() {
        const ref = refOfKey(key)
        const started = yield* Clock.currentTimeMillis
        const exit = yield* Effect.exit(reconcileOnce(ref))
        const seconds = ((yield* Clock.currentTimeMillis) - started) / 1000
        if (!Exit.isInterrupted(exit)) yield* Metric.update(reconcileTime, seconds)
        if (Exit.isSuccess(exit)) {
          yield* queue.forget(key)
          const after = exit.value.requeueAfter
          yield* Metric.increment(reconcileTotal(after === undefined ? "success" : "requeue_after"))
          if (after !== undefined) yield* queue.addAfter(key, after)
          return
        }
        if (Cause.isInterruptedOnly(exit.cause)) return
        yield* Metric.increment(reconcileTotal("error"))
        yield* Metric.increment(reconcileErrors)
        yield* Metric.increment(retries)
        const failure = Cause.failureOption(exit.cause)
        const retryAfter = Option.flatMap(failure, retryAfterOf)
        const delay = yield* queue.addRateLimited(key, Option.getOrUndefined(retryAfter))
        const message = Option.match(failure, {
          onNone: () => `died: ${failureMessage(Cause.squash(exit.cause))}`,
          onSome: (error) => `failed: ${failureMessage(error)}`
        })
        yield* Effect.logWarning(`reconcile of ${key} ${message}; retrying in ${Duration.format(delay)}`)
      }).pipe(Effect.annotateLogs({ namespace: key.split("/")[0] ?? "", name: key.split("/")[1] ?? "" }))

    yield* WorkQueue.runWorkers(
      queue,
      {
        workers,
        drainTimeout: options.drainTimeout ?? Duration.seconds(25),
        ...(leadership === undefined ? {} : { abandon: leadership.lost })
      },
      process
    )
  })

export class ReconcileTimedOut extends Data.TaggedError("ReconcileTimedOut")<{
  readonly timeout: Duration.Duration
}> {
  override get message(): string {
    return `reconcile took longer than ${Duration.format(this.timeout)}`
  }
}

/** Keys are `namespace/name`; names cannot contain a slash. */
const refOfKey = (key: string): ObjectRef => {
  const slash = key.indexOf("/")
  return slash < 0 ? { namespace: "", name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) }
}

/** A `retryAfter` Duration on the error (Transient's, from a 429's Retry-After) floors the backoff. */
const retryAfterOf = (error: unknown): Option.Option<Duration.Duration> =>
  typeof error === "object" && error !== null && "retryAfter" in error && Duration.isDuration(error.retryAfter)
    ? Option.some(error.retryAfter)
    : Option.none()

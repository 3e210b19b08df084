import { Cause, Clock, Data, Duration, Effect, Exit, Metric, Option, Ref, type Scope } from "effect"
import { failureMessage } from "../domain/FailureMessage.ts"
import { type ObjectMeta, type ObjectRef, refKey } from "../domain/ObjectMeta.ts"
import { Kubernetes } from "../services/Kubernetes.ts"
import type { ReconcileResult } from "../services/ReconcileResult.ts"
import { defaultItemBackoff } from "./Backoff.ts"
import { type Controller, defaultWorkers } from "./Controller.ts"
import type { Informer } from "./Informer.ts"
import * as Metrics from "./Metrics.ts"
import * as WorkQueue from "./WorkQueue.ts"

type AnyObject = { readonly metadata: ObjectMeta }

export class ReconcileTimedOut extends Data.TaggedError("ReconcileTimedOut")<{
  readonly timeout: Duration.Duration
}> {
  override get message(): string {
    return `reconcile took longer than ${Duration.format(this.timeout)}`
  }
}

export interface ReconcileLoopOptions {
  /** What the reconcile reads and writes through (the manager's cached client). */
  readonly kubernetes: Kubernetes
  /** The informer of the controller's own kind: a term starts by queueing every object it holds. */
  readonly objects: Informer<AnyObject>
  /** Where the informers deliver this controller's keys while the loop runs. */
  readonly route: Ref.Ref<Option.Option<WorkQueue.WorkQueue>>
  readonly drainTimeout: Duration.DurationInput
  /** Completes when leadership is lost: in-flight reconciles are interrupted, not drained. */
  readonly abandon?: Effect.Effect<void> | undefined
  readonly supervise: <R>(name: string, loop: Effect.Effect<void, never, R>) => Effect.Effect<void, never, R>
}

/**
 * One controller's work for one term of leadership, in the scope: a fresh work queue that the informers feed, every
 * object of the controller's kind queued once (a new leader trusts nothing it did not see itself), and workers that
 * call the reconcile. Failures are retried with per-key backoff (honouring a `retryAfter` on the error),
 * `requeueAfter` schedules the next visit, and closing the scope drains the keys in flight.
 */
export const run = <E, R>(
  controller: Controller<E, R>,
  options: ReconcileLoopOptions
): Effect.Effect<void, never, Exclude<R, Kubernetes> | Scope.Scope> =>
  Effect.gen(function*() {
    const metrics = Metrics.forController(controller.name)
    const queue = yield* WorkQueue.make({
      metrics: metrics.queue,
      backoff: controller.backoff ?? defaultItemBackoff,
      ...(controller.retryBucket === undefined ? {} : { bucket: controller.retryBucket })
    })
    yield* Effect.acquireRelease(Ref.set(options.route, Option.some(queue)), () => Ref.set(options.route, Option.none()))
    const reconciled = yield* options.objects.snapshot
    for (const object of yield* options.objects.list) {
      for (const ref of controller.for.keysOf(object, reconciled)) yield* queue.add(refKey(ref))
    }
    const workers = controller.workers ?? defaultWorkers
    yield* Effect.logInfo(`controller ${controller.name} started: ${workers} workers`)

    const reconcileOnce = (ref: ObjectRef): Effect.Effect<ReconcileResult, E | ReconcileTimedOut, Exclude<R, Kubernetes>> => {
      const reconcile = controller.reconcile(ref).pipe(
        Effect.provideService(Kubernetes, options.kubernetes),
        // No stack trace: Effect would take one per reconcile, and the name says where it is.
        Effect.withSpan("Controller.reconcile", {
          captureStackTrace: false,
          attributes: { controller: controller.name, namespace: ref.namespace, name: ref.name }
        })
      )
      const timeout = controller.reconcileTimeout
      return timeout === undefined ? reconcile : reconcile.pipe(
        Effect.timeoutFail({ duration: timeout, onTimeout: () => new ReconcileTimedOut({ timeout: Duration.decode(timeout) }) })
      )
    }

    const process = (key: string): Effect.Effect<void, never, Exclude<R, Kubernetes>> =>
      Effect.gen(function*() {
        const ref = refOfKey(key)
        const started = yield* Clock.currentTimeMillis
        const exit = yield* Effect.exit(reconcileOnce(ref))
        const seconds = ((yield* Clock.currentTimeMillis) - started) / 1000
        if (!Exit.isInterrupted(exit)) yield* Metric.update(metrics.reconcileTime, seconds)
        if (Exit.isSuccess(exit)) {
          yield* queue.forget(key)
          const after = exit.value.requeueAfter
          yield* Metric.increment(metrics.reconcileTotal(after === undefined ? "success" : "requeue_after"))
          if (after !== undefined) yield* queue.addAfter(key, after)
          return
        }
        if (Cause.isInterruptedOnly(exit.cause)) return
        yield* Metric.increment(metrics.reconcileTotal("error"))
        yield* Metric.increment(metrics.reconcileErrors)
        yield* Metric.increment(metrics.retries)
        const failure = Cause.failureOption(exit.cause)
        const backoff = yield* queue.addRateLimited(key, Option.getOrUndefined(Option.flatMap(failure, retryAfterOf)))
        // An error that must be retried by a time (a deletion's deadline) caps the backoff: the earlier add wins.
        const within = Option.flatMap(failure, retryWithinOf)
        const delay = Option.isSome(within) && Duration.lessThan(within.value, backoff) ? within.value : backoff
        if (delay !== backoff) yield* queue.addAfter(key, delay)
        const message = Option.match(failure, {
          onNone: () => `died: ${failureMessage(Cause.squash(exit.cause))}`,
          onSome: (error) => `failed: ${failureMessage(error)}`
        })
        yield* Effect.logWarning(`reconcile of ${key} ${message}; retrying in ${Duration.format(delay)}`)
      }).pipe(Effect.annotateLogs({ controller: controller.name, namespace: refOfKey(key).namespace, name: refOfKey(key).name }))

    yield* WorkQueue.runWorkers(
      queue,
      {
        workers,
        drainTimeout: options.drainTimeout,
        abandon: options.abandon,
        supervise: (worker, loop) => options.supervise(`controller ${controller.name} worker ${worker}`, loop)
      },
      process
    )
  })

/** Work-queue keys are `refKey`s, `namespace/name`; names cannot contain a slash. */
const refOfKey = (key: string): ObjectRef => {
  const slash = key.indexOf("/")
  return slash < 0 ? { namespace: "", name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) }
}

/** A Duration field of the error, e.g. Transient's `retryAfter` or `retryWithin`. */
const durationField = (field: string) => (error: unknown): Option.Option<Duration.Duration> => {
  if (typeof error !== "object" || error === null || !(field in error)) return Option.none()
  const value: unknown = (error as Record<string, unknown>)[field]
  return Duration.isDuration(value) ? Option.some(value) : Option.none()
}

/** A `retryAfter` on the error (Transient's, from a 429's Retry-After) floors the backoff. */
const retryAfterOf = durationField("retryAfter")

/** A `retryWithin` on the error (Transient's, from a deletion's deadline) caps it. */
const retryWithinOf = durationField("retryWithin")

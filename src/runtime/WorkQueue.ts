import {
  Cause,
  Clock,
  Metric,
  Duration,
  Effect,
  Fiber,
  FiberMap,
  HashMap,
  HashSet,
  Option,
  Ref,
  type Scope,
  STM,
  TQueue,
  TRef
} from "effect"
import { failureMessage } from "../domain/FailureMessage.ts"
import * as TokenBucket from "../domain/TokenBucket.ts"
import { defaultItemBackoff, defaultRetryBucket, type ItemBackoff, itemDelay, type RetryBucket, retryTokenBucket } from "./Backoff.ts"

/**
 * A deduplicating work queue with client-go workqueue semantics, keyed by `namespace/name`:
 * - a key added while it waits is not queued twice;
 * - a key added while it is being processed is marked dirty and queued once more when `done` is called,
 *   so one key is never processed by two workers at once and no change is lost;
 * - failures back off per key (`addRateLimited`), reset by `forget`;
 * - `addAfter` delays an add (the earliest pending delay for a key wins);
 * - after `shutdown`, adds are ignored and `take` answers None so workers stop once their item is done.
 */
export interface WorkQueue {
  readonly add: (key: string) => Effect.Effect<void>
  readonly addAfter: (key: string, delay: Duration.DurationInput) => Effect.Effect<void>
  /** Counts one more failure for the key and adds it after its backoff; answers the delay chosen. */
  readonly addRateLimited: (key: string, atLeast?: Duration.DurationInput) => Effect.Effect<Duration.Duration>
  /** Resets the key's failure count (after a successful reconcile). */
  readonly forget: (key: string) => Effect.Effect<void>
  readonly failures: (key: string) => Effect.Effect<number>
  /** Waits for the next key and marks it in flight; None once the queue is shut down. */
  readonly take: Effect.Effect<Option.Option<string>>
  /** Ends processing of a key taken with `take`; re-queues it when it was added meanwhile. */
  readonly done: (key: string) => Effect.Effect<void>
  readonly shutdown: Effect.Effect<void>
  /** Keys waiting to be taken. */
  readonly length: Effect.Effect<number>
  /** Keys taken and not yet done. */
  readonly inFlight: Effect.Effect<number>
  /** Keys waiting for an `addAfter` delay. */
  readonly delayed: Effect.Effect<number>
}

/** client-go's work-queue metrics, tagged with the queue's name. */
export interface WorkQueueMetrics {
  readonly depth: Metric.Metric.Gauge<number>
  readonly adds: Metric.Metric.Counter<number>
  readonly queueDuration: Metric.Metric.Histogram<number>
}

export interface WorkQueueOptions {
  readonly metrics?: WorkQueueMetrics | undefined
  readonly backoff?: ItemBackoff
  /** Overall retry limit; `false` for per-key backoff only. Default 10/s, burst 100. */
  readonly bucket?: RetryBucket | false
}

interface State {
  /** Keys that need processing: queued, or added again while in flight. */
  readonly dirty: HashSet.HashSet<string>
  readonly processing: HashSet.HashSet<string>
  readonly shuttingDown: boolean
}

const initial: State = { dirty: HashSet.empty(), processing: HashSet.empty(), shuttingDown: false }

/** The queue's delayed adds live in the scope: closing it cancels them. */
export const make = (options: WorkQueueOptions = {}): Effect.Effect<WorkQueue, never, Scope.Scope> =>
  Effect.gen(function*() {
    const backoff = options.backoff ?? defaultItemBackoff
    const bucket = options.bucket === false ? false : retryTokenBucket(options.bucket ?? defaultRetryBucket)
    const bucketState = yield* Ref.make<TokenBucket.BucketState>(
      bucket === false ? { tokens: 0, at: 0 } : TokenBucket.full(bucket, yield* Clock.currentTimeMillis)
    )
    // The ready queue and the sets change together in one STM transaction, so a key can never be
    // taken between "marked dirty" and "queued" (the lock client-go holds around the same steps).
    const ready = yield* TQueue.unbounded<string>()
    const state = yield* TRef.make(initial)
    const failureCounts = yield* Ref.make(HashMap.empty<string, number>())
    const waiting = yield* Ref.make(HashMap.empty<string, number>())
    const sleepers = yield* FiberMap.make<string>()

    const metrics = options.metrics
    // When each waiting key was added: the queue latency a take reports.
    const addedAt = yield* Ref.make(HashMap.empty<string, number>())
    const recordDepth = metrics === undefined
      ? Effect.void
      : Effect.flatMap(STM.commit(TQueue.size(ready)), (size) => Metric.set(metrics.depth, size))

    /** True when the key became due now (it was neither waiting nor marked for another round). */
    const markDirty = (key: string): STM.STM<boolean> =>
      STM.gen(function*() {
        const s = yield* TRef.get(state)
        if (s.shuttingDown || HashSet.has(s.dirty, key)) return false
        yield* TRef.set(state, { ...s, dirty: HashSet.add(s.dirty, key) })
        // In flight: `done` queues it again.
        if (!HashSet.has(s.processing, key)) yield* TQueue.offer(ready, key)
        return true
      })

    // With metrics, the depth is read in the same transaction as the add (one commit per add, not two).
    const markDirtyWithDepth = (key: string) => STM.zip(markDirty(key), TQueue.size(ready))

    const add = (key: string): Effect.Effect<void> =>
      metrics === undefined ? Effect.asVoid(STM.commit(markDirty(key))) : Effect.gen(function*() {
        const [fresh, depth] = yield* STM.commit(markDirtyWithDepth(key))
        yield* Metric.increment(metrics.adds)
        if (fresh) {
          const now = yield* Clock.currentTimeMillis
          yield* Ref.update(addedAt, HashMap.set(key, now))
        }
        yield* Metric.set(metrics.depth, depth)
      })

    const addAfter = (key: string, delay: Duration.DurationInput): Effect.Effect<void> =>
      Effect.gen(function*() {
        const millis = Duration.toMillis(delay)
        if (millis <= 0) return yield* add(key)
        const readyAt = (yield* Clock.currentTimeMillis) + millis
        const earlier = yield* Ref.modify(waiting, (w) => {
          const pending = HashMap.get(w, key)
          return Option.isSome(pending) && pending.value <= readyAt
            ? [true, w] as const
            : [false, HashMap.set(w, key, readyAt)] as const
        })
        if (earlier) return
        // Replacing the key's sleeper cancels a later one.
        yield* FiberMap.run(
          sleepers,
          key,
          Effect.sleep(Duration.millis(millis)).pipe(
            Effect.andThen(
              Effect.uninterruptible(Ref.update(waiting, HashMap.remove(key)).pipe(Effect.andThen(add(key))))
            )
          )
        )
      })

    const addRateLimited = (key: string, atLeast?: Duration.DurationInput): Effect.Effect<Duration.Duration> =>
      Effect.gen(function*() {
        const failures = yield* Ref.modify(failureCounts, (m) => {
          const n = Option.getOrElse(HashMap.get(m, key), () => 0)
          return [n, HashMap.set(m, key, n + 1)] as const
        })
        const now = yield* Clock.currentTimeMillis
        // The larger of the key's own backoff, the overall bucket's wait and the error's Retry-After.
        const bucketDelay = bucket === false
          ? Duration.zero
          : Duration.millis(yield* Ref.modify(bucketState, (state) => TokenBucket.reserve(bucket, state, now)))
        const delay = Duration.max(
          Duration.max(itemDelay(backoff, failures), bucketDelay),
          atLeast === undefined ? Duration.zero : Duration.decode(atLeast)
        )
        yield* addAfter(key, delay)
        return delay
      })

    const takeKey: Effect.Effect<Option.Option<string>> = STM.gen(function*() {
      const s = yield* TRef.get(state)
      if (s.shuttingDown) return Option.none()
      const key = yield* TQueue.take(ready)
      yield* TRef.set(state, {
        ...s,
        dirty: HashSet.remove(s.dirty, key),
        processing: HashSet.add(s.processing, key)
      })
      return Option.some(key)
    }).pipe(STM.commit)

    const take: Effect.Effect<Option.Option<string>> = metrics === undefined ? takeKey : Effect.tap(
      takeKey,
      Option.match({
        onNone: () => Effect.void,
        onSome: (key: string) =>
          Effect.gen(function*() {
            const since = yield* Ref.modify(
              addedAt,
              (m): readonly [Option.Option<number>, HashMap.HashMap<string, number>] => [HashMap.get(m, key), HashMap.remove(m, key)]
            )
            if (Option.isSome(since)) {
              const now = yield* Clock.currentTimeMillis
              yield* Metric.update(metrics.queueDuration, (now - since.value) / 1000)
            }
            yield* recordDepth
          })
      })
    )

    const done = (key: string): Effect.Effect<void> =>
      STM.gen(function*() {
        const s = yield* TRef.get(state)
        yield* TRef.set(state, { ...s, processing: HashSet.remove(s.processing, key) })
        if (HashSet.has(s.dirty, key) && !s.shuttingDown) yield* TQueue.offer(ready, key)
      }).pipe(STM.commit)

    return {
      add,
      addAfter,
      addRateLimited,
      forget: (key) => Ref.update(failureCounts, HashMap.remove(key)),
      failures: (key) => Ref.get(failureCounts).pipe(Effect.map((m) => Option.getOrElse(HashMap.get(m, key), () => 0))),
      take,
      done,
      shutdown: TRef.update(state, (s) => ({ ...s, shuttingDown: true })).pipe(
        STM.commit,
        Effect.andThen(FiberMap.clear(sleepers))
      ),
      length: STM.commit(TQueue.size(ready)),
      inFlight: STM.commit(TRef.get(state)).pipe(Effect.map((s) => HashSet.size(s.processing))),
      delayed: Ref.get(waiting).pipe(Effect.map(HashMap.size))
    }
  })

export interface WorkersOptions {
  /** How many keys are processed at once. */
  readonly workers: number
  /** How long closing the scope waits for in-flight keys before interrupting them. */
  readonly drainTimeout?: Duration.DurationInput
  /** Completes when in-flight keys must stop at once (leadership lost): closing the scope then does not wait. */
  readonly abandon?: Effect.Effect<void> | undefined
  /** Runs each worker's loop under a restart policy (a supervisor's); as it is when absent. */
  readonly supervise?: (<R>(worker: number, loop: Effect.Effect<void, never, R>) => Effect.Effect<void, never, R>) | undefined
}

/**
 * Runs `workers` fibers that take keys and process them until the scope closes. Closing the scope shuts
 * the queue down and waits (up to `drainTimeout`) for the keys in flight to finish: graceful shutdown.
 * `process` owns its errors; a defect is logged and the worker carries on.
 */
export const runWorkers = <R>(
  queue: WorkQueue,
  options: WorkersOptions,
  process: (key: string) => Effect.Effect<void, never, R>
): Effect.Effect<void, never, R | Scope.Scope> =>
  Effect.gen(function*() {
    const worker = Effect.gen(function*() {
      while (true) {
        const next = yield* queue.take
        if (Option.isNone(next)) return
        const key = next.value
        yield* process(key).pipe(
          Effect.catchAllCause((cause) =>
            Cause.isInterruptedOnly(cause)
              ? Effect.failCause(cause)
              : Effect.logError(`processing ${key} died: ${failureMessage(Cause.squash(cause), "unknown defect")}`)
          ),
          Effect.ensuring(queue.done(key))
        )
      }
    })
    const supervise = options.supervise ?? (<R>(_: number, loop: Effect.Effect<void, never, R>) => loop)
    const fibers: Array<Fiber.RuntimeFiber<void>> = []
    for (let i = 0; i < Math.max(1, options.workers); i++) {
      fibers.push(yield* Effect.forkScoped(supervise(i + 1, worker)))
    }
    // Registered after the forks, so it runs before the scope interrupts them.
    yield* Effect.addFinalizer(() =>
      Effect.gen(function*() {
        yield* queue.shutdown
        // Finalizers are uninterruptible and this one may run on an interrupted fiber: each racer is made
        // interruptible, or the loser could never be cancelled. The race runs in a daemon fiber: a further
        // interruption of this fiber reaches its children, and would cut the drain short.
        const drained = Effect.as(Effect.interruptible(Fiber.awaitAll(fibers)), true)
        const limit = options.drainTimeout === undefined ? Effect.never : Effect.sleep(options.drainTimeout)
        const cut = Effect.as(
          Effect.interruptible(options.abandon === undefined ? limit : Effect.race(limit, options.abandon)),
          false
        )
        const finished = yield* Fiber.join(yield* Effect.forkDaemon(Effect.raceFirst(drained, cut)))
        if (!finished) {
          yield* Effect.logWarning("interrupting in-flight reconciles: drain timed out or leadership lost")
          yield* Fiber.interruptAll(fibers)
        }
      })
    )
  })

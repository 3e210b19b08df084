import { Cause, Clock, Duration, Effect, Exit, Ref, Schedule } from "effect"
import { failureMessage } from "../domain/FailureMessage.ts"

/**
 * Keeps the manager's long-lived fibers (informer loops, workers) running: a loop that dies is logged and started
 * again after a growing pause; one that keeps dying is given up on and reported, so `/healthz` fails and the
 * kubelet restarts the pod instead of leaving a replica that answers probes but watches nothing.
 */
export interface Supervisor {
  /**
   * Runs `loop`, starting it again whenever it fails or dies, until it ends by itself or is interrupted. A loop
   * given up on stays stopped (this then never completes, so its owner's scope decides what happens next).
   */
  readonly supervise: <R>(name: string, loop: Effect.Effect<void, unknown, R>) => Effect.Effect<void, never, R>
  /** The loops given up on, with why; empty while healthy. */
  readonly failed: Effect.Effect<ReadonlyArray<string>>
  /** Restarts so far, all loops together. */
  readonly restarts: Effect.Effect<number>
}

export interface SupervisorOptions {
  /** More restarts of one loop than this within `window` and it is given up on. Default 5. */
  readonly maxRestarts?: number
  /** Default 5 minutes. */
  readonly window?: Duration.DurationInput
  /** The pause before each restart. Default 1 s doubling to 30 s, jittered. */
  readonly backoff?: Schedule.Schedule<unknown>
}

/** 1 s doubling to 30 s, jittered, so a loop that dies at once does not spin. */
export const restartBackoff: Schedule.Schedule<unknown> = Schedule.exponential("1 second").pipe(
  Schedule.union(Schedule.spaced("30 seconds")),
  Schedule.jittered
)

export const make = (options: SupervisorOptions = {}): Effect.Effect<Supervisor> =>
  Effect.gen(function*() {
    const maxRestarts = options.maxRestarts ?? 5
    const windowMillis = Duration.toMillis(options.window ?? Duration.minutes(5))
    const backoff = options.backoff ?? restartBackoff
    const failed = yield* Ref.make<ReadonlyArray<string>>([])
    const restarts = yield* Ref.make(0)

    const supervise = <R>(name: string, loop: Effect.Effect<void, unknown, R>): Effect.Effect<void, never, R> =>
      Effect.gen(function*() {
        const driver = yield* Schedule.driver(backoff)
        let recent: ReadonlyArray<number> = []
        while (true) {
          const exit = yield* Effect.exit(loop)
          if (Exit.isSuccess(exit)) return
          if (Cause.isInterruptedOnly(exit.cause)) return yield* Effect.interrupt
          const reason = failureMessage(Cause.squash(exit.cause), "unknown defect")
          const now = yield* Clock.currentTimeMillis
          recent = [...recent.filter((at) => now - at < windowMillis), now]
          // The first death in a while starts the backoff from its shortest pause again.
          if (recent.length === 1) yield* driver.reset
          if (recent.length > maxRestarts) {
            const why = `${name} died ${recent.length} times within ${Duration.format(Duration.millis(windowMillis))}: ${reason}`
            yield* Ref.update(failed, (all) => [...all, why])
            yield* Effect.logError(`${why}; giving up, the process is unhealthy`)
            return yield* Effect.never
          }
          yield* Ref.update(restarts, (n) => n + 1)
          yield* Effect.logError(`${name} died: ${reason}; restarting`)
          yield* driver.next(undefined).pipe(Effect.catchAll(() => Effect.void))
        }
      })

    return { supervise, failed: Ref.get(failed), restarts: Ref.get(restarts) }
  })

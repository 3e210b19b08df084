import { Duration, Effect, Metric, Option, Ref, Schedule, type Scope } from "effect"
import { Quay } from "../services/Quay.ts"

/** The original controller's availability gauge, under its name so existing dashboards and alerts keep working. */
export const quayAvailable = Metric.gauge("redhat_appstudio_imagecontroller_global_quay_app_available", {
  description: "Whether Quay's API answered the operator's last probe (1) or not (0)"
})

/** The original controller's canary robot: reading it (present or not) proves Quay answers and the token can read. */
export const canaryRobot = "robot_konflux_api_healthcheck"

export interface QuayProbe {
  /** Why Quay could not be used at the last probe; None when it answered. */
  readonly trouble: Effect.Effect<Option.Option<string>>
}

export interface QuayProbeOptions {
  /** Default 1 minute, as the original. */
  readonly interval?: Duration.DurationInput | undefined
  /**
   * The first probe waits for this (the controllers' first Quay call) or one interval, whichever comes first, so
   * a restart with nothing to do costs no Quay request; absent, the first probe runs at once.
   */
  readonly firstProbeAfter?: Effect.Effect<void> | undefined
}

/**
 * Probes Quay with one cheap read every `interval` for as long as the scope lives: sets the availability gauge, and
 * keeps the last trouble for `/readyz`. An answer that says the canary robot is absent still counts as available;
 * a refused token, a 5xx, a timeout or a rate limit does not.
 */
export const run = (options: QuayProbeOptions = {}): Effect.Effect<QuayProbe, never, Quay | Scope.Scope> =>
  Effect.gen(function*() {
    const quay = yield* Quay
    const trouble = yield* Ref.make(Option.none<string>())
    const probe = quay.getRobot(canaryRobot).pipe(
      Effect.matchEffect({
        onSuccess: () => Ref.set(trouble, Option.none()).pipe(Effect.andThen(Metric.set(quayAvailable, 1))),
        onFailure: (error) =>
          Ref.set(trouble, Option.some(`Quay: ${error.message}`)).pipe(
            Effect.andThen(Metric.set(quayAvailable, 0)),
            Effect.andThen(Effect.logWarning(`Quay probe failed: ${error.message}`))
          )
      }),
      Effect.withSpan("QuayProbe.probe")
    )
    const interval = options.interval ?? Duration.minutes(1)
    const first = options.firstProbeAfter === undefined ? Effect.void : Effect.race(options.firstProbeAfter, Effect.sleep(interval))
    yield* Effect.forkScoped(Effect.zipRight(first, Effect.repeat(probe, Schedule.spaced(interval))))
    return { trouble: Ref.get(trouble) }
  })

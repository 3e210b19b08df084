import { hostname } from "node:os"
import { Config, ConfigError, Duration, Effect, Either, Option } from "effect"
import { parseDurationText } from "../domain/DurationText.ts"
import { defaultPipelineServiceAccount, templateProblem } from "../domain/ServiceAccountLinks.ts"
import type { ProgramSettingsOptions } from "../services/ProgramSettings.ts"
import { defaultTimings, type LeaderElectionConfig } from "./LeaderElection.ts"

/** The operator's own settings (Quay's and the apiserver's are read by their layers). */
export interface OperatorConfig {
  /** Watch one namespace; all when absent. */
  readonly watchNamespace: Option.Option<string>
  readonly workers: number
  readonly resyncPeriod: Duration.Duration
  /** Absent when leader election is disabled. */
  readonly leaderElection: Option.Option<LeaderElectionConfig>
  /** What the programs are told (the pipeline ServiceAccount's name template). */
  readonly programSettings: ProgramSettingsOptions
}

const positiveInteger = (name: string) =>
  Config.integer(name).pipe(
    Config.validate({ message: `${name} must be a positive integer`, validation: (n) => n >= 1 })
  )

const nonEmpty = (name: string) =>
  Config.string(name).pipe(
    Config.map((s) => s.trim()),
    Config.option,
    Config.map(Option.filter((s) => s !== ""))
  )

const duration = (name: string) =>
  Config.string(name).pipe(
    Config.mapOrFail((text) => Either.mapLeft(parseDurationText(text), (error) => ConfigError.InvalidData([name], `${name}: ${error}`)))
  )

const positiveDuration = (name: string, fallback: Duration.Duration) =>
  duration(name).pipe(
    Config.withDefault(fallback),
    Config.validate({ message: `${name} must be longer than zero`, validation: (d) => Duration.toMillis(d) > 0 })
  )

/** A ServiceAccount name template: `{component}` and `{application}` are replaced. */
const accountTemplate = (name: string) =>
  Config.string(name).pipe(
    Config.map((s) => s.trim()),
    Config.withDefault(defaultPipelineServiceAccount),
    Config.map((s) => (s === "" ? defaultPipelineServiceAccount : s)),
    Config.mapOrFail((template) => {
      const problem = templateProblem(template)
      return problem === undefined ? Either.right(template) : Either.left(ConfigError.InvalidData([name], `${name}: ${problem}`))
    })
  )

/**
 * Reads WATCH_NAMESPACE (all namespaces when unset or empty), WORKERS (default 2), RESYNC_PERIOD (default
 * 10 minutes), LEADER_ELECTION (default true) and, for the election, LEASE_NAMESPACE (else POD_NAMESPACE,
 * required), LEASE_NAME (default image-repository-operator), POD_NAME (the identity; default the host name),
 * LEASE_DURATION / RENEW_DEADLINE / RETRY_PERIOD (default 137 s / 107 s / 26 s), and PIPELINE_SERVICE_ACCOUNT
 * (the ServiceAccount a component repository's push Secret is linked to; default `appstudio-pipeline`, or a
 * template such as `build-pipeline-{component}`).
 */
export const load: Effect.Effect<OperatorConfig, ConfigError.ConfigError> = Effect.gen(function*() {
  const base = yield* Config.all({
    watchNamespace: nonEmpty("WATCH_NAMESPACE"),
    workers: positiveInteger("WORKERS").pipe(Config.withDefault(2)),
    resyncPeriod: positiveDuration("RESYNC_PERIOD", Duration.minutes(10)),
    leaderElectionEnabled: Config.boolean("LEADER_ELECTION").pipe(Config.withDefault(true)),
    pipelineServiceAccount: accountTemplate("PIPELINE_SERVICE_ACCOUNT")
  })
  // The Lease settings are read (and required) only when the election is on.
  const leaderElection = base.leaderElectionEnabled ? Option.some(yield* leaderElectionConfig) : Option.none()
  return {
    watchNamespace: base.watchNamespace,
    workers: base.workers,
    resyncPeriod: base.resyncPeriod,
    leaderElection,
    programSettings: { pipelineServiceAccount: base.pipelineServiceAccount }
  }
})

const leaderElectionConfig: Config.Config<LeaderElectionConfig> = Config.all({
  namespace: nonEmpty("LEASE_NAMESPACE").pipe(
    Config.zipWith(nonEmpty("POD_NAMESPACE"), (lease, pod) => Option.orElse(lease, () => pod)),
    Config.mapOrFail((namespace) =>
      Option.match(namespace, {
        onNone: () =>
          Either.left(
            ConfigError.MissingData(
              ["LEASE_NAMESPACE"],
              "LEASE_NAMESPACE (or POD_NAMESPACE) is required when LEADER_ELECTION is on"
            )
          ),
        onSome: Either.right
      })
    )
  ),
  name: nonEmpty("LEASE_NAME").pipe(Config.map(Option.getOrElse(() => "image-repository-operator"))),
  identity: nonEmpty("POD_NAME").pipe(Config.map(Option.getOrElse(() => hostname()))),
  leaseDuration: positiveDuration("LEASE_DURATION", defaultTimings.leaseDuration),
  renewDeadline: positiveDuration("RENEW_DEADLINE", defaultTimings.renewDeadline),
  retryPeriod: positiveDuration("RETRY_PERIOD", defaultTimings.retryPeriod)
}).pipe(
  Config.validate({
    message: "leader election needs RETRY_PERIOD < RENEW_DEADLINE < LEASE_DURATION",
    validation: (c) =>
      Duration.lessThan(c.retryPeriod, c.renewDeadline) && Duration.lessThan(c.renewDeadline, c.leaseDuration)
  }),
  Config.map((c) => ({
    lease: { namespace: c.namespace, name: c.name },
    identity: c.identity,
    leaseDuration: c.leaseDuration,
    renewDeadline: c.renewDeadline,
    retryPeriod: c.retryPeriod
  }))
)

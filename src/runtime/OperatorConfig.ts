import { hostname } from "node:os"
import { Config, ConfigError, Duration, Effect, Either, Option } from "effect"
import { parseDurationText } from "../domain/DurationText.ts"
import { defaultPipelineServiceAccount, templateProblem } from "../domain/ServiceAccountLinks.ts"
import type { ProgramSettingsOptions } from "../services/ProgramSettings.ts"
import { defaultWorkers } from "./Controller.ts"
import { type RemoteSecretMode, remoteSecretModes } from "./CredentialDelivery.ts"
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
  /** How long after its deletionTimestamp a deletion keeps retrying Quay before it lets go. */
  readonly cleanupDeadline: Duration.Duration
  /** How often the leader sweeps Quay for orphans; absent when off. */
  readonly orphanSweepInterval: Option.Option<Duration.Duration>
  /** REMOTE_SECRETS: deliver credentials through RemoteSecrets (`on`), never (`off`), or when served (`auto`). */
  readonly remoteSecrets: RemoteSecretMode
}

const remoteSecretMode = (name: string) =>
  Config.literal(...remoteSecretModes)(name).pipe(Config.withDefault<RemoteSecretMode>("auto"))

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

/** A duration, or `off` (the default) for none. */
const durationOrOff = (name: string) =>
  Config.string(name).pipe(
    Config.withDefault("off"),
    Config.mapOrFail((text) =>
      text.trim().toLowerCase() === "off"
        ? Either.right(Option.none<Duration.Duration>())
        : Either.map(
          Either.mapLeft(parseDurationText(text), (error) => ConfigError.InvalidData([name], `${name}: ${error}, or off`)),
          Option.some
        )
    ),
    Config.validate({
      message: `${name} must be longer than zero, or off`,
      validation: (d) => Option.match(d, { onNone: () => true, onSome: (value) => Duration.toMillis(value) > 0 })
    })
  )

/**
 * Reads WATCH_NAMESPACE (all namespaces when unset or empty), WORKERS (default 16), RESYNC_PERIOD (default
 * 10 minutes), LEADER_ELECTION (default false) and, for the election, LEASE_NAMESPACE (else POD_NAMESPACE,
 * required), LEASE_NAME (default image-repository-operator), POD_NAME (the identity; default the host name),
 * LEASE_DURATION / RENEW_DEADLINE / RETRY_PERIOD (default 137 s / 107 s / 26 s), CLEANUP_DEADLINE (default 5
 * minutes), ORPHAN_SWEEP_INTERVAL (default off) and PIPELINE_SERVICE_ACCOUNT (the ServiceAccount a component
 * repository's push Secret is linked to; default `appstudio-pipeline`, or a template such as
 * `build-pipeline-{component}`), NAMESPACE_PULL_SECRET (default false: the original controller's namespace pull
 * robot and `components-namespace-pull` Secret).
 */
/** WATCH_NAMESPACE: one namespace, or all when unset or empty. Also what an on-demand sweep is kept to. */
export const watchNamespace: Config.Config<Option.Option<string>> = nonEmpty("WATCH_NAMESPACE")

export const load: Effect.Effect<OperatorConfig, ConfigError.ConfigError> = Effect.gen(function*() {
  const base = yield* Config.all({
    watchNamespace,
    workers: positiveInteger("WORKERS").pipe(Config.withDefault(defaultWorkers)),
    resyncPeriod: positiveDuration("RESYNC_PERIOD", Duration.minutes(10)),
    // Off unless asked for, as kubebuilder's --leader-elect: a local `npm start` needs no Lease; the manifest turns it on.
    leaderElectionEnabled: Config.boolean("LEADER_ELECTION").pipe(Config.withDefault(false)),
    cleanupDeadline: positiveDuration("CLEANUP_DEADLINE", Duration.minutes(5)),
    orphanSweepInterval: durationOrOff("ORPHAN_SWEEP_INTERVAL"),
    pipelineServiceAccount: accountTemplate("PIPELINE_SERVICE_ACCOUNT"),
    remoteSecrets: remoteSecretMode("REMOTE_SECRETS"),
    // The original controller's namespace pull robot: off by default, the spec's model has none.
    namespacePullSecret: Config.boolean("NAMESPACE_PULL_SECRET").pipe(Config.withDefault(false))
  })
  // The Lease settings are read (and required) only when the election is on.
  const leaderElection = base.leaderElectionEnabled ? Option.some(yield* leaderElectionConfig) : Option.none()
  return {
    watchNamespace: base.watchNamespace,
    workers: base.workers,
    resyncPeriod: base.resyncPeriod,
    leaderElection,
    cleanupDeadline: base.cleanupDeadline,
    orphanSweepInterval: base.orphanSweepInterval,
    programSettings: {
      pipelineServiceAccount: base.pipelineServiceAccount,
      namespacePullSecret: base.namespacePullSecret
    },
    remoteSecrets: base.remoteSecrets
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

/** A command-line flag the operator takes, kubebuilder's names, and the setting it stands for. */
const flags = {
  "leader-elect": "LEADER_ELECTION",
  "metrics-bind-address": "METRICS_PORT",
  "health-probe-bind-address": "HEALTH_PORT",
  "remote-secrets": "REMOTE_SECRETS"
} as const

/**
 * The settings given as flags (`--leader-elect`, `--leader-elect=false`, `--metrics-bind-address=:8080`,
 * `--health-probe-bind-address :8081`, as the original controller's manifests pass them), by the environment
 * variable they stand for; a flag wins over the variable. An address keeps only its port (`0` turns it off).
 */
export const fromArguments = (args: ReadonlyArray<string>): Either.Either<ReadonlyMap<string, string>, string> => {
  const settings = new Map<string, string>()
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? ""
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(arg)
    const flag = match?.[1]
    if (match === null || flag === undefined || !(flag in flags)) {
      return Either.left(`unknown argument '${arg}'; flags: ${Object.keys(flags).map((f) => `--${f}`).join(", ")}`)
    }
    const name = flags[flag as keyof typeof flags]
    let value = match[2]
    if (value === undefined && name !== "LEADER_ELECTION") {
      value = args[i + 1]
      i++
      if (value === undefined) return Either.left(`--${flag} needs a value`)
    }
    if (name === "LEADER_ELECTION") settings.set(name, value ?? "true")
    else if (value !== undefined) settings.set(name, value.split(":").pop() ?? value)
  }
  return Either.right(settings)
}
